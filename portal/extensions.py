"""Extension objects, created unbound; create_app binds them with init_app."""
from functools import cached_property

from flask import session
from flask_babel import Babel as _Babel
from flask_babel import Domain as _Domain
from flask_babel import _get_current_context, get_locale
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager as _LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class LoginManager(_LoginManager):
    """Flask-Login's, with its "strong" session protection applied only to sessions it can protect.

    Flask-Login compares the session's `_id` (a hash of the address and browser, stored at sign-in) with
    the request's. A session without `_id` but with other data (here: the CSRF token that every page's
    language form puts in the session) fails that comparison on every request (Flask-Login issue #569):
    each answer to a visitor who is not signed in then rewrote the session cookie and deleted the
    remember cookie again (two Set-Cookie headers, about 250 bytes and a signature per page). Such a
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
    by the language's name, which is written out afresh each time (about 17 µs). A label made with
    lazy_gettext is translated each time it is shown, so a list of 25 cards did that 100 times. Here the
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


class Babel(_Babel):
    @cached_property
    def domain_instance(self):
        return Domain(domain=self.domain)


db = SQLAlchemy(model_class=Base)
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)
compress = Compress()
