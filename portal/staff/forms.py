from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

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
