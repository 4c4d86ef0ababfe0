from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.accounts.forms import REQUIRED
from portal.campaigns.models import ACTIVITIES, BRING, SHIFT_LANGUAGES, SHIFT_ROLES
from portal.clock import HK
from portal.languages import LANGUAGES
from portal.trainings.forms import MAX_TEXT
from portal.web.forms import Form, MultiCheckboxField, choices


class ShiftFilterForm(Form):
    """A plain GET form: the URL carries the filter. The campaigns' choices are set by the route."""

    class Meta:
        csrf = False

    campaign = SelectField(_l("Campaign"), coerce=lambda v: int(v) if str(v or "").isdigit() else 0,
                           default=0, validators=[Optional()])
    day = DateField(_l("On this day"), validators=[Optional()])
    role = SelectField(_l("What you would do"), choices=choices([("", _l("Any role")), *SHIFT_ROLES.items()]),
                       default="", validators=[Optional()])
    language = SelectField(_l("Language"), choices=choices([("", _l("All languages")), *SHIFT_LANGUAGES.items()]),
                           default="", validators=[Optional()])


class CampaignForm(Form):
    starts_on = DateField(_l("First day"), validators=[InputRequired(_l("Choose a date."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(_l("Choose a date."))])
    public = BooleanField(_l("Public: anyone may see it and sign up (otherwise only members of the "
                             "organisations that support it)"), default=True)

    def texts(self) -> dict:
        return {loc: (self[f"title_{loc}"].data, self[f"description_{loc}"].data) for loc in LANGUAGES}

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day must be on or after the first."))

    @classmethod
    def of(cls, campaign):
        data = {"starts_on": campaign.starts_on, "ends_on": campaign.ends_on, "public": campaign.public}
        for t in campaign.texts:
            data[f"title_{t.locale}"], data[f"description_{t.locale}"] = t.title, t.description
        return cls(**data)


for _code, _name in LANGUAGES.items():  # English is the one every campaign has
    setattr(CampaignForm, f"title_{_code}", StringField(
        _l("Title in %(language)s", language=_name),
        validators=[InputRequired(REQUIRED) if _code == "en" else Optional(), Length(max=200, message=MAX_TEXT)]))
    setattr(CampaignForm, f"description_{_code}", TextAreaField(
        _l("Description in %(language)s", language=_name), validators=[Optional(), Length(max=4000, message=MAX_TEXT)]))


def _https(form, field):
    if field.data and not field.data.startswith("https://"):
        raise ValidationError(_l("A map link must begin with https://"))


class ShiftForm(Form):
    activity = SelectField(_l("Activity"), choices=choices(ACTIVITIES), validators=[InputRequired(REQUIRED)])
    role = SelectField(_l("Role"), choices=choices(SHIFT_ROLES), validators=[InputRequired(REQUIRED)])
    language = SelectField(_l("Language"), choices=choices(SHIFT_LANGUAGES), validators=[InputRequired(REQUIRED)])
    place = StringField(_l("Place"), validators=[InputRequired(REQUIRED), Length(max=200, message=MAX_TEXT)])
    map_url = StringField(_l("Link to a map (optional)"),
                          validators=[Optional(), Length(max=300, message=MAX_TEXT), _https])
    date = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    start = TimeField(_l("Starts at (Hong Kong time)"), validators=[InputRequired(_l("Choose a time."))])
    end = TimeField(_l("Ends at (Hong Kong time)"), validators=[InputRequired(_l("Choose a time."))])
    capacity = IntegerField(_l("Places"), validators=[InputRequired(_l("Write a number.")),
                                                      NumberRange(min=1, max=1000,
                                                                  message=_l("Write a number from 1 to 1000."))])
    bring = MultiCheckboxField(_l("What to bring"), choices=choices(BRING), validators=[Optional()])
    bring_note = StringField(_l("Anything else to bring (optional)"),
                             validators=[Optional(), Length(max=200, message=MAX_TEXT)])
    lead = StringField(_l("Shift lead: mobile number or e-mail (optional)"),
                       validators=[Optional(), Length(max=200, message=MAX_TEXT)])

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))

    def when(self):
        starts = datetime.combine(self.date.data, self.start.data, HK).astimezone(timezone.utc)
        ends = datetime.combine(self.date.data, self.end.data, HK).astimezone(timezone.utc)
        return starts, ends

    @classmethod
    def of(cls, shift):
        starts, ends = shift.starts_at.astimezone(HK), shift.ends_at.astimezone(HK)
        lead = (shift.lead.email or shift.lead.phone or "") if shift.lead else ""  # how staff name her
        return cls(activity=shift.activity, role=shift.role, language=shift.language, place=shift.place,
                   map_url=shift.map_url, date=starts.date(), start=starts.time(), end=ends.time(),
                   capacity=shift.capacity, bring=shift.bring_keys, bring_note=shift.bring_note, lead=lead)


class HoursForm(Form):
    hours = DecimalField(_l("Hours given"), places=2, validators=[
        InputRequired(_l("Write a number.")), NumberRange(min=0, max=24, message=_l("Write between 0 and 24 hours."))])

    @property
    def minutes(self) -> int:
        return int(round(float(self.hours.data) * 60))


class EndorseForm(Form):
    show_name = BooleanField(_l("Show our organisation's name on the campaign's public page"))
    committed = IntegerField(_l("How many members we commit (optional)"), default=0, validators=[
        Optional(), NumberRange(min=0, max=10000, message=_l("Write a number from 0 to 10000."))])


class MediaForm(Form):
    photos = BooleanField(_l("I may appear in photos of the campaign"))
    named = BooleanField(_l("My name may be shown on the campaign's public page"))
    pseudonym = StringField(_l("Or a name to show instead of mine (optional)"),
                            validators=[Optional(), Length(max=40, message=MAX_TEXT)])
