"""Weight budget, measured in Chromium from CDP's encodedDataLength (headers count):
a first visit (all requests, compressed) at most 30 KB, a repeat visit at most 8 KB, the HTML at
most 14 KB, every HTMX answer at most 4 KB."""
from __future__ import annotations

import re

import pytest
from flask import url_for

from tests.e2e.helpers import settled
from tests.factories import PASSWORD
from tests.test_access import World

pytestmark = pytest.mark.browser
KB = 1024
FIRST, REPEAT, HTML, HTMX = 30 * KB, 8 * KB, 14 * KB, 4 * KB


class Wire:
    """Bytes on the wire per request of one page, from the DevTools protocol."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.requests: dict[str, dict] = {}
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.loadingFailed", self._finished)

    def _sent(self, e):
        self.requests[e["requestId"]] = {"url": e["request"]["url"], "bytes": 0,
                                         "htmx": e["request"]["headers"].get("HX-Request") == "true"}

    def _response(self, e):
        r = self.requests.setdefault(e["requestId"], {"url": e["response"]["url"], "bytes": 0, "htmx": False})
        r["type"], r["cached"] = e["type"], e["response"].get("fromDiskCache") or e["response"].get(
            "fromMemoryCache", False)

    def _finished(self, e):
        if e["requestId"] in self.requests:
            self.requests[e["requestId"]]["bytes"] = e.get("encodedDataLength", 0)
            self.requests[e["requestId"]]["done"] = True

    def settle(self, page, seconds: float = 5.0):
        """Wait for the DevTools events of every request seen so far: they arrive after the page's own
        load event, and a size read before its loadingFinished would be 0 (or too small)."""
        for _ in range(int(seconds / 0.025)):
            if all(r.get("done") for r in self.requests.values()):
                return
            page.wait_for_timeout(25)  # lets the sync API deliver the pending events

    def reset(self):
        self.requests.clear()

    def total(self):
        return sum(r["bytes"] for r in self.requests.values())

    def document(self):
        return sum(r["bytes"] for r in self.requests.values() if r.get("type") == "Document")


def sign_in_api(context, base, login):
    """Sign in without loading any page, so that the first visit measured is really cold."""
    html = context.request.get(f"{base}/auth/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = context.request.post(f"{base}/auth/login", form={"identifier": login, "password": PASSWORD,
                                                                "csrf_token": token}, max_redirects=0)
    assert response.status == 303


PAGES = {
    "anonymous": ["main.home", "accounts.login", "accounts.register", "organisations.register",
                  "accounts.reset_request", "trainings.catalogue", "trainings.show", "materials.index",
                  "materials.show", "directory.index", "directory.show", "campaigns.index", "campaigns.campaign",
                  "campaigns.shift"],
    "member": ["main.home", "organisations.mine", "organisations.show", "organisations.join", "accounts.account",
               "accounts.messages",
               "trainings.catalogue", "trainings.show", "trainings.mine", "campaigns.index", "campaigns.shift",
               "campaigns.mine"],
    "leader": ["organisations.show", "organisations.edit", "trainings.outreach", "trainings.request_outreach",
               "referrals.index", "referrals.start", "referrals.step", "referrals.show"],
    "staff": ["staff.dashboard", "staff.queue", "trainings_staff.sessions", "trainings_staff.attendance",
              "trainings_staff.outreach_requests", "referrals_staff.queue", "campaigns_staff.campaigns",
              "campaigns_staff.new_shift"],
    "supervisor": ["referrals_staff.case"],
}


def test_weight_of_every_main_page(live_server, browser):
    base, app = live_server.url, live_server.app
    with app.app_context():
        world = World()
        with app.test_request_context():
            ids = {"org_id": world.org.id, "session_id": world.ts.id, "material_id": world.material.id,  # noqa: F841
                   "service_id": world.service.id, "campaign_id": world.campaign.id, "shift_id": world.shift.id}

            own = {"referrals.step": {"ref": world.draft.ref, "n": 1}, "referrals.show": {"ref": world.referral.ref},
                   "referrals_staff.case": {"ref": world.case.ref}}

            def args(endpoint):
                wanted = next(app.url_map.iter_rules(endpoint)).arguments
                return own.get(endpoint) or {k: v for k, v in ids.items() if k in wanted}
            urls = {role: [url_for(e, **args(e)) for e in endpoints] for role, endpoints in PAGES.items()}
        logins = {role: (u.email or u.phone) for role, u in world.users.items()}
    table, over = [], []
    for role, role_urls in urls.items():
        for url in role_urls:
            context = browser.new_context(viewport={"width": 393, "height": 851})
            if role != "anonymous":
                sign_in_api(context, base, logins[role])
            page = context.new_page()
            wire = Wire(context, page)
            page.goto(base + url, wait_until="load")
            wire.settle(page)
            first, html = wire.total(), wire.document()
            wire.reset()
            page.goto(base + url, wait_until="load")
            wire.settle(page)
            repeat = wire.total()
            context.close()
            table.append((role, url, first, repeat, html))
            for name, value, limit in (("first", first, FIRST), ("repeat", repeat, REPEAT), ("html", html, HTML)):
                if value > limit:
                    over.append(f"{url} as {role}: {name} {value} B > {limit} B")
    print("\nrole       page                           first B  repeat B  html B")
    for role, url, first, repeat, html in table:
        print(f"{role:<10} {url:<30} {first:>7}  {repeat:>8}  {html:>6}")
    assert not over, over


def test_htmx_answers_are_small(live_server, browser):
    base, app = live_server.url, live_server.app
    with app.app_context():
        world = World()
        staff, leader = world.staff.email, world.leader.phone
        org_id, pending_org_id = world.org.id, world.pending_org.id
    context = browser.new_context()
    page = context.new_page()
    wire = Wire(context, page)
    # The trainings filter answers with the list only.
    page.goto(f"{base}/trainings/")
    page.locator("details.fold summary").click()  # the filters are folded
    with page.expect_response(lambda r: "/trainings/?" in r.url):
        page.select_option("#programme", "leap")
    # So does the campaigns' list of shifts.
    page.goto(f"{base}/campaigns/")
    page.locator("details.fold summary").click()
    with page.expect_response(lambda r: "/campaigns/?" in r.url):
        page.select_option("#role", "leafleter")
    # So does the materials filter.
    page.goto(f"{base}/materials/")
    page.locator("details.fold summary").click()
    with page.expect_response(lambda r: "/materials/?" in r.url):
        page.select_option("#language", "fil")
    # A refused sign-in answers with the form block.
    page.goto(f"{base}/auth/login")
    page.fill("#identifier", "nobody@example.org")
    page.fill("#password", "wrong password")
    page.locator("#form-block button").click()
    page.locator(".errors").wait_for()
    # Staff: filter the queue, approve inline.
    sign_in_api(context, base, staff)
    page.goto(f"{base}/staff/organisations")
    with settled(page):
        page.locator("#q").press_sequentially("Organisation")
    page.locator(f"#org-{pending_org_id} form[action$='/approve'] button").click()
    page.locator(f"#org-{pending_org_id} .flash").wait_for()
    # Leader: accept a member in place.
    context.clear_cookies()
    sign_in_api(context, base, leader)
    page.goto(f"{base}/organisations/{org_id}")
    page.locator("#members form[action$='/accept'] button").first.click()
    page.locator("#members .flash").wait_for()
    wire.settle(page)
    answers = [r for r in wire.requests.values() if r["htmx"]]
    context.close()
    assert len(answers) >= 6, answers
    print("\nHTMX answers:", [(re.sub(r"^https?://[^/]+", "", r["url"]), r["bytes"]) for r in answers])
    assert all(0 < r["bytes"] <= HTMX for r in answers), answers


def test_error_answers_are_compressed_within_the_html_budget(live_server, browser):
    """A refused form with JavaScript off (a whole page), the 404 and the 403 pages: compressed as the 200
    pages are, so that a mistake or a wrong address costs no more than a page."""
    base, app = live_server.url, live_server.app
    with app.app_context():
        world = World()
        member = world.users["member"].phone
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    wire = Wire(context, page)
    measured = []

    def measure(label, status, go):
        wire.reset()
        with page.expect_response(lambda r: r.request.resource_type == "document") as answer:
            go()
        response = answer.value
        page.wait_for_load_state("load")
        wire.settle(page)
        assert response.status == status, (label, response.status)
        assert response.headers.get("content-encoding") in ("br", "gzip"), (label, response.headers)
        measured.append((label, wire.document()))

    page.goto(f"{base}/auth/login")
    measure("refused sign-in form (JS off)", 422, lambda: page.locator("#form-block button").click())
    measure("404 page", 404, lambda: page.goto(f"{base}/no-such-page"))
    sign_in_api(context, base, member)
    measure("403 page", 403, lambda: page.goto(f"{base}/staff/"))
    context.close()
    print("\nerror answers on the wire (B):", measured)
    assert all(0 < size <= HTML for _, size in measured), measured
