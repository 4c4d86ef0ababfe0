"""What the campaigns' messages say: time, place and what to bring, nothing more (a phone may be read by
an employer: no campaign, no organisation). Rendered in the recipient's language by the outbox, and sent by
the channel she chose for her shifts (the topic "campaigns" of portal.notifications)."""
from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.campaigns.models import Shift
from portal.web.templating import InLocale, moment


when = moment  # a day and time in the recipient's language


def where(shift: Shift):
    return InLocale(lambda: shift.place)


def bring(shift: Shift):
    def text():
        things = [str(t) for t in shift.bring_list]
        return format_list(things, locale=str(get_locale())) if things else _("nothing special")
    return InLocale(text)
