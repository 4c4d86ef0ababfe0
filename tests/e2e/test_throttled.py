"""The journey with HTMX on a slow phone connection (400 ms latency, 400 kbit/s, by CDP network
emulation), with every submit button double-clicked: a double submit or a lost click shows up
as a second record, an error page, or a step that never completes."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.accounts.models import MissionRole, User
from portal.audit import AuditLog
from portal.extensions import db
from portal.organisations.models import Membership, Organisation
from tests.e2e import helpers

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"
THROTTLE = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}


def slow_page(browser):
    context = browser.new_context(viewport={"width": 393, "height": 851}, locale="en-GB")
    context.set_default_timeout(30_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", THROTTLE)
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("response", lambda r: r.status >= 400 and r.status != 422 and problems.append(f"{r.status} {r.url}"))
    return context, page, problems


def sign_in(page, base, who):
    helpers.sign_in(page, base, who, PASSWORD, double=True)


def sign_out(page):
    helpers.sign_out(page, double=True)


def create_account(page, base, name, phone):
    page.goto(f"{base}/auth/register")
    page.fill("#name", name)
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.locator("#form-block button").dblclick()
    expect(page.locator("nav").get_by_role("button", name="Sign out")).to_be_visible()


def test_double_clicks_on_a_slow_connection_do_each_thing_once(live_server, browser):
    base, app = live_server.url, live_server.app
    with app.app_context():
        from portal.accounts.services import register
        register("Mission Staff", PASSWORD, email="staff@example.org", role=MissionRole.STAFF)
        db.session.remove()
    context, page, problems = slow_page(browser)

    create_account(page, base, "Maria Santos", "5123 4001")
    page.goto(f"{base}/organisations/register")
    page.fill("#name", "Bayanihan Union")
    page.check("input[name=languages][value=fil]")
    page.fill("#meeting_place", "Chater Garden")
    page.fill("#contact", "5123 4001")
    page.fill("#membership_size", "40")
    page.locator("#form-block button").dblclick()
    expect(page).to_have_url(re.compile(r"/organisations/\d+$"))
    org_id = int(page.url.rsplit("/", 1)[1])
    sign_out(page)

    sign_in(page, base, "staff@example.org")
    page.goto(f"{base}/staff/organisations")
    page.locator(f"#org-{org_id} form[action$='/approve'] button").dblclick()
    expect(page.locator(f"#org-{org_id} .flash")).to_contain_text("was approved")
    sign_out(page)

    sign_in(page, base, "5123 4001")
    page.goto(f"{base}/organisations/{org_id}")
    code = page.locator(".code").inner_text().strip()
    sign_out(page)

    create_account(page, base, "Siti Rahayu", "5123 4002")
    page.goto(f"{base}/organisations/join")
    page.fill("#code", code)
    page.locator("#form-block button").dblclick()
    expect(page.locator(".flash")).to_contain_text("was sent")
    sign_out(page)

    sign_in(page, base, "5123 4001")
    page.goto(f"{base}/organisations/{org_id}")
    page.locator("#members form[action$='/accept'] button").dblclick()
    expect(page.locator("#members .flash")).to_contain_text("is now a member")
    context.close()

    with app.app_context():
        count = lambda model, *where: db.session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
        assert count(User) == 3
        assert count(Organisation) == 1
        assert count(Membership) == 2
        assert count(AuditLog, AuditLog.action == "organisation.approved") == 1
        assert count(AuditLog, AuditLog.action == "membership.accepted") == 1
        db.session.remove()
    assert problems == [], problems



def test_trainings_double_clicked_on_a_slow_connection(live_server, browser):
    """Book, cancel, book members and mark attendance, each double-clicked: each happens once and
    the person sees that it worked, not a complaint about the second click."""
    from portal.trainings.models import Booking, BookingState
    from tests.factories import PASSWORD as FACTORY_PASSWORD
    from tests.factories import MembershipFactory, OrganisationFactory, SessionFactory, StaffFactory, UserFactory
    base, app = live_server.url, live_server.app
    with app.app_context():
        org = OrganisationFactory()
        member = MembershipFactory(organisation=org).user
        ana, staff, ts = UserFactory(), StaffFactory(), SessionFactory(capacity=5)
        logins = {k: (u.email or u.phone) for k, u in dict(leader=org.created_by, ana=ana, staff=staff).items()}
        ana_id, member_id, member_name, session_id = ana.id, member.id, member.name, ts.id
        db.session.remove()
    url = f"{base}/trainings/{session_id}"
    context, page, problems = slow_page(browser)

    def login(who):
        helpers.sign_in(page, base, logins[who], FACTORY_PASSWORD, double=True)

    login("ana")
    page.goto(url)
    page.get_by_role("button", name="Book my place").dblclick()
    expect(page.locator(".flash").first).to_contain_text("You are booked")
    expect(page.locator(".flash.error")).to_have_count(0)
    page.get_by_role("link", name="Cancel my place").click()  # asked once, on a page of its own
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel your place on")
    page.get_by_role("button", name="Yes, cancel my place").dblclick()
    expect(page.locator(".flash").first).to_contain_text("The place is released")
    expect(page.locator(".flash.error")).to_have_count(0)
    sign_out(page)

    login("leader")
    page.goto(url)
    page.get_by_label(member_name).check()
    page.get_by_role("button", name="Book the chosen members").dblclick()
    expect(page.locator(".flash").first).to_contain_text("Booked:")
    expect(page.locator(".flash.error")).to_have_count(0)
    sign_out(page)

    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id).where(Booking.user_id == member_id))
        db.session.remove()
    login("staff")
    page.goto(f"{base}/staff/trainings/sessions/{session_id}/attendance")
    page.locator(f"#booking-{booking_id} button").first.dblclick()
    expect(page.locator(f"#booking-{booking_id} .tag")).to_have_text("Attended")
    context.close()

    with app.app_context():
        rows = db.session.scalars(select(Booking).order_by(Booking.id)).all()
        assert [(b.user_id, b.state) for b in rows] == [(ana_id, BookingState.CANCELLED),
                                                        (member_id, BookingState.ATTENDED)]
        count = lambda action: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(AuditLog).where(AuditLog.action == action))
        assert (count("booking.booked"), count("booking.cancelled"), count("booking.attended")) == (2, 1, 1)
        db.session.remove()
    assert problems == [], problems
