"""Accounts: registration, sign-in, reset, language; services first, then over HTTP."""
import re
from datetime import timedelta

import pytest
import time_machine

from portal.accounts import services
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.notifications.services import send_pending
from tests.factories import PASSWORD, UserFactory
from tests.helpers import csrf_token, post, sign_in


@pytest.mark.parametrize("raw, e164", [
    ("5123 4567", "+85251234567"),
    ("+852 9123-4567", "+85291234567"),
    ("0917 123 4567", "+639171234567"),        # Philippine local format
    ("+63 917 123 4567", "+639171234567"),
    ("0812-3456-7890", "+6281234567890"),      # Indonesian local format
    ("+62 812 3456 7890", "+6281234567890"),
])
def test_phone_numbers_are_stored_in_e164(raw, e164):
    assert services.normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "12", "hello", "+1", "5" * 40, "+852 1234"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(services.InvalidPhone):
        services.normalise_phone(raw)


def test_register_hashes_with_argon2id_and_audits(app):
    user = services.register("Maria", "a long password", phone="5123 4567", locale="fil")
    assert user.phone == "+85251234567" and user.locale == "fil" and user.role is None
    assert user.password_hash.startswith("$argon2id$")
    assert "a long password" not in user.password_hash
    assert db.session.query(AuditLog).filter_by(action="user.registered", entity_id=user.id).count() == 1


def test_register_refuses_duplicates_weak_passwords_and_no_contact(app):
    maria = services.register("Maria", "a long password", phone="5123 4567")
    maria.phone_confirmed_at = maria.created_at  # a number confirmed is taken (test_phone_numbers: one that is not)
    db.session.commit()
    with pytest.raises(services.AlreadyRegistered):
        services.register("Maria 2", "a long password", phone="+852 5123 4567")
    with pytest.raises(services.WeakPassword):
        services.register("Ana", "short", email="ana@example.org")
    with pytest.raises(services.NeedContact):
        services.register("Ana", "a long password")
    assert db.session.query(User).count() == 1


def test_sign_in_with_phone_or_email(app):
    user = services.register("Siti", "a long password", phone="0812 3456 7890", email="Siti@Example.org")
    assert services.authenticate("+62 812-3456-7890", "a long password") == user
    assert services.authenticate("siti@example.org", "a long password") == user
    with pytest.raises(services.BadCredentials):
        services.authenticate("siti@example.org", "wrong password")
    with pytest.raises(services.BadCredentials):
        services.authenticate("nobody@example.org", "a long password")


def test_reset_code_goes_through_the_outbox_in_the_users_language(app, sent):
    user = services.register("Siti", "a long password", phone="5123 4567", locale="id")
    services.send_phone_code(user)
    number_code = re.search(r"\b(\d{6})\b", db.session.query(OutboxMessage).one().body).group(1)
    services.confirm_phone(user, number_code)
    services.request_reset("5123 4567")
    msg = db.session.query(OutboxMessage).filter_by(kind="reset_code").one()
    assert msg.channel == "sms" and msg.to_address == "+85251234567" and msg.locale == "id"
    assert msg.sent_at is None
    code = re.search(r"\b(\d{6})\b", msg.body).group(1)
    assert "Siti" not in msg.body  # no more personal data than needed
    assert send_pending() == (2, 0) and len(sent) == 2
    with pytest.raises(services.BadResetCode):
        services.reset_password("5123 4567", "000000" if code != "000000" else "111111", "new long password")
    services.reset_password("5123 4567", code, "new long password")
    assert services.authenticate("5123 4567", "new long password") == user
    with pytest.raises(services.BadResetCode):  # one time only
        services.reset_password("5123 4567", code, "another long password")


def test_reset_code_expires(app):
    services.register("Siti", "a long password", email="siti@example.org")
    with time_machine.travel("2026-11-29 10:00 +0800", tick=False):
        services.request_reset("siti@example.org")
        code = re.search(r"\b(\d{6})\b", db.session.query(OutboxMessage).one().body).group(1)
    with time_machine.travel("2026-11-29 10:31 +0800", tick=False):
        with pytest.raises(services.BadResetCode):
            services.reset_password("siti@example.org", code, "new long password")


