"""The hostile-input sweep. Forms are found on the pages themselves (every page each role may
see, from the access matrix), so a new form is swept without anyone listing it.

For every form and field: script tags, SQL meta-characters, 100,000 characters, NUL bytes,
right-to-left and zero-width characters, emoji, wrong types; and each form once without its
CSRF token and once with an expired one. Asserted: never a 5xx; nothing in the database changed
where the input was refused; text that was stored comes back escaped on every page.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import time_machine
from flask import current_app, url_for
from sqlalchemy import select, text

from portal.extensions import db
from tests.helpers import sign_in
from tests.test_access import MATRIX, ROLES, World

PAYLOADS = {
    "script": '<script>alert("x")</script>',
    "attr": '"><img src=x onerror=alert(1)>',
    "sql": "'; DROP TABLE users; -- \" OR 1=1 /*",
    "long": "A" * 100_000,
    "nul": "abc\x00def",
    "rtl": "\u202eevil\u202c \u200b\u200d\ufeff",
    "emoji": "🙂👩🏽‍🔧🇵🇭🇮🇩",
    "number": "-99999999999999999999999",
    "float": "1e309",
    "empty": "",
}
UNESCAPED = ('<script>alert("x")', "<img src=x onerror")


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self._form["fields"].setdefault(a["name"], []).append(a.get("value", "y"))
                else:
                    self._form["fields"].setdefault(a["name"], [])
            else:
                self._form["fields"][a["name"]] = [a.get("value", "")]
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"][a["name"]] = []
        elif tag == "option" and self._select:
            values = self._form["fields"][self._select]
            if "selected" in a or not values:
                self._form["fields"][self._select] = [a.get("value", "")]
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def snapshot() -> str:
    """A digest of every row of every table: equal before and after means nothing changed."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    db.session.rollback()
    return digest.hexdigest()


def pages_for(role: str, world: World) -> list[str]:
    urls = []
    with current_app.test_request_context():
        for row in MATRIX:
            if row.method == "GET" and row.expect[role] == 200 and row.endpoint not in (
                    "static", "main.healthz", "materials.download"):  # the download is a file, not a page
                urls.append(url_for(row.endpoint, **row.args(world)))
    return urls


def client_as(app, role, world):
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, world.users[role])
    return client


def discovered(app, role, world):
    """(page, form) pairs for every form on every page the role may see, deduplicated by action."""
    client = client_as(app, role, world)
    seen, found = set(), []
    for page in pages_for(role, world):
        for form in forms_on(client.get(page).get_data(as_text=True)):
            key = (form["method"], urlsplit(form["action"] or page).path, tuple(sorted(form["fields"])))
            if key not in seen:
                seen.add(key)
                found.append((page, form))
    return found


def submit(client, page, form, fields):
    action = form["action"] or page
    if form["method"] == "post":
        return client.post(action, data=fields)
    return client.get(action, query_string=fields)


def assert_escaped_everywhere(app, role, world):
    client = client_as(app, role, world)
    for page in pages_for(role, world):
        response = client.get(page)
        if response.mimetype != "text/html":  # calendar files and downloads: never read as HTML (nosniff)
            continue
        html = response.get_data(as_text=True)
        for bad in UNESCAPED:
            assert bad not in html, f"unescaped {bad!r} on {page} as {role}"


@pytest.fixture
def sweep_app(app):
    app.config["RATELIMIT_ENABLED"] = False
    from portal.extensions import limiter
    limiter.enabled = False
    yield app
    limiter.enabled = True


@pytest.mark.parametrize("role", ROLES)
def test_hostile_input_sweep(sweep_app, role):
    app, world = sweep_app, World()
    forms = discovered(app, role, world)
    assert forms, f"no forms found for {role}"
    swept = 0
    for page, form in forms:
        user_fields = [n for n in form["fields"] if n != "csrf_token"]
        client = client_as(app, role, world)
        for name in user_fields:
            for label, payload in PAYLOADS.items():
                if "sign out" in form["action"] or form["action"].endswith("/logout"):
                    client = client_as(app, role, world)
                fresh = {f["action"]: f for f in forms_on(client.get(page).get_data(as_text=True))}
                base = fresh.get(form["action"], form)["fields"]
                fields = {k: list(v) for k, v in base.items()}
                fields[name] = [payload] if label != "empty" else []
                before = snapshot()
                response = submit(client, page, form, fields)
                status = response.status_code
                assert status < 500, (role, form["action"], name, label, status)
                if status == 303 and form["action"].endswith(("/login", "/register")):
                    client = client_as(app, role, world)  # the sweep goes on as the role it began as
                after = snapshot()
                if status >= 400 or status == 200 and form["method"] == "post":
                    assert after == before, f"refused input changed data: {form['action']} {name} {label}"
                elif after != before and label in ("script", "attr"):
                    for viewer in {role, "staff"} - {"anonymous"}:  # stored: shown escaped wherever it shows
                        assert_escaped_everywhere(app, viewer, world)
                swept += 1
    assert swept > 0 or all(len(f["fields"]) <= 1 for _, f in forms)
    print(f"swept {len(forms)} forms with {swept} hostile submissions as {role}")
    for viewer in ROLES:
        assert_escaped_everywhere(app, viewer, world)


@pytest.mark.parametrize("role", ROLES)
def test_every_post_form_refuses_a_missing_or_expired_csrf_token(sweep_app, role):
    app, world = sweep_app, World()
    posts = [(p, f) for p, f in discovered(app, role, world) if f["method"] == "post"]
    assert posts
    for page, form in posts:
        fields = {k: v for k, v in form["fields"].items() if k != "csrf_token"}
        client = client_as(app, role, world)
        before = snapshot()
        response = submit(client, page, form, fields)
        assert response.status_code == 400, (form["action"], response.status_code)
        assert snapshot() == before
        token = forms_on(client.get(page).get_data(as_text=True))[0]["fields"].get("csrf_token", [""])
        with time_machine.travel(timedelta(hours=9)):
            response = submit(client, page, form, {**fields, "csrf_token": token})
        assert response.status_code in (400, 422), (form["action"], response.status_code)
        assert "expired" in response.get_data(as_text=True)
        assert snapshot() == before


def test_the_sweep_finds_the_forms_of_the_portal(sweep_app):
    """The sweep sees the forms people use; if this list shrinks, pages lost their forms."""
    world = World()
    actions = {urlsplit(f["action"]).path for role in ROLES for _, f in discovered(sweep_app, role, world)}
    with sweep_app.test_request_context():
        expected = {url_for("accounts.login"), url_for("accounts.register"), url_for("accounts.reset_request"),
                    url_for("accounts.reset_confirm"), url_for("accounts.set_language"),
                    url_for("accounts.logout"), url_for("organisations.register"), url_for("organisations.join"),
                    url_for("organisations.edit", org_id=world.org.id), url_for("staff.queue"),
                    url_for("organisations.rotate_code", org_id=world.org.id),
                    url_for("staff.approve", org_id=world.pending_org.id),
                    url_for("staff.reject", org_id=world.pending_org.id)}
        expected |= {url_for("materials.index"), url_for("materials_staff.new"),
                     url_for("materials_staff.edit", material_id=world.material.id),
                     url_for("materials_staff.delete", material_id=world.material.id),
                     url_for("materials_staff.new_version", material_id=world.material.id),
                     url_for("materials_staff.edit_version", version_id=world.version.id),
                     url_for("materials_staff.delete_version", version_id=world.version.id)}
    assert expected <= actions, sorted(expected - actions)
