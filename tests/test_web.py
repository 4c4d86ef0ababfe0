"""What every page promises: headers, error pages, health, no 500s, budgets."""
import gzip
import re

import pytest
from sqlalchemy import select

from portal.organisations.models import Organisation
from tests.factories import OrganisationFactory, StaffFactory, UserFactory
from tests.helpers import csrf_token, post, sign_in


def test_security_headers_on_every_response(client):
    for url in ("/", "/auth/login", "/nope", "/healthz", "/static/css/app.css"):
        with client.get(url) as response:
            h = response.headers
        csp = h["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert h["X-Frame-Options"] == "DENY"
        assert h["Referrer-Policy"] == "same-origin"
        assert h["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_and_csrf_header_for_htmx(client):
    html = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " on" not in re.sub(r'"[^"]*"', "", "".join(re.findall(r"<[^>]+>", html))).replace(" only", "")
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_every_page_has_a_neutral_title_and_quick_exit(client):
    for url in ("/", "/auth/login", "/auth/register", "/organisations/register", "/nope"):
        html = client.get(url).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert title.endswith("· Portal") and "migrant" not in title.lower() and "crisis" not in title.lower()
        assert 'id="quick-exit"' in html


@pytest.mark.parametrize("locale, text", [("en", "Page not found"), ("id", None), ("fil", None)])
def test_error_pages_in_the_users_language(client, locale, text):
    response = client.get("/no-such-page", headers={"Accept-Language": locale})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f'<html lang="{locale}">' in html
    if text:
        assert text in html
    else:
        assert "Page not found" not in html


def test_405_413_and_bad_ids_get_pages_not_500(client):
    assert client.put("/auth/login").status_code == 405
    assert client.get("/organisations/99999999999999999999").status_code in (302, 404)
    big = "x" * (3 * 1024 * 1024)
    assert client.post("/auth/login", data={"identifier": big}).status_code == 413


def test_missing_csrf_is_refused_with_a_clear_message(client):
    user = UserFactory()
    response = client.post("/auth/language", data={"locale": "fil", "next": "/"})
    assert response.status_code == 400
    response = client.post("/auth/login", data={"identifier": user.phone, "password": "x"})
    assert response.status_code in (400, 422) and "expired" in response.get_data(as_text=True)


def test_unexpected_errors_answer_500_in_language_without_leaking(app, client, caplog):
    @app.get("/boom")
    def boom():
        detail = "+852 5123 " + str(4000 + 567)  # data known only at run time, as a person's would be
        raise RuntimeError(detail)
    response = client.get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "4567" not in response.get_data(as_text=True)
    assert "5123 4567" not in caplog.text and "RuntimeError" in caplog.text


def test_healthz(app, client, monkeypatch):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}

    from portal.extensions import db

    def down(*a, **k):
        raise ConnectionError("database down")
    monkeypatch.setattr(db.session, "execute", down)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "error"


def test_hostile_text_is_stored_and_shown_escaped(app, client):
    leader = UserFactory()
    sign_in(client, leader)
    hostile = '<script>alert(1)</script>\'";--\u202e\u200b\x00 🙂'
    data = dict(name=hostile, community="filipino", languages=["fil"], district="wan_chai",
                meeting_place=hostile, contact=hostile, membership_size="12", description=hostile)
    response = post(client, "/organisations/register", data, page="/organisations/register")
    assert response.status_code == 303
    from portal.extensions import db
    org = db.session.scalars(select(Organisation)).one()
    assert "\x00" not in org.name and "<script>" in org.name
    for url in (f"/organisations/{org.id}", "/organisations/", "/"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.parametrize("bad", ["abc", "-5", "0", "1e309", "99999999999999999999999", ""])
def test_wrong_types_get_422_and_change_nothing(app, client, bad):
    sign_in(client, UserFactory())
    data = dict(name="Samahan", community="filipino", languages=["fil"], district="wan_chai",
                meeting_place="Park", contact="x", membership_size=bad)
    response = post(client, "/organisations/register", data, page="/organisations/register")
    assert response.status_code == 422
    from portal.extensions import db
    assert db.session.scalars(select(Organisation)).first() is None


def test_choices_outside_the_list_are_refused(app, client):
    sign_in(client, UserFactory())
    data = dict(name="Samahan", community="martian", languages=["klingon"], district="mars",
                meeting_place="Park", contact="x", membership_size=3)
    response = post(client, "/organisations/register", data, page="/organisations/register")
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, 6))