def test_reset_for_unknown_account_says_the_same_and_sends_nothing(client):
    response = post(client, "/auth/reset", {"identifier": "nobody@example.org"}, page="/auth/reset")
    assert response.status_code == 303
    assert db.session.query(OutboxMessage).count() == 0


def test_register_over_http_signs_in_and_sets_language(client):
    token = csrf_token(client, "/auth/register")
    response = client.post("/auth/register", data={
        "csrf_token": token, "name": "Ana", "phone": "0917 123 4567", "password": "a long password",
        "confirm": "a long password", "locale": "fil"})
    assert response.status_code == 303
    assert "lang=fil" in response.headers.get("Set-Cookie", "")
    page = client.get("/").get_data(as_text=True)
    assert 'lang="fil"' in page and "Ana" in page


def test_register_with_errors_answers_422_with_a_summary(client):
    token = csrf_token(client, "/auth/register")
    response = client.post("/auth/register", data={
        "csrf_token": token, "name": "", "phone": "12", "password": "short", "confirm": "other", "locale": "en"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="errors"' in html and "not a mobile number" in html
    assert db.session.query(User).count() == 0


def test_htmx_form_error_answers_only_the_form_block(client):
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"csrf_token": token, "identifier": "x", "password": "y"},
                           headers={"HX-Request": "true", "HX-Target": "form-block"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="form-block">') and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_sign_in_renews_the_session_and_remember_me_is_off(client):
    user = UserFactory()
    client.get("/auth/login")
    before = client.get_cookie("session").value
    response = sign_in(client, user)
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Expires" not in session_cookie  # ends with the browser
    assert client.get_cookie("session").value != before


def test_sign_out_works(client):
    sign_in(client, UserFactory())
    response = post(client, "/auth/logout")
    assert response.status_code == 303
    assert client.get("/auth/account").status_code == 302


def test_open_redirects_are_refused(client):
    user = UserFactory()
    token = csrf_token(client)
    response = client.post("/auth/login", data={"identifier": user.phone, "password": PASSWORD,
                                                "csrf_token": token, "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("header, expected", [
    ("id-ID,id;q=0.9,en;q=0.5", "id"), ("fil", "fil"), ("tl-PH,tl;q=0.9", "fil"), ("fr", "en"), ("", "en")])
def test_language_from_accept_language(client, header, expected):
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{expected}">' in html


def test_language_switch_cookie_then_users_choice(client):
    response = post(client, "/auth/language", {"locale": "id", "next": "/auth/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    assert '<html lang="id">' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    user = UserFactory(locale="fil")
    sign_in(client, user)
    assert '<html lang="fil">' in client.get("/").get_data(as_text=True)
    post(client, "/auth/language", {"locale": "en", "next": "/"})
    assert db.session.get(User, user.id).locale == "en"


def test_unknown_language_changes_nothing(client):
    response = post(client, "/auth/language", {"locale": "xx", "next": "/"})
    assert response.status_code == 303
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_expired_csrf_token_gets_a_clear_page(app, client):
    user = UserFactory()
    token = csrf_token(client)
    with time_machine.travel(timedelta(hours=9)):
        response = client.post("/auth/login", data={"identifier": user.phone, "password": PASSWORD,
                                                    "csrf_token": token})
    assert response.status_code in (400, 422)
    assert "expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("locale, example, other", [("id", "+62 812 3456 7890", "+63 917"),
                                                    ("fil", "+63 917 123 4567", "+62 812")])
def test_the_phone_example_is_of_the_readers_own_country(client, locale, example, other):
    html = client.get("/auth/register", headers={"Accept-Language": locale}).get_data(as_text=True)
    assert example in html and other not in html
    response = post(client, "/auth/register", {"name": "X", "phone": "12", "password": "a long password",
                                               "confirm": "a long password", "locale": locale},
                    page="/auth/register", headers={"Accept-Language": locale})
    assert example in response.get_data(as_text=True)


def test_the_reset_message_says_what_it_is_for(app):
    from portal.notifications.messages import MESSAGES
    assert str(MESSAGES["reset_code"][0]) == "Your code for a new password"
