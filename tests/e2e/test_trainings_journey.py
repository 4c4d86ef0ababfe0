"""The trainings journey in Chromium, JavaScript on and off: a member books; a leader books two
members and the session is full; a third person joins the waiting list; a booked member cancels;
the third person takes the offered place; staff marks attendance on a 360 px screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.extensions import db
from portal.trainings.models import Booking, BookingState, TrainingSession
from tests.e2e.helpers import sign_in, sign_out
from tests.factories import MembershipFactory, OrganisationFactory, SessionFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.browser


def test_book_fill_wait_cancel_offer_attend(live_server, page, watch, js_enabled):
    base, app = live_server.url, live_server.app
    with app.app_context():
        org = OrganisationFactory()
        m1, m2 = MembershipFactory(organisation=org).user, MembershipFactory(organisation=org).user
        ana, joy, staff = UserFactory(name="Ana Reyes"), UserFactory(name="Joy Cruz"), StaffFactory()
        ts = SessionFactory(capacity=3)
        logins = {k: (u.email or u.phone) for k, u in
                  dict(leader=org.created_by, ana=ana, joy=joy, staff=staff).items()}
        names = {"m1": m1.name, "m2": m2.name}
        session_url = f"{base}/trainings/{ts.id}"
        session_id = ts.id
        db.session.remove()

    # A member books herself.
    sign_in(page, base, logins["ana"])
    page.goto(f"{base}/trainings/")
    page.locator(f"a[href='/trainings/{session_id}']").first.click()
    page.get_by_role("button", name="Book my place").click()
    expect(page.locator(".flash").first).to_contain_text("You are booked")
    sign_out(page)

    # The leader books two members; the session is now full.
    sign_in(page, base, logins["leader"])
    page.goto(session_url)
    page.get_by_label(names["m1"]).check()
    page.get_by_label(names["m2"]).check()
    page.get_by_role("button", name="Book the chosen members").click()
    expect(page.locator(".flash").first).to_contain_text("Booked:")
    expect(page.locator(".facts.brief")).to_contain_text("Full")
    sign_out(page)

    # A third person joins the waiting list.
    sign_in(page, base, logins["joy"])
    page.goto(session_url)
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.locator("#my-place")).to_contain_text("number 1 on the waiting list")
    sign_out(page)

    # A booked member cancels: the place is offered to the first in line.
    sign_in(page, base, logins["ana"])
    page.goto(session_url)
    page.get_by_role("link", name="Cancel my place").click()
    # Asked once: "No, keep my place" keeps it; "Yes" gives it back.
    page.get_by_role("link", name="No, keep my place").click()
    expect(page.locator("#my-place")).to_contain_text("You are booked")
    page.get_by_role("link", name="Cancel my place").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel your place on")
    page.get_by_role("button", name="Yes, cancel my place").click()
    expect(page.locator(".flash").first).to_contain_text("released")
    # Held for the first in line at once: not hers to take back (it would be, were nobody waiting).
    expect(page.get_by_role("button", name="Take my place back")).to_have_count(0)
    sign_out(page)

    sign_in(page, base, logins["joy"])
    page.goto(session_url)
    expect(page.locator("#my-place")).to_contain_text("A place is held for you")
    page.get_by_role("button", name="Take the place").click()
    expect(page.locator("#my-place")).to_contain_text("You are booked")
    sign_out(page)

    # Staff marks attendance on a small phone.
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, base, logins["staff"])
    page.goto(f"{base}/staff/trainings/sessions/{session_id}/attendance")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    row = page.locator("li").filter(has_text="Joy Cruz")
    row.get_by_role("button", name="Here", exact=True).click()
    expect(page.locator("li").filter(has_text="Joy Cruz").locator(".tag")).to_have_text("Attended")
    chosen = page.locator("li").filter(has_text="Joy Cruz").get_by_role("button", name="✓ Here")
    expect(chosen).to_have_attribute("aria-pressed", "true")  # the chosen state, beyond doubt
    expect(chosen).to_have_class("chosen")

    with app.app_context():
        states = dict(db.session.execute(select(Booking.user_id, Booking.state)
                                         .where(Booking.session_id == session_id)).all())
        taken = db.session.scalar(select(TrainingSession.taken).where(TrainingSession.id == session_id))
        booked = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.session_id == session_id, Booking.state.in_([BookingState.BOOKED, BookingState.ATTENDED])))
        db.session.remove()
    assert taken == 3 and booked == 3
    assert BookingState.CANCELLED in states.values() and BookingState.ATTENDED in states.values()
    assert watch.problems == [], watch.problems
