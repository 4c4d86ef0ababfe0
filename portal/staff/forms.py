from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from portal.accounts.forms import REQUIRED

from portal.organisations.models import COMMUNITIES, ORG_STATE_LABELS
from portal.staff.queries import RENAMED
from portal.web.forms import Form, choices


class QueueFilterForm(Form):
    """A plain GET form: no CSRF token, the URL carries the filter."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), choices=choices([*ORG_STATE_LABELS.items(),
                                                      (RENAMED, _l("New name waiting for approval"))]),
                        default="pending", validators=[Optional()])
    community = SelectField(_l("Community"), choices=choices([("", _l("All communities")), *COMMUNITIES.items()]),
                            default="", validators=[Optional()])
    q = StringField(_l("Search by name"), validators=[Optional(), Length(max=100)])


class HelpIntoAccountForm(Form):
    """At the desk: a code to set a new password, to the number of the account (confirmed or not)."""
    identifier = StringField(_l("Her mobile number or e-mail"),
                             validators=[InputRequired(REQUIRED), Length(max=200)])
    here = BooleanField(_l("She is here in person and holds the phone of this number"),
                        validators=[InputRequired(_l("Send a code only when she is here with her phone."))])
