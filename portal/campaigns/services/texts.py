"""What the campaigns' messages say: time, place and what to bring, nothing more (a phone may be read by
an employer: no campaign, no organisation). Rendered in the recipient's language by the outbox."""
from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.audit import record
from portal.campaigns.models import Shift
from portal.extensions import db
from portal.notifications.services import queue
from portal.web import DomainError
from portal.web.templating import InLocale, moment


when = moment  # a day and time in the recipient's language


def where(shift: Shift):
    return InLocale(lambda: shift.place)


def bring(shift: Shift):
    def text():
        things = [str(t) for t in shift.bring_list]
        return format_list(things, locale=str(get_locale())) if things else _("nothing special")
    return InLocale(text)


CHANNELS = ("sms", "email", "none")


def tell(person, kind: str, **params) -> bool:
    """A campaign message to a volunteer, by the channel she chose for them (SMS, e-mail, or none), else as
    the portal reaches her. Whether one was written."""
    choice = person.campaign_channel
    if choice == "none":
        return False
    return queue(person, kind, via=choice, **params) is not None


def choose_channel(person, channel: str | None) -> None:
    """How she wants the campaigns' messages: SMS, e-mail, none, or (None) as the portal reaches her."""
    if channel not in (None, *CHANNELS):
        raise DomainError()
    person.campaign_channel = channel
    record(person, "campaigns.channel", person, {"channel": channel or "usual"})
    db.session.commit()
