"""A shared phone, in Chromium, JavaScript on and off, in Filipino: she signs in with "keep me signed in",
reads her trainings, then signs out (or uses the quick exit). The next person who opens the portal, or
presses Back, sees nothing of hers: not her name, not her bookings, and she is not signed in."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.trainings import services as trainings
from tests.e2e.helpers import SIGN_OUT
from tests.factories import PASSWORD, SessionFactory, UserFactory

pytestmark = pytest.mark.browser

NAME = "Rosalinda Bautista"
COURSE = "Mga karapatan sa trabaho"


def her_booking(app):
    with app.app_context():
        user = UserFactory(name=NAME, locale="fil")
        ts = SessionFactory(capacity=5)
        ts.course.texts[0].title = COURSE
        db.session.commit()
        trainings.book(user, ts, user)
        login = user.phone
        db.session.remove()
    return login


def sign_in_remembered(page, base, login):
    page.goto(f"{base}/auth/login")
    page.fill("#identifier", login)
    page.fill("#password", PASSWORD)
    page.check("#remember")
    page.locator("#form-block button").click()
    expect(page.locator(SIGN_OUT)).to_be_visible()


def nothing_of_hers(page):
    """The page shown has neither her name nor her training, and no one is signed in on it."""
    page.wait_for_load_state()
    html = page.content()
    assert NAME not in html and COURSE not in html, page.url
    expect(page.locator(SIGN_OUT)).to_have_count(0)


def the_next_person_finds_nothing(context, base):
    assert not [c for c in context.cookies() if c["name"] == "remember_token"]
    other = context.new_page()
    other.goto(f"{base}/")
    nothing_of_hers(other)
    other.goto(f"{base}/trainings/mine")
    assert "/auth/login" in other.url
    nothing_of_hers(other)


def test_sign_out_leaves_nothing_of_hers(live_server, context, page, watch):
    base = live_server.url
    login = her_booking(live_server.app)
    sign_in_remembered(page, base, login)
    page.goto(f"{base}/trainings/mine")
    expect(page.locator("#main")).to_contain_text(COURSE)
    page.locator(SIGN_OUT).click()
    expect(page.locator("nav a[href^='/auth/login']")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("Naka-sign out ka na.")
    for _ in range(2):  # Back, and Back again
        page.go_back()
        nothing_of_hers(page)
    the_next_person_finds_nothing(context, base)
    assert watch.problems == []


def test_quick_exit_leaves_nothing_of_hers(live_server, context, page, watch):
    base = live_server.url
    live_server.app.config["QUICK_EXIT_URL"] = f"{base}/healthz"  # the harmless page (no internet here)
    login = her_booking(live_server.app)
    sign_in_remembered(page, base, login)
    page.goto(f"{base}/trainings/mine")
    expect(page.locator("#main")).to_contain_text(COURSE)
    exit_button = page.locator("#quick-exit")
    expect(exit_button).to_have_text("Umalis agad")
    box = exit_button.bounding_box()
    assert box["height"] >= 44
    page.mouse.wheel(0, 2000)  # it stays in view while she scrolls
    expect(exit_button).to_be_in_viewport()
    exit_button.click()
    page.wait_for_url(f"{base}/healthz")
    for _ in range(2):
        page.go_back()
        if page.url == "about:blank":
            break
        nothing_of_hers(page)
    the_next_person_finds_nothing(context, base)
    assert [p for p in watch.problems if "/favicon.ico" not in p] == []  # the JSON page has no icon
