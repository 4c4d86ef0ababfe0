"""The base of every form: text is cleaned of control characters before validation."""
import re

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    if isinstance(value, str):
        return _CONTROL.sub("", value).strip()
    return value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = (clean_text, *options.get("filters", ()))
            return unbound_field.bind(form=form, **options)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs or a dict, as the SelectChoice objects WTForms wants."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


class EmptyForm(Form):
    """For buttons that only act: it carries the CSRF token."""
