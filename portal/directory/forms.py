from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.accounts.forms import REQUIRED
from portal.directory.models import KIND_LABELS
from portal.organisations.models import DISTRICTS, ORG_LANGUAGES
from portal.web.forms import Form, MultiCheckboxField, choices

MAX_TEXT = _l("Write at most %(max)d characters.")


class FilterForm(Form):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind of service"), choices=choices([("", _l("All kinds")), *KIND_LABELS.items()]),
                       default="", validators=[Optional()])
    language = SelectField(_l("Language"), choices=choices([("", _l("All languages")), *ORG_LANGUAGES.items()]),
                           default="", validators=[Optional()])
    district = SelectField(_l("Area"), choices=choices([("", _l("All areas")), *DISTRICTS.items()]), default="",
                           validators=[Optional()])
    q = StringField(_l("Search by name"), validators=[Optional(), Length(max=100, message=MAX_TEXT)])


class ServiceForm(Form):
    organization = StringField(_l("Organisation"), validators=[InputRequired(REQUIRED), Length(max=150, message=MAX_TEXT)])
    name = StringField(_l("Service"), validators=[InputRequired(REQUIRED), Length(max=150, message=MAX_TEXT)])
    kind = SelectField(_l("Kind of service"), choices=choices(KIND_LABELS), validators=[InputRequired(REQUIRED)])
    description = TextAreaField(_l("What it does"), validators=[Optional(), Length(max=4000, message=MAX_TEXT)])
    languages = MultiCheckboxField(_l("Languages"), choices=choices(ORG_LANGUAGES), validators=[Optional()])
    hours = StringField(_l("Hours"), validators=[Optional(), Length(max=200, message=MAX_TEXT)])
    district = SelectField(_l("Area"), choices=choices([("", _l("Anywhere")), *DISTRICTS.items()]), default="",
                           validators=[Optional()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300, message=MAX_TEXT)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40, message=MAX_TEXT)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254, message=MAX_TEXT)])
    url = StringField(_l("Web address (https://...)"), validators=[Optional(), Length(max=300, message=MAX_TEXT)])
    eligibility = StringField(_l("Who it is for"), validators=[Optional(), Length(max=500, message=MAX_TEXT)])
    capacity = IntegerField(_l("Beds (a shelter)"), validators=[
        Optional(), NumberRange(min=0, max=1000, message=_l("Write a number from 0 to 1000."))])
    published = BooleanField(_l("Shown in the public directory"), default=True)

    @classmethod
    def of(cls, s):
        return cls(data={**{f: getattr(s, f) for f in ("organization", "name", "kind", "description", "hours",
                                                         "district", "address", "phone", "email", "url",
                                                         "eligibility", "capacity", "published")},
                         "languages": s.language_list})

    def values(self) -> dict:
        return {f.name: f.data for f in self if f.name != "csrf_token"}


class ImportForm(Form):
    file = FileField(_l("An export of the directory (.json or .csv)"), validators=[InputRequired(REQUIRED)])
