"""The first screen of a phone (issue 16), 360 x 740, JavaScript on (in Filipino) and off (in Indonesian): the
menu folds into one line and opens without JavaScript; the catalogue's filters are folded so that the first
training is on the first screen, and say how many are in use once she uses one; a session's "Book my place"
is on the first screen even under a long description."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from tests.e2e.helpers import sign_in
from tests.e2e.test_campaigns_journey import words
from tests.factories import CourseFactory, SessionFactory, UserFactory, future

pytestmark = pytest.mark.browser
SCREEN = {"width": 360, "height": 740}


def test_the_first_screen_holds_what_she_came_for(live_server, page, watch, js_enabled):
    base, app = live_server.url, live_server.app
    lang = "fil" if js_enabled else "id"
    t, n = words(app, lang)
    with app.app_context():
        user = UserFactory(name="Lorna", locale=lang)
        long_text = " ".join(["What the law says about your contract, your rest day and your wages."] * 8)
        course = CourseFactory(title="Alamin ang iyong kontrata", language=lang)
        course.texts[0].description = long_text
        ts = SessionFactory(course=course, starts_at=future(6), ends_at=future(6, 12), venue="Bayanihan Centre")
        for i in range(4):
            SessionFactory(course=CourseFactory(title=f"Training {i}", language=lang),
                           starts_at=future(8 + i), ends_at=future(8 + i, 12))
        login, session_id = user.phone, ts.id
        db.session.commit()
        db.session.remove()
    page.set_viewport_size(SCREEN)
    sign_in(page, base, login)

    page.goto(f"{base}/trainings/")
    nav = page.locator("nav.nav").bounding_box()
    # The header (brand and quick exit, then the menu) takes at most a fifth of the screen: seven links took 29 %.
    assert nav["y"] + nav["height"] <= SCREEN["height"] / 5, nav
    first = page.locator("#results .card").first.bounding_box()
    assert first["y"] + 40 <= SCREEN["height"], first  # the first training shows without scrolling
    fold = page.locator("details.fold")
    expect(fold).not_to_have_attribute("open", "")
    fold.locator("summary").click()
    page.locator("#programme").select_option("leap")
    if not js_enabled:
        page.get_by_role("button", name=t("Show")).click()
    expect(page).to_have_url(re.compile(r"programme=leap"))
    expect(page.locator("details.fold summary")).to_contain_text(n("%(num)d in use", "%(num)d in use", 1))
    if not js_enabled:  # a page loaded with a filter in use has its filters open
        expect(page.locator("details.fold")).to_have_attribute("open", "")

    page.goto(f"{base}/trainings/{session_id}")
    book = page.get_by_role("button", name=t("Book my place"))
    box = book.bounding_box()
    assert box["y"] + box["height"] <= SCREEN["height"], box  # above the long description

    # The menu folds the rest: it opens with a tap, JavaScript or not.
    mine = page.locator("nav .menu-links a", has_text=t("My trainings"))
    expect(mine).to_be_hidden()
    page.locator("nav .menu summary").click()
    expect(mine).to_be_visible()
    mine.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My trainings"))
    assert watch.problems == [], watch.problems
