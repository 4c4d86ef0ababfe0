from datetime import datetime, timedelta, timezone

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.accounts.forms import REQUIRED
from portal.clock import HK
from portal.languages import LANGUAGES
from portal.trainings.models import DECLINE_REASON_LABELS, DELIVERY_LANGUAGES, PROGRAMMES
from portal.web.forms import Form, MultiCheckboxField, choices

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
    day = DateField(_l("On this day"), validators=[Optional()])
    seats = BooleanField(_l("Only with places left"))
    q = StringField(_l("Search by title"), validators=[Optional(), Length(max=100, message=MAX_TEXT)])


class CourseForm(Form):
    programme = SelectField(_l("Programme"), choices=choices(PROGRAMMES), validators=[InputRequired(REQUIRED)])
    language = SelectField(_l("Language of the training"), choices=choices(DELIVERY_LANGUAGES),
                           validators=[InputRequired(REQUIRED)])
    # title_<code> and description_<code> for each language of portal/languages.py: added below the class.
    prerequisites = MultiCheckboxField(_l("To be done first (optional)"), coerce=int, validators=[Optional()])

    def texts(self) -> dict:
        return {loc: (self[f"title_{loc}"].data, self[f"description_{loc}"].data) for loc in LANGUAGES}

    @classmethod
    def of(cls, course):
        """Filled from the course (for the page; a POST reads the form)."""
        data = {"programme": course.programme, "language": course.language,
                "prerequisites": [c.id for c in course.prerequisites]}
        for t in course.texts:
            data[f"title_{t.locale}"], data[f"description_{t.locale}"] = t.title, t.description
        return cls(**data)


for _code, _name in LANGUAGES.items():  # English is the one every course has
    setattr(CourseForm, f"title_{_code}", StringField(
        _l("Title in %(language)s", language=_name),
        validators=[InputRequired(REQUIRED) if _code == "en" else Optional(), Length(max=200, message=MAX_TEXT)]))
    setattr(CourseForm, f"description_{_code}", TextAreaField(
        _l("Description in %(language)s", language=_name), validators=[Optional(), Length(max=4000, message=MAX_TEXT)]))


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
    # Shown only after the warning that booking would already be closed (routes._closed_already).
    closed_ok = BooleanField(_l("Save it anyway, with booking closed: people can only be added at the door"))

    def when(self):
        """Start and end, read in Hong Kong time, as UTC."""
        starts = datetime.combine(self.date.data, self.start.data, HK).astimezone(timezone.utc)
        ends = datetime.combine(self.date.data, self.end.data, HK).astimezone(timezone.utc)
        return starts, ends

    def times(self):
        starts, ends = self.when()
        return starts, ends, starts - timedelta(days=self.deadline_days.data)

    def validate_end(self, field):
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))


class BookMembersForm(Form):
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[InputRequired(REQUIRED)])


class SessionEditForm(SessionForm):
    """The same fields as a new session, but the course stays."""
    course_id = None

    @classmethod
    def of(cls, ts):
        """Filled from the session (for the page; a POST reads the form)."""
        starts, ends = ts.starts_at.astimezone(HK), ts.ends_at.astimezone(HK)
        days = max(0, min(60, (starts - ts.deadline).days))
        return cls(date=starts.date(), start=starts.time(), end=ends.time(), venue=ts.venue,
                   capacity=ts.capacity, deadline_days=days, per_org_cap=ts.per_org_cap)


def _sunday(form, field):
    if field.data is not None and field.data.weekday() != 6:
        raise ValidationError(_l("Choose a Sunday."))


class OutreachForm(Form):
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[InputRequired(REQUIRED)])
    programme = SelectField(_l("Topic"), choices=choices(PROGRAMMES), validators=[InputRequired(REQUIRED)])
    language = SelectField(_l("Language of the training"), choices=choices(DELIVERY_LANGUAGES),
                           validators=[InputRequired(REQUIRED)])
    expected = IntegerField(_l("How many people will come?"), validators=[
        InputRequired(_l("Write a number.")), NumberRange(min=1, max=500, message=_l("Write a number from 1 to 500."))])
    sunday_1 = DateField(_l("First choice of Sunday"), validators=[InputRequired(_l("Choose a date.")), _sunday])
    sunday_2 = DateField(_l("Second choice of Sunday"), validators=[InputRequired(_l("Choose a date.")), _sunday])
    sunday_3 = DateField(_l("Third choice of Sunday (optional)"), validators=[Optional(), _sunday])
    note = TextAreaField(_l("Anything the Mission should know (optional)"),
                         validators=[Optional(), Length(max=1000, message=MAX_TEXT)])


class AcceptOutreachForm(SessionForm):
    """A session at the organisation's place: the fields of a new session, without a booking deadline or a
    cap per organisation (it is for one organisation), on a day after today."""
    deadline_days = None
    per_org_cap = None

    def validate_date(self, field):
        if field.data and field.data <= datetime.now(HK).date():
            raise ValidationError(_l("Choose a date after today."))


class DeclineOutreachForm(Form):
    reason = SelectField(_l("Reason"), choices=choices(DECLINE_REASON_LABELS), validators=[InputRequired(REQUIRED)])
    note = TextAreaField(_l("Note for the leader (optional)"), validators=[Optional(), Length(max=500, message=MAX_TEXT)])


class WalkInForm(Form):
    identifier = StringField(_l("Mobile number or e-mail of the person"),
                             validators=[InputRequired(REQUIRED), Length(max=200, message=MAX_TEXT)])
