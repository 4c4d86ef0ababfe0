from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.accounts.forms import REQUIRED
from portal.trainings.models import DELIVERY_LANGUAGES, PROGRAMMES
from portal.web.forms import Form, choices

HK = timezone(timedelta(hours=8))  # Hong Kong keeps no daylight saving time
MAX_TEXT = _l("Write at most %(max)d characters.")


class CatalogueFilterForm(Form):
    """A plain GET form: the URL carries the filter."""

    class Meta:
        csrf = False

    programme = SelectField(_l("Programme"), choices=choices([("", _l("All programmes")), *PROGRAMMES.items()]),
                            default="", validators=[Optional()])
    language = SelectField(_l("Language of the training"),
                           choices=choices([("", _l("All languages")), *DELIVERY_LANGUAGES.items()]),
                           default="", validators=[Optional()])
    seats = BooleanField(_l("Only with places left"))
    q = StringField(_l("Search by title"), validators=[Optional(), Length(max=100, message=MAX_TEXT)])


class CourseForm(Form):
    programme = SelectField(_l("Programme"), choices=choices(PROGRAMMES), validators=[InputRequired(REQUIRED)])
    language = SelectField(_l("Language of the training"), choices=choices(DELIVERY_LANGUAGES),
                           validators=[InputRequired(REQUIRED)])
    title_en = StringField(_l("Title in English"), validators=[InputRequired(REQUIRED), Length(max=200, message=MAX_TEXT)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=4000, message=MAX_TEXT)])
    title_fil = StringField(_l("Title in Filipino"), validators=[Optional(), Length(max=200, message=MAX_TEXT)])
    description_fil = TextAreaField(_l("Description in Filipino"), validators=[Optional(), Length(max=4000, message=MAX_TEXT)])
    title_id = StringField(_l("Title in Bahasa Indonesia"), validators=[Optional(), Length(max=200, message=MAX_TEXT)])
    description_id = TextAreaField(_l("Description in Bahasa Indonesia"),
                                   validators=[Optional(), Length(max=4000, message=MAX_TEXT)])

    def texts(self) -> dict:
        return {loc: (self[f"title_{loc}"].data, self[f"description_{loc}"].data) for loc in ("en", "fil", "id")}


class SessionForm(Form):
    course_id = SelectField(_l("Course"), coerce=int, validators=[InputRequired(REQUIRED)])
    date = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    start = TimeField(_l("Starts at (Hong Kong time)"), validators=[InputRequired(_l("Choose a time."))])
    end = TimeField(_l("Ends at (Hong Kong time)"), validators=[InputRequired(_l("Choose a time."))])
    venue = StringField(_l("Venue (leave empty: at the organisation's own meeting place)"),
                        validators=[Optional(), Length(max=200, message=MAX_TEXT)])
    capacity = IntegerField(_l("Places"), validators=[
        InputRequired(_l("Write a number.")), NumberRange(min=1, max=1000, message=_l("Write a number from 1 to 1000."))])
    deadline_days = IntegerField(_l("Booking closes this many days before"), default=2, validators=[
        InputRequired(_l("Write a number.")), NumberRange(min=0, max=60, message=_l("Write a number from 0 to 60."))])
    per_org_cap = IntegerField(_l("Places per organisation (optional)"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=_l("Write a number from 1 to 1000."))])

    def times(self):
        starts = datetime.combine(self.date.data, self.start.data, HK).astimezone(timezone.utc)
        ends = datetime.combine(self.date.data, self.end.data, HK).astimezone(timezone.utc)
        return starts, ends, starts - timedelta(days=self.deadline_days.data)

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))


class BookMembersForm(Form):
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[InputRequired(REQUIRED)])
