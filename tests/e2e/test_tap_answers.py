"""A tap that always answers (issue 16), in Chromium with JavaScript on, in Filipino and Indonesian: while an
HTMX request is under way its button is busy and disabled and the region it changes says aria-busy; when
the answer is one that is not swapped (500, 403), or none comes (the network cut, the timeout), she is told
in her language what happened and whether anything was saved, what she typed stays, and "Try again" sends
it again. (With JavaScript off the forms are plain forms: nothing of this applies.)"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.helpers import sign_in
from tests.e2e.test_campaigns_journey import words
from tests.factories import SessionFactory, UserFactory

pytestmark = pytest.mark.browser


def answering(status):
    """A route handler: the form's POST answered with `status`, anything else as the portal answers it."""
    def handler(route):
        if route.request.method == "POST":
            route.fulfill(status=status, body="no")
        else:
            route.continue_()
    return handler


@pytest.mark.parametrize("lang", ["fil", "id"])
def test_every_failure_is_told_and_what_she_typed_stays(live_server, browser, lang):
    base, app = live_server.url, live_server.app
    t, _n = words(app, lang)
    app.config["HTMX_TIMEOUT_MS"] = 2500  # short, for the test; a phone's is 20 s
    with app.app_context():
        user = UserFactory(name="Dewi", locale=lang)
        login = user.phone
        db.session.commit()
        db.session.remove()
    context = browser.new_context(java_script_enabled=True, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, base, login)
        page.goto(f"{base}/auth/phone")
        page.locator("#phone").fill("5123 7777")
        page.locator("#current").fill("what she typed")
        send = page.get_by_role("button", name=t("Send the code"))
        note = page.locator(".tap-error")

        def typed_stays():
            expect(page.locator("#phone")).to_have_value("5123 7777")
            expect(page.locator("#current")).to_have_value("what she typed")

        # A server that fails, then one that refuses: told which, nothing saved, her text kept.
        for status, message in ((500, "Something went wrong on our side. Nothing was saved. Try again in a moment."),
                                (403, "This was not allowed: perhaps you were signed out. Nothing was changed.")):
            page.route("**/auth/phone", answering(status))
            send.click()
            expect(note).to_contain_text(t(message))
            expect(note.get_by_role("button", name=t("Try again"))).to_be_visible()
            typed_stays()
            page.unroute("**/auth/phone")

        # No answer in time: while waiting the button is busy and disabled and the form's region aria-busy.
        held = []
        page.route("**/auth/phone", lambda route: held.append(route) if route.request.method == "POST"
                   else route.continue_())
        send.click()
        expect(note).to_have_count(0)  # the last message goes when she taps again
        expect(send).to_be_disabled()
        expect(send).to_have_class("busy")
        expect(page.locator("#form-block")).to_have_attribute("aria-busy", "true")
        expect(note).to_contain_text(
            t("No answer came in time: this may not have been saved. Look at the page again before you try again."))
        expect(send).to_be_enabled()
        expect(page.locator("#form-block")).not_to_have_attribute("aria-busy", "true")
        typed_stays()
        page.unroute("**/auth/phone")  # (the held request is let go with it)
        assert len(held) == 1

        # The network cut: nothing sent; back online, "Try again" sends the same form, and its real answer
        # (her password was wrong) comes in her language.
        context.set_offline(True)
        send.click()
        expect(note).to_contain_text(t("No connection: nothing was sent. Try again when you have signal."))
        typed_stays()
        context.set_offline(False)
        note.get_by_role("button", name=t("Try again")).click()
        expect(note).to_have_count(0)
        expect(page.locator(".errors")).to_contain_text(t("This is not your current password."))
        expect(page.locator("#phone")).to_have_value("5123 7777")
    finally:
        context.close()


def test_a_plain_form_shows_the_tap_was_taken_and_is_sent_once(live_server, browser):
    """A form that loads a new page (no HTMX) on a slow link: its button turns busy at once, and a second
    tap while the page loads sends nothing more."""
    base, app = live_server.url, live_server.app
    t, _n = words(app, "id")
    with app.app_context():
        user = UserFactory(locale="id")
        login, ts_id = user.phone, SessionFactory().id
        db.session.commit()
        db.session.remove()
    context = browser.new_context(java_script_enabled=True, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, base, login)
        page.goto(f"{base}/trainings/{ts_id}")
        sent = []

        def no_content(route):  # the server's answer has not come: the page stays, as on a slow link
            if route.request.method == "POST":
                sent.append(route.request.url)
                route.fulfill(status=204, body="")
            else:
                route.continue_()
        page.route("**/book", no_content)
        book = page.get_by_role("button", name=t("Book my place"))
        book.click()
        expect(book).to_have_class("busy")
        expect(book).to_have_attribute("aria-disabled", "true")
        book.click(force=True)  # she taps again while she waits
        page.wait_for_timeout(300)
        assert len(sent) == 1
        page.unroute("**/book")
        page.reload()  # a new page: nothing busy, and the form is sent for real
        expect(book).not_to_have_class("busy")
        book.click()
        expect(page.locator(".flash")).to_contain_text(t("You are booked. See you there!"))
    finally:
        context.close()
