"""The campaigns journey in Chromium, JavaScript on (in Filipino) and off (in Indonesian): a volunteer signs up
for two shifts in one go and a third that clashes is refused; a leader signs up three members; the shift's
lead checks them in on a 360 px phone and writes the hours one gave; staff approve the hours; the member sees
them."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.campaigns.models import Signup
from portal.capacity import PlaceState
from portal.clock import utcnow
from portal.extensions import db
from tests.e2e.helpers import sign_in, sign_out
from tests.factories import (
    CampaignFactory, MembershipFactory, OrganisationFactory, ShiftFactory, StaffFactory, UserFactory, future,
)

pytestmark = pytest.mark.browser


def words(app, lang):
    """The page's words in her language, as the portal says them."""
    def t(text, **kw):
        with app.test_request_context(), force_locale(lang):
            return gettext(text, **kw)

    def n(one, many, num):
        with app.test_request_context(), force_locale(lang):
            return ngettext(one, many, num)
    return t, n


def test_sign_up_clash_members_check_in_hours(live_server, page, watch, js_enabled):
    base, app = live_server.url, live_server.app
    lang = "fil" if js_enabled else "id"
    t, n = words(app, lang)
    with app.app_context():
        org = OrganisationFactory()
        org.created_by.locale = lang
        members = [MembershipFactory(organisation=org).user for _ in range(3)]
        for i, m in enumerate(members):
            m.name, m.locale = f"Kasapi {i + 1}", lang
        ana, rosa, staff = (UserFactory(name="Ana Reyes", locale=lang), UserFactory(name="Rosa Lim", locale=lang),
                            StaffFactory(locale=lang))
        campaign = CampaignFactory(title="Buong araw ng pahinga")
        a = ShiftFactory(campaign=campaign, starts_at=future(7), ends_at=future(7) + timedelta(hours=3),
                         place="Chater Road")
        b = ShiftFactory(campaign=campaign, starts_at=future(14), ends_at=future(14) + timedelta(hours=3),
                         place="Victoria Park")
        clash = ShiftFactory(campaign=campaign, starts_at=future(7) + timedelta(hours=1),
                             ends_at=future(7) + timedelta(hours=4), place="Statue Square")
        soon = utcnow().replace(microsecond=0) + timedelta(hours=3)
        together = ShiftFactory(campaign=campaign, starts_at=soon, ends_at=soon + timedelta(hours=3), capacity=5,
                                place="Southorn Playground", lead_id=rosa.id)
        db.session.commit()
        logins = {k: (u.email or u.phone) for k, u in dict(leader=org.created_by, ana=ana, rosa=rosa, staff=staff,
                                                           member=members[0]).items()}
        names = [m.name for m in members]
        ids = dict(a=a.id, b=b.id, clash=clash.id, together=together.id)
        ends = together.ends_at
        db.session.remove()

    # A volunteer chooses three shifts on the list: two are hers, the third clashes and is refused with why.
    sign_in(page, base, logins["ana"])
    page.goto(f"{base}/campaigns/")
    for key in ("a", "b", "clash"):
        page.locator(f"input[name=shift][value='{ids[key]}']").check()
    page.get_by_role("button", name=t("Sign up for the chosen shifts")).click()
    signed = t("Signed up: %(what)s.", what="").rstrip(". ")
    refused = t("Not signed up: %(what)s. %(reason)s", what="", reason="").split(":")[0]
    expect(page.locator(".flash.success")).to_have_count(2)
    expect(page.locator(".flash.success").first).to_contain_text(signed)
    expect(page.locator(".flash.error")).to_contain_text(refused)
    expect(page.locator(".flash.error")).to_contain_text("Chater Road")
    expect(page.locator("main")).to_contain_text("Victoria Park")
    sign_out(page)

    # A leader signs up three members of her organisation for one shift.
    sign_in(page, base, logins["leader"])
    page.goto(f"{base}/campaigns/shifts/{ids['together']}")
    for name in names:
        page.get_by_label(name).check()
    page.get_by_role("button", name=t("Sign up the chosen members")).click()
    expect(page.locator(".flash.success")).to_have_count(3)
    sign_out(page)

    # The lead checks them in on a small phone, one tap each, and writes the hours one of them gave.
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, base, logins["rosa"])
    page.goto(f"{base}/campaigns/mine")
    page.locator(f"a[href='/campaigns/shifts/{ids['together']}/check-in']").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for name in names:
        page.locator("li").filter(has_text=name).get_by_role("button", name=t("Here"), exact=True).click()
        expect(page.locator("li").filter(has_text=name).locator(".tag").first).to_have_text(t("Came"))
    row = page.locator("li").filter(has_text=names[0])
    row.get_by_label(t("Hours given")).fill("2.5")
    row.get_by_role("button", name=t("Save")).click()
    expect(page.locator("li").filter(has_text=names[0]).get_by_label(t("Hours given"))).to_have_value("2.5")
    sign_out(page)

    # After the shift, staff approve the hours; the member sees hers.
    with time_machine.travel(ends + timedelta(hours=1), tick=True):
        sign_in(page, base, logins["staff"])
        page.goto(f"{base}/campaigns/shifts/{ids['together']}/check-in")
        page.get_by_role("button", name=t("Approve the hours of everyone who came")).click()
        expect(page.locator(".flash.success")).to_contain_text(
            n("Hours of %(num)d person approved.", "Hours of %(num)d people approved.", 3).replace("%(num)d", "3"))
        sign_out(page)
        sign_in(page, base, logins["member"])
        page.goto(f"{base}/campaigns/hours")
        expect(page.locator(".code")).to_contain_text("2,5" if lang == "id" else "2.5")
        expect(page.locator("main")).to_contain_text(t("Approved"))
        sign_out(page)

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signup).where(
            Signup.user_id.in_([m.id for m in members]), Signup.state == PlaceState.ATTENDED)) == 3
    assert not watch.problems, watch.problems
