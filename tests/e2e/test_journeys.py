"""The organisation journey in a real browser, with JavaScript on (HTMX) and off (plain forms).

A leader creates an account and registers her organisation; Mission staff approves it; the leader
reads the join code; a second person asks to join with it; the leader accepts her. Every page must
load without a console error (a Content-Security-Policy violation is one) and without a 4xx/5xx.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.accounts.models import MissionRole, User
from portal.extensions import db
from portal.organisations.models import Membership, Organisation

pytestmark = pytest.mark.browser

PASSWORD = "a long enough passphrase"
STAFF_EMAIL = "staff@mission.example.org"
LEADER = {"name": "Maria Santos", "phone": "5123 4001", "e164": "+85251234001"}
MEMBER = {"name": "Siti Rahayu", "phone": "5123 4002", "e164": "+85251234002"}
ORG_NAME = "Bayanihan Domestic Workers Union"


def main(page: Page):
    """The page's own content, not the nav or the footer's language form."""
    return page.locator("#main")


def expect_flash(page: Page, text: str, scope: str = "body"):
    """The message is shown, once: the same flash twice on a page is a bug."""
    flash = page.locator(f"{scope} .flash").filter(has_text=text)
    expect(flash.first).to_be_visible()
    expect(flash, f"the message {text!r} is shown more than once").to_have_count(1, timeout=2_000)


def sign_out(page: Page):
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()
    expect_flash(page, "You are signed out.")


def sign_in(page: Page, base: str, identifier: str):
    page.goto(f"{base}/auth/login")
    form = main(page)
    form.get_by_label("Mobile number or e-mail", exact=True).fill(identifier)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")).to_be_visible()


def create_account(page: Page, base: str, person: dict):
    page.goto(f"{base}/auth/register")
    form = main(page)
    form.get_by_label("Your name", exact=True).fill(person["name"])
    form.get_by_label("Mobile number", exact=True).fill(person["phone"])
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Password again", exact=True).fill(PASSWORD)
    form.get_by_label("Language", exact=True).select_option("en")
    form.get_by_role("button", name="Create account").click()
    expect_flash(page, "Welcome! Your account is ready.")
    expect(page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")).to_be_visible()


def open_my_organisation(page: Page, base: str):
    page.goto(f"{base}/organisations/")
    main(page).get_by_role("link", name=ORG_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORG_NAME)


def member_row(page: Page, name: str):
    return page.locator("#members li").filter(has_text=name)


def test_register_approve_join_accept(live_server, page: Page, watch, js_enabled: bool):
    base, app = live_server.url, live_server.app
    with app.app_context():
        from portal.accounts.services import register
        register("Mission Staff", PASSWORD, email=STAFF_EMAIL, role=MissionRole.STAFF)
        db.session.remove()

    navigations: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(frame.url))

    # 1. The leader creates her account, registers the organisation and sees that it waits.
    create_account(page, base, LEADER)
    page.goto(f"{base}/organisations/register")
    form = main(page)
    form.get_by_label("Name of the organisation", exact=True).fill(ORG_NAME)
    form.get_by_label("Community", exact=True).select_option(label="Filipino")
    form.get_by_role("checkbox", name="English", exact=True).check()
    form.get_by_role("checkbox", name="Filipino / Tagalog", exact=True).check()
    form.get_by_label("District of the usual Sunday meeting place", exact=True).select_option(
        label="Central and Western")
    form.get_by_label("Usual Sunday meeting place", exact=True).fill("Chater Garden, Central")
    form.get_by_label("Contact for the Mission (mobile or e-mail)", exact=True).fill("+852 5123 4001")
    form.get_by_label("About how many members?", exact=True).fill("35")
    form.get_by_role("button", name="Send the registration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ORG_NAME)
    expect_flash(page, "The Mission will look at your registration")
    expect(main(page).locator(".tag").first).to_have_text("Waiting for approval")
    expect(page).to_have_url(re.compile(r"/organisations/\d+$"))
    org_id = int(page.url.rsplit("/", 1)[1])
    sign_out(page)

    # 2. Mission staff approves it from the queue.
    sign_in(page, base, STAFF_EMAIL)
    page.goto(f"{base}/staff/organisations")
    card = page.locator(f"#org-{org_id}")
    expect(card).to_contain_text(ORG_NAME)
    queue_url = page.url
    before = len(navigations)
    with page.expect_response(lambda r: r.url.endswith(f"/staff/organisations/{org_id}/approve")) as answer:
        card.get_by_role("button", name="Approve").click()
    request = answer.value.request
    if js_enabled:
        # An HTMX swap of the card: no page load, the card itself says what happened.
        assert request.headers.get("hx-request") == "true"
        assert not request.is_navigation_request()
        expect_flash(page, f"{ORG_NAME} was approved.", scope=f"#org-{org_id}")
        expect(card.locator(".tag")).to_have_text("Approved")
        expect(card.get_by_role("button", name="Approve")).to_have_count(0)
        assert page.url == queue_url
        assert len(navigations) == before, f"the page navigated: {navigations[before:]}"
    else:
        # A plain POST answered by a redirect back to the queue, with the message at the top.
        assert request.is_navigation_request()
        assert answer.value.status == 303
        expect_flash(page, f"{ORG_NAME} was approved.")
        expect(page).to_have_url(re.compile(r"/staff/organisations"))
        expect(card).to_have_count(0)  # no longer pending
    sign_out(page)

    # 3. The leader reads the join code on her organisation's page.
    sign_in(page, base, LEADER["phone"])
    open_my_organisation(page, base)
    code = page.locator(".code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4,20}", code), code
    sign_out(page)

    # 4. A second person creates an account and asks to join with the code.
    create_account(page, base, MEMBER)
    page.goto(f"{base}/organisations/join")
    main(page).get_by_label("Join code", exact=True).fill(code)
    main(page).get_by_role("button", name="Ask to join").click()
    expect_flash(page, f"Your request to join {ORG_NAME} was sent.")
    expect(main(page).locator(".card").filter(has_text=ORG_NAME)).to_contain_text("Waiting for the leader")
    sign_out(page)

    # 5. The leader accepts her.
    sign_in(page, base, LEADER["phone"])
    open_my_organisation(page, base)
    members = page.get_by_role("heading", name="Members")
    expect(members).to_be_visible()
    row = member_row(page, MEMBER["name"])
    expect(row).to_contain_text("Wants to join")
    org_url = page.url
    before = len(navigations)
    with page.expect_response(lambda r: re.search(r"/members/\d+/accept$", r.url) is not None) as answer:
        row.get_by_role("button", name="Accept").click()
    request = answer.value.request
    if js_enabled:
        assert request.headers.get("hx-request") == "true"
        assert not request.is_navigation_request()
        expect_flash(page, f"{MEMBER['name']} is now a member.", scope="#members")
        assert page.url == org_url
        assert len(navigations) == before, f"the page navigated: {navigations[before:]}"
    else:
        assert request.is_navigation_request()
        assert answer.value.status == 303
        expect_flash(page, f"{MEMBER['name']} is now a member.")
    row = member_row(page, MEMBER["name"])
    expect(row).to_have_count(1, timeout=2_000)
    expect(row.locator(".tag")).to_have_text(["Member"])  # the "Wants to join" tag is gone
    expect(row.get_by_role("button", name="Accept")).to_have_count(0)
    sign_out(page)

    # 6. The database agrees, and no page logged an error.
    with app.app_context():
        state = db.session.scalar(
            select(Membership.state).join(User, Membership.user_id == User.id)
            .join(Organisation, Membership.organisation_id == Organisation.id)
            .where(User.phone == MEMBER["e164"], Organisation.name == ORG_NAME))
        db.session.remove()
    assert state == "active"
    assert watch.problems == [], "\n".join(watch.problems)
