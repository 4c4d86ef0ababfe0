"""Her number is hers, in Chromium, JavaScript on (in Filipino) and off (in Indonesian): she registers with
her number and lands on the page of the code; a wrong code is refused in her language and what she typed
stays; the right one confirms the number. Then she moves to a new number: it is hers only once she types
the code sent to it, and until then the account keeps the old one. Last, she asks for her trainings' messages
on WhatsApp: refused until she ticks that she agrees to it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.models import User
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from tests.e2e.test_campaigns_journey import words
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def last_code(app, to: str) -> str:
    with app.app_context():
        msg = db.session.query(OutboxMessage).filter_by(kind="phone_code", to_address=to) \
            .order_by(OutboxMessage.id.desc()).first()
        db.session.remove()
        return re.search(r"\b(\d{6})\b", msg.body).group(1)


def test_register_confirm_then_change_the_number(live_server, page, watch, js_enabled):
    base, app = live_server.url, live_server.app
    lang = "fil" if js_enabled else "id"
    t, _n = words(app, lang)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base}/auth/register")
    page.locator("#locale").select_option(lang)
    page.locator("#name").fill("Lestari")
    page.locator("#phone").fill("5123 4099")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.locator("main form button").click()
    expect(page).to_have_url(re.compile(r"/auth/phone/confirm"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Confirm your number"))
    expect(page.locator(".flash").first).to_have_text(t("Welcome! Your account is ready."))  # in her language
    expect(page.locator(".flash").last).to_contain_text("+85251234099")

    code = last_code(app, "+85251234099")
    page.locator("#code").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name=t("Confirm my number")).click()
    expect(page.locator(".errors")).to_contain_text(t("This code is wrong or has expired. Ask for a new one."))
    page.locator("#code").fill(code)
    page.get_by_role("button", name=t("Confirm my number")).click()
    thanks = t("Thank you: your number %(phone)s is confirmed.", phone="+85251234099")
    expect(page.locator(".flash", has_text=thanks)).to_be_visible()
    # On to where she was going (the home page), which no longer asks her to confirm.
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Hello, %(name)s", name="Lestari"))
    expect(page.get_by_role("link", name=t("Confirm my number"))).to_have_count(0)
    page.goto(f"{base}/auth/account")
    expect(page.locator("main")).not_to_contain_text(t("Not confirmed"))

    # A new number: a code to it, the old one kept until she types it.
    page.get_by_role("link", name=t("Change my number")).click()
    page.locator("#phone").fill("5123 4098")
    page.locator("#current").fill(PASSWORD)
    page.get_by_role("button", name=t("Send the code")).click()
    expect(page).to_have_url(re.compile(r"/auth/phone/confirm"))
    expect(page.locator("main")).to_contain_text("+85251234098")
    with app.app_context():
        assert db.session.query(User).filter_by(name="Lestari").one().phone == "+85251234099"
        db.session.remove()
    page.locator("#code").fill(last_code(app, "+85251234098"))
    page.get_by_role("button", name=t("Confirm my number")).click()
    expect(page.locator(".flash", has_text="+85251234098")).to_be_visible()
    expect(page.locator("main dl")).to_contain_text("+85251234098")

    # Her trainings on WhatsApp: refused until she ticks that she agrees, then saved, in her language.
    page.get_by_role("link", name=t("How your messages reach you")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("How your messages reach you"))
    page.locator("#trainings").select_option("whatsapp")
    page.locator("#campaigns").select_option("none")
    page.get_by_role("button", name=t("Save")).click()
    expect(page.locator(".errors")).to_contain_text(
        t("To get messages on WhatsApp, tick the box that says you agree to it. Nothing was changed."))
    expect(page.locator("#trainings")).to_have_value("whatsapp")  # what she chose stays
    page.get_by_label(t("Yes, the portal may send me messages on WhatsApp at my number")).check()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.locator(".flash", has_text=t("Saved: this is how your messages reach you."))).to_be_visible()
    expect(page.locator("main")).to_contain_text("+85251234098")
    with app.app_context():
        from portal.notifications.services import choices_of
        lestari = db.session.query(User).filter_by(name="Lestari").one()
        assert lestari.whatsapp_since is not None
        assert choices_of(lestari) == {"trainings": "whatsapp", "campaigns": "none"}
        db.session.remove()
    # The refused answers (422, and their console lines with JavaScript on) are the only problems.
    unexpected = [p for p in watch.problems if not re.search(r"/auth/(phone/confirm|messages)", p) or "422" not in p]
    assert unexpected == [], unexpected
