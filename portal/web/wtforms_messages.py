"""WTForms' built-in messages that can reach a user of our forms, listed so that `make messages`
extracts them into our catalogue (WTForms has no Filipino or Indonesian). Never called."""
from flask_babel import gettext, ngettext


def _for_extraction():  # pragma: no cover
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Not a valid integer value.")
    gettext("Not a valid date value.")
    gettext("Not a valid datetime value.")
    gettext("Not a valid time value.")
    gettext("This field is required.")
    gettext("Invalid input.")
    gettext("Field must be between %(min)d and %(max)d characters long.")
    ngettext("'%(value)s' is not a valid choice for this field.",
             "'%(value)s' are not valid choices for this field.", 1)
    ngettext("Field must be at least %(min)d character long.",
             "Field must be at least %(min)d characters long.", 1)
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", 1)
    ngettext("Field must be exactly %(max)d character long.",
             "Field must be exactly %(max)d characters long.", 1)
