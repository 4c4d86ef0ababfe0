from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.accounts.forms import REQUIRED
from portal.organisations.models import (
    COMMUNITIES, DISTRICTS, MEMBER_ROLE_LABELS, ORG_LANGUAGES, REJECT_REASON_LABELS,
)
from portal.web.forms import Form, MultiCheckboxField, choices


class OrganisationForm(Form):
    name = StringField(_l("Name of the organisation"), validators=[DataRequired(REQUIRED), Length(max=150)])
    community = SelectField(_l("Community"), choices=choices(COMMUNITIES),
                            validators=[InputRequired(REQUIRED)])
    languages = MultiCheckboxField(_l("Languages used"), choices=choices(ORG_LANGUAGES),
                                   validators=[DataRequired(_l("Choose at least one language."))])
    district = SelectField(_l("District of the usual Sunday meeting place"), choices=choices(DISTRICTS),
                           validators=[InputRequired(REQUIRED)])
    meeting_place = StringField(_l("Usual Sunday meeting place"), validators=[DataRequired(REQUIRED),
                                                                             Length(max=200)],
                                description=_l("For example: Chater Garden, Central"))
    contact = StringField(_l("Contact for the Mission (mobile or e-mail)"),
                          validators=[DataRequired(REQUIRED), Length(max=200)])
    membership_size = IntegerField(_l("About how many members?"), validators=[
        InputRequired(_l("Write a number.")),
        NumberRange(min=1, max=100000, message=_l("Write a number from 1 to 100000."))])
    description = TextAreaField(_l("About the organisation (optional)"), validators=[Optional(), Length(max=2000)])


class JoinForm(Form):
    code = StringField(_l("Join code"), validators=[DataRequired(REQUIRED), Length(max=20)],
                       description=_l("Your leader can give you the code."))


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=choices({k: v for k, v in MEMBER_ROLE_LABELS.items() if k != "leader"}))


class DecideForm(Form):
    expected_state = HiddenField()
    seen = HiddenField()  # the organisation's version the staff member saw: she decides on what she saw

    @property
    def seen_version(self) -> int | None:
        """None when the form did not say; -1 (which no version is) when it said something else."""
        raw = (self.seen.data or "").strip()
        return None if not raw else int(raw) if raw.isdigit() and len(raw) < 10 else -1


class RejectForm(DecideForm):
    reason = SelectField(_l("Reason"), choices=choices(REJECT_REASON_LABELS),
                         validators=[InputRequired(REQUIRED)])
    note = TextAreaField(_l("Note to the leader (optional)"), validators=[Optional(), Length(max=500)])
