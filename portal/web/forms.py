"""The base of every form: text is cleaned of control characters before validation."""
import re

from flask_babel import get_translations
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from portal.hooks import csrf_input

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    if isinstance(value, str):
        return _CONTROL.sub("", value).strip()
    return value


class _OurCatalogue:
    """WTForms' own messages ("Not a valid choice.") through our catalogue: WTForms ships no
    Filipino or Indonesian, so they are translated with the rest (see wtforms_messages.py)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = (clean_text, *options.get("filters", ()))
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            return _OurCatalogue()

        def render_field(self, field, render_kw):
            if field.type == "CSRFTokenField" and not render_kw and not field.render_kw:
                return csrf_input(field)  # portal/hooks.py
            return super().render_field(field, render_kw)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs or a dict, as the SelectChoice objects WTForms wants."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (the form macro draws them as a fieldset)."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EmptyForm(Form):
    """For buttons that only act: it carries the CSRF token."""
