"""Where the portal leans on a library's private parts, all in one place. Each is here because a measured
page needed it (figures in docs/benchmarks.md) or because the library's public behaviour was wrong for us
(said in its docstring); each has a test in tests/test_hooks.py that fails loudly when an upgrade of the
library changes what it relies on. Nothing else in the portal may use a library's private names."""
from __future__ import annotations

from functools import cached_property

from flask import session
from flask_babel import Babel as _Babel
from flask_babel import Domain as _Domain
from flask_babel import _get_current_context, get_locale
from flask_compress import Compress as _Compress
from flask_login import LoginManager as _LoginManager
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup


class LoginManager(_LoginManager):
    """Flask-Login's, with its "strong" session protection applied only to sessions it can protect.

    Flask-Login compares the session's `_id` (a hash of the address and browser, stored at sign-in) with
    the request's. A session without `_id` but with other data (here: the CSRF token that every page's
    language form puts in the session) fails that comparison on every request (Flask-Login issue #569):
    each answer to a visitor who is not signed in then rewrote the session cookie and deleted the
    remember cookie again (two Set-Cookie headers and a signature on every page). Such a
    session, with nobody signed in, takes the request's identifier once, as Flask-Login's documentation
    says it should; from then on the check works as for a signed-in session. Sessions of signed-in people
    are checked exactly as before."""

    def _session_protection_failed(self):
        sess = session._get_current_object()
        if sess and "_id" not in sess and "_user_id" not in sess:
            sess["_id"] = self._session_identifier_generator()
        return super()._session_protection_failed()


class Domain(_Domain):
    """Flask-Babel's message domain, finding the request's catalogue once per language.

    Flask-Babel looks the catalogue up again for every translated string: through flask.g three times and
    by the language's name, which is written out afresh each time. A label made with lazy_gettext is
    translated each time it is shown, so a list of 25 cards did that 100 times. Here the
    catalogue is kept beside the request's language object: force_locale() and refresh() replace or remove
    that object, so the next string is looked up again in the new language."""

    def get_translations(self):
        ctx = _get_current_context()
        if ctx is None:
            return super().get_translations()
        kept = getattr(ctx, "portal_translations", None)
        locale = getattr(ctx, "babel_locale", None)
        if kept is not None and locale is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()
        ctx.portal_translations = (get_locale(), translations)
        return translations


class Compress(_Compress):
    """Flask-Compress, for every answer that has a body worth compressing, whatever its status: it leaves
    anything but a 2xx alone by design, so a refused form (422), a 403, 404, 409, 429 or 500 page went out
    at full size, at the very moment she made a mistake or lost the network. Such an answer is shown to the
    library as a 200 for the moment it decides and compresses (the same brotli or gzip choice, the same
    Vary: Accept-Encoding, nothing compressed twice, small answers left alone), then given back its status.
    Only answers without an ETag or Last-Modified, so that the library's conditional handling (304) never
    applies to an error; none without a body (1xx, 204, 304)."""

    def after_request(self, response):
        status = response.status_code if response is not None else 200
        if 200 <= status < 300 or status < 200 or status == 304 or response.get_etag()[0] \
                or response.last_modified is not None:
            return super().after_request(response)
        response.status_code = 200
        try:
            response = super().after_request(response)
        finally:
            response.status_code = status
        return response


class Babel(_Babel):
    @cached_property
    def domain_instance(self):
        return Domain(domain=self.domain)


def csrf_input(field) -> Markup:
    """The CSRF token's hidden input, written out as WTForms writes it: its generic rendering formats the
    attributes one by one through Markup.format, and some pages draw one per row (the accept, role and
    remove buttons of each member). Used by portal.web.forms.Form's Meta."""
    return Markup('<input id="%s" name="%s" type="hidden" value="%s">') % (field.id, field.name, field._value())


class SlicedPagination(Pagination):
    """Flask-SQLAlchemy's pagination (page.items, .pages, .has_next, ...) over a query that reads its own
    page: `fetch(offset, limit)` returns (the page's items, the total). The trainings catalogue reads its
    order in two index-ordered parts (the next Sundays, then the rest), which no single select can page.
    `fetch` may also say whether the total is exact (a third value); the pager then leaves out "of n"."""

    exact = True  # False when `fetch` counted only so far: the total is then a lower bound

    def _query_items(self) -> list:
        items, self._total, *exact = self._query_args["fetch"](self._query_offset, self.per_page)
        self.exact = exact[0] if exact else True
        return items

    def _query_count(self) -> int:
        return self._total