@pytest.mark.parametrize("url", ["/", "/auth/login", "/organisations/register"])
def test_html_budget_14kb_compressed(client, url):
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    assert len(response.data) <= 14 * 1024


def test_stylesheet_budget_5kb_compressed(client):
    response = client.get("/static/css/app.css")
    assert _gzip_size(response.data) <= 5 * 1024


def test_htmx_is_served_compressed_with_a_long_cache_life(client):
    html = client.get("/").get_data(as_text=True)
    src = re.search(r'src="(/static/vendor/htmx\.min\.js\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(src, headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") in ("br", "gzip")
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert len(response.data) < 20 * 1024


def test_htmx_answer_carries_only_its_block(app, client):
    OrganisationFactory(state="pending")
    sign_in(client, StaffFactory())
    full = client.get("/staff/organisations").get_data(as_text=True)
    part = client.get("/staff/organisations", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in full and "<html" not in part and "<nav" not in part
    assert len(part) < len(full) / 2


def test_login_form_has_csrf_token(client):
    assert csrf_token(client, "/auth/login")


def test_dates_show_in_hong_kong_time(app, client):
    from datetime import datetime, timezone
    org = OrganisationFactory(state="pending", created_at=datetime(2026, 11, 28, 20, 30, tzinfo=timezone.utc))
    sign_in(client, StaffFactory())
    html = client.get("/staff/organisations").get_data(as_text=True)
    assert org.name in html and "Nov 29, 2026" in html  # 04:30 on the 29th in Hong Kong


@pytest.mark.parametrize("locale", ["fil", "id"])
def test_wtforms_own_messages_are_in_the_users_language(app, client, locale):
    sign_in(client, UserFactory(locale=locale))
    data = dict(name="x" * 151, community="martian", languages=["fil"], district="wan_chai",
                meeting_place="Park", contact="x", membership_size="abc")
    html = post(client, "/organisations/register", data, page="/organisations/register").get_data(as_text=True)
    for english in ("Not a valid choice", "Not a valid integer", "Field cannot be longer"):
        assert english not in html
    assert 'class="errors"' in html and html.count('class="err"') >= 2


@pytest.mark.parametrize("url", ["/organisations/99999999999999999999", "/organisations/2147483648",
                                 "/trainings/9223372036854775807", "/materials/99999999999999999999",
                                 "/trainings/?page=99999999999999999999", "/staff/organisations?page=2147483648"])
def test_numbers_beyond_the_databases_range_are_pages_not_found(client, url):
    """Signed in, so that the number reaches the database (SQLite cannot be asked it at all)."""
    sign_in(client, StaffFactory())
    assert client.get(url).status_code in (200, 404)


@pytest.mark.parametrize("locale, written", [("fil", "Linggo, Disyembre 6, 10:00"), ("id", "Minggu 6 Desember, 10:00"),
                                             ("en", "Sunday 6 December, 10:00")])
def test_dates_are_written_as_each_language_writes_them(app, client, locale, written):
    """Filipinos write the month first; Indonesians and Hong Kong's English the day first."""
    from datetime import datetime, timezone
    from tests.factories import SessionFactory
    ts = SessionFactory(starts_at=datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc),
                        ends_at=datetime(2026, 12, 6, 5, 0, tzinfo=timezone.utc))
    html = client.get(f"/trainings/{ts.id}", headers={"Accept-Language": locale}).get_data(as_text=True)
    assert written in html
