from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.accounts.forms import REQUIRED
from portal.trainings.forms import MAX_TEXT
from portal.trainings.materials import services
from portal.trainings.materials.models import FILE_KINDS
from portal.trainings.models import DELIVERY_LANGUAGES, PROGRAMMES
from portal.web import DomainError
from portal.web.forms import Form, choices


class LibraryFilterForm(Form):
    """A plain GET form: the URL carries the filter."""

    class Meta:
        csrf = False

    programme = SelectField(_l("Programme"), choices=choices([("", _l("All programmes")), *PROGRAMMES.items()]),
                            default="", validators=[Optional()])
    language = SelectField(_l("Language"), choices=choices([("", _l("All languages")), *DELIVERY_LANGUAGES.items()]),
                           default="", validators=[Optional()])


class MaterialForm(Form):
    title = StringField(_l("Title"), validators=[InputRequired(REQUIRED), Length(max=200, message=MAX_TEXT)])
    summary = TextAreaField(_l("Short description (optional)"),
                            validators=[Optional(), Length(max=2000, message=MAX_TEXT)])
    programme = SelectField(_l("Programme"), choices=choices(PROGRAMMES), validators=[InputRequired(REQUIRED)])
    course_id = SelectField(_l("Course (optional)"), coerce=int, default=0, validators=[Optional()])
    published = BooleanField(_l("Show it in the public library"), default=True)


def _link(form, field):
    if field.data:
        try:
            services.check_link(field.data)
        except DomainError as e:
            raise ValidationError(str(e.message)) from e


class VersionForm(Form):
    """A language version: a file, a link, a text, or several. The service says which is missing."""
    title = StringField(_l("Title in this language (optional)"),
                        validators=[Optional(), Length(max=200, message=MAX_TEXT)])
    file = FileField(_l("File (optional)"), render_kw={"accept": ",".join(FILE_KINDS)},
                     description=_l("A PDF or a picture (JPEG, PNG, WebP)."))
    url = StringField(_l("Link (optional)"), description=_l("A full web address that starts with https://"),
                      validators=[Optional(), Length(max=500, message=MAX_TEXT), _link])
    text = TextAreaField(_l("Text version (optional)"),
                         description=_l("Shown first, before any download. Plain text, or Markdown: "
                                        "**bold**, lists with -, links as [words](https://...)."),
                         validators=[Optional(), Length(max=services.MAX_TEXT, message=MAX_TEXT)])
    remove_file = BooleanField(_l("Remove the file"))


class NewVersionForm(VersionForm):
    language = SelectField(_l("Language of this version"), choices=choices(DELIVERY_LANGUAGES),
                           validators=[InputRequired(REQUIRED)])
