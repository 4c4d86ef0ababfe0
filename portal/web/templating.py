"""What every template may use."""
from datetime import datetime
from functools import lru_cache
from weakref import WeakKeyDictionary

from babel.lists import format_list
from babel.numbers import format_decimal
from flask import current_app, get_flashed_messages
from flask_babel import format_date, format_datetime, get_locale, get_timezone, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from portal.dates import pattern
from portal.web import static_version
from portal.web.assets import stylesheet

_BOUND: WeakKeyDictionary = WeakKeyDictionary()


def _bound_gettext(translations):
    """Jinja's new-style `_` and `ngettext` (the ones Flask-Babel installs: the result is escaped when
    autoescaping and always %-formatted with the named arguments), bound to one catalogue.

    Flask-Babel's own look up the request's locale and catalogue again on every call (about 20 µs each,
    through flask.g three times); a page has 20 to 200 of them. A template render takes the catalogue once
    (see `common` below), so a language changed with force_locale() still applies to the next render."""
    pair = _BOUND.get(translations)
    if pair is None:
        ugettext, ungettext = translations.ugettext, translations.ungettext

        @pass_context
        def gettext(__context, __string, **variables):
            rv = ugettext(__string)
            if __context.eval_ctx.autoescape:
                rv = Markup(rv)
            return rv % variables

        @pass_context
        def ngettext(__context, __singular, __plural, __num, **variables):
            variables.setdefault("num", __num)
            rv = ungettext(__singular, __plural, __num)
            if __context.eval_ctx.autoescape:
                rv = Markup(rv)
            return rv % variables

        pair = _BOUND[translations] = (gettext, ngettext)
    return pair


def _remembered(formatter):
    """Flask-Babel's format_date or format_datetime, remembering what it wrote: formatting a date in a
    language is a pure function of the date, the pattern, the language and the time zone, and costs
    50-100 µs through Babel; lists show one or two per row, and the same rows to many people."""
    @lru_cache(maxsize=4096)
    def cached(value, offset, format, rebase, locale, tz):
        return formatter(value, format, rebase)

    def format_value(value=None, format=None, rebase=True):
        locale = str(get_locale())
        format = pattern(format, locale)  # a name of portal/dates.py, in the reader's language
        if value is None:  # "now": nothing to remember
            return formatter(value, format, rebase)
        # Equal instants in two zones compare equal but print differently unless rebased: the offset is
        # part of the key.
        offset = value.utcoffset() if isinstance(value, datetime) else None
        return cached(value, offset, format, rebase, locale, str(get_timezone()))

    return format_value


format_date_named = _remembered(format_date)
format_datetime_named = _remembered(format_datetime)  # also for messages and refusals: InLocale below


class InLocale:
    """A value whose text is made when it is shown: a message the outbox renders in the recipient's language,
    a refusal in the reader's. Every domain's messages and errors use this one."""

    def __init__(self, fn):
        self.fn = fn

    def __str__(self):
        return str(self.fn())


def moment(dt: datetime) -> InLocale:
    """A day and time ("Sun 6 Dec, 10:00") in the reader's or recipient's language and Hong Kong time."""
    from portal.clock import aware
    return InLocale(lambda: format_datetime_named(aware(dt), "day_time"))


def masked(address: str | None) -> str:
    """A number or an e-mail, enough to tell two apart and no more: "•••• 4567", "a•••@example.org"."""
    if not address:
        return "—"
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}•••@{domain}"
    return f"•••• {address[-4:]}"


def in_use(filters) -> int:
    """How many fields of a GET filter form are set to something other than their default (the page number
    is no filter): the folded filters say it, and open by themselves when it is not 0."""
    return sum(1 for f in filters if f.name not in ("page", "csrf_token") and f.data not in (None, "", False, 0, [])
               and f.data != f.default)


def init_app(app):
    from portal.organisations.models import COMMUNITIES, DISTRICTS, ORG_LANGUAGES
    from portal.trainings.models import DELIVERY_LANGUAGES, PROGRAMMES

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from portal.accounts.roles import can
    from portal.organisations.models import MemberRole, MemberState, OrgState
    from portal.referrals.models import ReferralState
    from portal.campaigns.models import ACTIVITIES, SHIFT_ROLES, CampaignState, ShiftState
    from portal.capacity import PlaceState
    from portal.trainings.models import BookingState, OutreachState, SessionState, WaitState
    app.jinja_env.globals.update(
        CampaignState=CampaignState, ShiftState=ShiftState, PlaceState=PlaceState,
        can=can,
        # States are compared with their enums (a typo is then an error, not a silent False).
        OrgState=OrgState, MemberState=MemberState, MemberRole=MemberRole, SessionState=SessionState,
        BookingState=BookingState, WaitState=WaitState, OutreachState=OutreachState, ReferralState=ReferralState,
        static_version=static_version,
        inline_css=lambda: Markup(stylesheet()[0]),
        format_date=format_date_named,
        format_datetime=format_datetime_named,
    )

    @app.context_processor
    def common():
        gettext, ngettext = _bound_gettext(get_translations())
        return {
            "_": gettext,  # these win over the environment's globals of the same names (Flask-Babel's)
            "gettext": gettext,
            "ngettext": ngettext,
            "lang": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
            "site_title": current_app.config["SITE_TITLE"],
        }

    app.jinja_env.filters.update(
        community=lambda code: COMMUNITIES.get(code, code),
        district=lambda code: DISTRICTS.get(code, code),
        language=lambda code: ORG_LANGUAGES.get(code, code),
        delivery_language=lambda code: DELIVERY_LANGUAGES.get(code, code),
        programme=lambda code: PROGRAMMES.get(code, code),
        activity=lambda code: ACTIVITIES.get(code, code),
        shift_role=lambda code: SHIFT_ROLES.get(code, code),
        listed=lambda items: format_list([str(i) for i in items], locale=str(get_locale())),
        hours=lambda minutes: format_decimal(round((minutes or 0) / 60, 2), locale=str(get_locale())),
        masked=masked,
    )
    app.jinja_env.globals["flashes"] = lambda: get_flashed_messages(with_categories=True)
    app.jinja_env.globals["in_use"] = in_use
