"""Every HTMX answer carries its messages where she tapped (portal.web.render puts them in the block)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.trainings.models import Booking, BookingState
from tests.e2e.helpers import sign_in
from tests.factories import SessionFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("js_enabled", [True], ids=["js"])
def test_a_refused_attendance_tap_says_why_in_its_row(live_server, page, watch, js_enabled):
    base, app = live_server.url, live_server.app
    with app.app_context():
        staff = StaffFactory()
        ts = SessionFactory(capacity=5, taken=1)
        booking = Booking(session_id=ts.id, user_id=UserFactory(name="Dewi Lestari").id, state=BookingState.BOOKED)
        db.session.add(booking)
        db.session.commit()
        ids, login = (ts.id, booking.id), staff.email
        db.session.remove()
    sign_in(page, base, login)
    page.goto(f"{base}/staff/trainings/sessions/{ids[0]}/attendance")
    row = page.locator(f"#booking-{ids[1]}")
    expect(row).to_contain_text("Dewi Lestari")
    with app.app_context():  # she cancels while staff has the list open
        db.session.get(Booking, ids[1]).state = BookingState.CANCELLED
        db.session.commit()
        db.session.remove()
    row.get_by_role("button", name="Here", exact=True).click()
    expect(row.locator(".flash.error")).to_contain_text("already changed")
    assert watch.problems == []
