"""portal/hooks.py leans on private parts of libraries: each test here fails loudly when an upgrade changes
what a hook relies on, before a page quietly goes wrong."""
import inspect

import flask_babel
import flask_login
import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination

from portal.hooks import SlicedPagination, csrf_input
from portal.web.forms import EmptyForm


def test_flask_login_still_asks_its_session_protection_hook():
    load = inspect.getsource(flask_login.LoginManager._load_user)
    assert "self._session_protection_failed()" in load
    assert callable(flask_login.LoginManager()._session_identifier_generator)


def test_a_visitors_pages_do_not_rewrite_her_cookies(client):
    """The session takes the request's identifier once (the second page); from then on, no cookie is sent.
    Without the hook every page sent two Set-Cookie headers (Flask-Login issue #569)."""
    for _ in range(2):
        client.get("/")
    for _ in range(2):
        assert client.get("/").headers.getlist("Set-Cookie") == []


def test_flask_babel_still_keeps_the_language_where_the_domain_looks():
    assert callable(flask_babel._get_current_context)
    assert "babel_locale" in inspect.getsource(flask_babel.get_locale)
    assert "get_translations" in vars(flask_babel.Domain)


def test_the_kept_catalogue_follows_a_change_of_language(app):
    label = _l("Language")
    with app.test_request_context(headers={"Accept-Language": "id"}):
        assert str(label) == "Bahasa"
        with force_locale("fil"):
            assert str(label) == "Wika"
        assert str(label) == "Bahasa"


def test_the_csrf_input_is_written_as_wtforms_writes_it(app):
    with app.test_request_context():
        field = EmptyForm().csrf_token
        assert csrf_input(field) == field.widget(field)


def test_flask_sqlalchemys_pagination_still_pages_through_its_hooks():
    for name in ("_query_items", "_query_count"):
        assert name in vars(Pagination), name
    source = inspect.getsource(Pagination.__init__)
    assert "_query_offset" in inspect.getsource(Pagination) and "_query_args" in source
    page = SlicedPagination(page=2, per_page=3, error_out=False,
                            fetch=lambda offset, limit: (list(range(offset, offset + limit)), 10))
    assert page.items == [3, 4, 5] and page.total == 10 and page.pages == 4 and page.has_next
