"""Her choices of how messages reach her: per topic (messages.TOPICS) a channel or none, and her agreement to
WhatsApp. The same choices on her account's page (every topic) and where a domain offers one (a campaign
volunteer's shifts)."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional

from portal.accounts.roles import Power, can
from portal.notifications import whatsapp
from portal.notifications.messages import TOPICS
from portal.notifications.services import address_for, choices_of
from portal.web.forms import Form, choices

CHANNEL_LABELS = {
    "": _l("As the portal reaches me (e-mail if I gave one, else SMS)"),
    "sms": _l("By SMS"),
    "whatsapp": _l("On WhatsApp"),
    "email": _l("By e-mail"),
    "none": _l("No messages"),
}


def whatsapp_possible(user) -> bool:
    """Whether she could agree to WhatsApp: it is offered, and her number is confirmed."""
    return whatsapp.offered(current_app.config) and user.phone_confirmed


def channel_options(user, asking: bool = False) -> list[tuple[str, object]]:
    """The channels that reach her, to choose from: WhatsApp once she has agreed to it, or on the form that
    asks her agreement (`asking`)."""
    values = [""]
    if address_for(user, "sms"):
        values.append("sms")
    if whatsapp_possible(user) and (asking or user.whatsapp_since):
        values.append("whatsapp")
    if user.email:
        values.append("email")
    values.append("none")
    return [(v, CHANNEL_LABELS[v]) for v in values]


def messages_form(user, topics, asking: bool = True, formdata=None):
    """The form of her choices for `topics`, filled with what she chose (or with `formdata`, posted).
    `asking`: with the box by which she agrees to WhatsApp, or withdraws."""

    class Bound(Form):
        pass

    if asking and whatsapp_possible(user):
        Bound.whatsapp = BooleanField(_l("Yes, the portal may send me messages on WhatsApp at my number"))
    options = choices(channel_options(user, asking=asking))
    for topic in topics:
        setattr(Bound, topic, SelectField(TOPICS[topic][0], choices=options, default="", validators=[Optional()]))
    if formdata is not None:
        return Bound(formdata=formdata)
    return Bound(formdata=None, whatsapp=bool(user.whatsapp_since), **choices_of(user))


def chosen(form, topics) -> dict[str, str | None]:
    return {t: form[t].data or None for t in topics}


def agreed(form) -> bool | None:
    """Whether she agrees to WhatsApp, if the form asked (None: it did not, her agreement stays)."""
    return form.whatsapp.data if "whatsapp" in form else None


def topics_for(user, memberships) -> list[str]:
    """The topics she may get messages of: referrals and cases only for the Mission's people and the leaders
    of organisations (no one else gets them)."""
    gets_them = can(user, Power.REFERRAL_QUEUE) or any(m.is_manager for m in memberships)
    return [t for t in TOPICS if t != "cases" or gets_them]
