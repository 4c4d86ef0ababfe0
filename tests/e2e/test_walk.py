"""The browser walk: every page each role may see (from the access matrix), with JavaScript on
and off, 320 px and 1280 px wide, in Filipino and in Indonesian.

On every page: no console error, no horizontal scroll at 320 px, the neutral title and the
quick-exit link, no English string that should have been translated, and (where scripts run,
since axe is a script) 0 axe-core violations.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import url_for

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Organisation
from tests.e2e.helpers import sign_in
from tests.test_access import MATRIX, SWEPT, World

# Answers that are files, not pages: downloads and calendars (checked in the route tests).
NOT_PAGES = {"static", "main.healthz", "materials.download", "trainings.booking_ics", "trainings.feed",
             "directory.export_json", "directory.export_csv", "campaigns_staff.hours_csv",
             "campaigns.signup_ics"}

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (320, 1280)
# JavaScript on walks in Filipino, off in Indonesian: both languages, both modes, every page.
RUNS = ((True, "fil"), (False, "id"))
# Each language is named in itself in the language choices, so these may appear on any page.
AUTONYMS = {"English", "Filipino", "Bahasa Indonesia"}


def english_to_catch(lang: str) -> list[re.Pattern]:
    """English texts of the catalogue whose translation differs: seeing one on a page is a miss."""
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalogue = read_po(f, locale=lang)
    patterns = []
    for m in catalogue:
        if not m.id or isinstance(m.id, tuple) or m.string == m.id or not m.string or m.id in AUTONYMS:
            continue
        for chunk in re.split(r"%\(\w+\)[sd]", m.id):
            chunk = chunk.strip(" .,:;")
            if len(chunk) >= 4 and chunk not in m.string:
                patterns.append(re.compile(r"(?<![\w-])" + re.escape(chunk) + r"(?![\w-])"))
    return patterns


def make_world(app):
    """The matrix's objects, renamed so that no English word of the catalogue hides in the data."""
    with app.app_context():
        world = World()
        for org in db.session.query(Organisation):
            org.name = f"Samahan Bayanihan {org.id}"
            org.meeting_place = "Chater Garden"
        for user in db.session.query(User):
            user.name = f"Dewi Santos {user.id}"
        db.session.commit()
        urls = {}
        with app.test_request_context():
            for role in SWEPT:
                urls[role] = [url_for(r.endpoint, **r.args(world)) for r in MATRIX
                              if r.method == "GET" and r.expect[role] == 200
                              and r.endpoint not in NOT_PAGES]
        logins = {role: (u.email or u.phone) for role, u in world.users.items()}
        ids = {role: u.id for role, u in world.users.items()}
    return urls, logins, ids


@pytest.mark.parametrize("role", SWEPT)
def test_walk(live_server, browser, role):
    from axe_playwright_python.sync_playwright import Axe
    base, app = live_server.url, live_server.app
    urls, logins, ids = make_world(app)
    assert urls[role], f"no pages for {role}"
    axe, problems, walked = Axe(), [], 0
    for js, lang in RUNS:
        if role != "anonymous":
            with app.app_context():
                db.session.get(User, ids[role]).locale = lang
                db.session.commit()
        context = browser.new_context(java_script_enabled=js, locale={"fil": "fil-PH", "id": "id-ID"}[lang],
                                      viewport={"width": 320, "height": 640})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text} on {page.url}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e} on {page.url}"))
        english = english_to_catch(lang)
        if role != "anonymous":
            sign_in(page, base, logins[role])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 640 if width == 320 else 900})
            for url in urls[role]:
                where = f"{url} as {role}, js={'on' if js else 'off'}, {width}px, {lang}"
                response = page.goto(base + url)
                assert response.status == 200, where
                walked += 1
                assert page.locator("html").get_attribute("lang") == lang, where
                assert page.title().endswith("· Portal"), where
                assert page.locator("#quick-exit").is_visible(), where
                if width == 320:
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 0, f"horizontal scroll of {overflow}px: {where}"
                text = page.locator("body").inner_text()
                missed = sorted({p.pattern for p in english if p.search(text)})
                assert not missed, f"English left on {where}: {missed[:5]}"
                if js and width == 320:
                    result = axe.run(page)
                    assert result.violations_count == 0, f"axe on {where}:\n{result.generate_report()}"
        context.close()
    assert not problems, problems
    print(f"walked {walked} pages as {role}")
