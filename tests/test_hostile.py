"""The hostile-input sweep. Forms are found on the pages themselves (every page each role may
see, from the access matrix), so a new form is swept without anyone listing it.

For every form and field: script tags, SQL meta-characters, 100,000 characters, NUL bytes,
right-to-left and zero-width characters, emoji, wrong types (a file field gets hostile files, FILE_PAYLOADS);
hidden fields (`next`, `back`, `expected_state`...) also get values that break a header or lead elsewhere (CR/LF, line
separators, other hosts, backslashes, long paths, bad percent-encoding); and each form once
without its CSRF token and once with an expired one. The query strings of every page get the
same: the parameters its links and GET forms use, and `next` and `page` everywhere. Asserted:
never a 5xx; never a redirect to another host; nothing in the database changed where the input
was refused or only read; text that was stored comes back escaped on every page.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import timedelta
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import time_machine
from flask import current_app, url_for
from sqlalchemy import select, text

from portal.extensions import db
from portal.organisations.models import MemberState
from tests.factories import PASSWORD, MembershipFactory
from tests.helpers import csrf_token, sign_in, snapshot
from tests.test_access import L, MATRIX, SWEPT, World

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
# Values that break a header (Werkzeug refuses a CR or LF in one: a 500) or lead to another host
# once they are a Location: for hidden fields and query strings, where a page keeps a path to go
# back to. A CR or LF in `next=` made the sign-in redirect fail before anything swept for it.
URL_PAYLOADS = {
    "crlf": "/x\r\nSet-Cookie: a=b",
    "lf": "\n",
    "encoded_crlf": "/x%0d%0aSet-Cookie:%20a=b",
    "protocol_relative": "//evil.example/",
    "absolute": "https://evil.example/",
    "backslash": "/\\evil.example",
    "long_path": "/" + "a/" * 5_000,
    "separators": "/x\u2028y\u2029z",
    "bad_percent": "/%zz%c0%af%ff%",
}
QUERY_PAYLOADS = {**URL_PAYLOADS, **{k: PAYLOADS[k] for k in ("script", "attr", "sql", "nul")},
                  "big_number": "99999999999999999999999"}
RAW_IN_QUERY = {"bad_percent"}  # sent as typed, so the app decodes the broken escapes itself
# A file field gets files: the shapes an import or an upload must refuse with a message (a reviewer found seven
# ways to a 500 in the directory's import that text payloads in a file field never reached).
FILE_PAYLOADS = {
    "deep_json": ("x.json", b"[" * 100_000 + b"]" * 100_000),
    "json_object": ("x.json", b'{"a": 1}'),
    "json_odd_shapes": ("x.json", b'[{"name": ["x"], "organization": 5, "languages": 5, "id": "\\u00b2", '
                                  b'"taxonomy_terms": [{"code": {"a": 1}}], "capacities": [{"maximum": 1e999}]}]'),
    "json_not_objects": ("x.json", b"[1, null, true]"),
    "bad_utf8": ("x.csv", b"\xff\xfe\x00bad"),
    "csv_odd_columns": ("x.csv", b"a,b\n1,2\n"),
    "csv_huge_field": ("x.csv", b"id,name\n1," + b"x" * 140_000 + b"\n"),
    "empty_file": ("x.json", b""),
    "path_name": ("../../etc/passwd.json", b"[]"),
    "pdf_named_json": ("x.json", b"%PDF-1.4\n%%EOF\n"),
    "script_named_pdf": ("x.pdf", b"<script>alert(1)</script>"),
}
UNESCAPED = ('<script>alert("x")', "<img src=x onerror")


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form, self._select, self._textarea = [], [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {},
                          "hidden": set()}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "file":
                self._form.setdefault("files", set()).add(a["name"])
            if kind == "checkbox":
                if "checked" in a:
                    self._form["fields"].setdefault(a["name"], []).append(a.get("value", "y"))
                else:
                    self._form["fields"].setdefault(a["name"], [])
            else:
                self._form["fields"][a["name"]] = [a.get("value", "")]
                if kind == "hidden":
                    self._form["hidden"].add(a["name"])
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


def parsed(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def forms_on(html: str) -> list[dict]:
    return parsed(html).forms


def pages_for(role: str, world: World, answers=(200,)) -> list[str]:
    urls = []
    with current_app.test_request_context():
        for row in MATRIX:
            if row.method == "GET" and row.expect[role] in answers and row.endpoint not in (
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
            key = _key(page, form)
            if key not in seen:
                seen.add(key)
                found.append((page, form))
    return found


# Every Mission role holds the desk's powers (portal/accounts/roles.py): the forms staff see are the same
# routes, acting the same way, for a supervisor. She is swept on the forms only she sees (a case's).
SWEPT_AS = {"supervisor": "staff"}


def to_sweep(app, role, world):
    """The (page, form) pairs to sweep as the role: all it sees, but those already swept as SWEPT_AS[role]."""
    found = discovered(app, role, world)
    if role not in SWEPT_AS:
        return found
    seen = {_key(page, form) for page, form in discovered(app, SWEPT_AS[role], world)}
    return [(page, form) for page, form in found if _key(page, form) not in seen]


def _key(page, form):
    return form["method"], urlsplit(form["action"] or page).path, tuple(sorted(form["fields"]))


def submit(client, page, form, fields):
    action = form["action"] or page
    if form["method"] == "post" and form.get("files"):
        data = {k: [(BytesIO(v[1]), v[0]) if isinstance(v, tuple) else v for v in values] for k, values in fields.items()}
        return client.post(action, data=data, content_type="multipart/form-data")
    if form["method"] == "post":
        return client.post(action, data=fields)
    return client.get(action, query_string=fields)


def fresh_fields(client, page, form) -> dict:
    """The form's fields as its page shows them now. A form that an earlier payload made go away (an organisation
    approved: no approve button any more) is sent as first found, with the session's current CSRF token: with a
    stale one it would be refused before a field was read, and its other fields (`back`) never swept."""
    on_page = forms_on(client.get(page).get_data(as_text=True))
    now = next((f for f in on_page if f["action"] == form["action"]), form)
    fields = {k: list(v) for k, v in now["fields"].items()}
    tokens = [f["fields"]["csrf_token"] for f in on_page if "csrf_token" in f["fields"]]
    if tokens and "csrf_token" in fields:
        fields["csrf_token"] = tokens[0]
    return fields


def payloads_for(form, name):
    """Every field gets PAYLOADS; a hidden field, where a page keeps a path to go back to or a state to
    expect, also gets URL_PAYLOADS, and its own value with a CR/LF tail: a check such as
    `back.startswith("/staff/")` lets that one through to the redirect. A file field gets FILE_PAYLOADS."""
    if name in form.get("files", ()):
        return {**FILE_PAYLOADS, "empty": ""}
    if name not in form["hidden"]:
        return PAYLOADS
    own = (form["fields"][name] or [""])[0]
    return {**PAYLOADS, **URL_PAYLOADS, "own_then_crlf": own + "\r\nSet-Cookie: a=b"}


def signing_in(page, form, name, world) -> dict:
    """A real user's identifier and password for the sign-in form while a hidden field is swept: refused,
    the form never gets as far as the redirect to `next`, where the CR/LF fault was."""
    if name not in form["hidden"]:
        return {}
    with current_app.test_request_context():
        if urlsplit(form["action"] or page).path != url_for("accounts.login"):
            return {}
    user = world.users["member"]
    return {"identifier": [user.email or user.phone], "password": [PASSWORD]}


def off_site(response) -> str | None:
    """The redirect target if it leads to another host as a browser reads it: a browser drops tabs and line
    breaks, trims spaces and controls, and takes a backslash for a slash, so "/\\evil.example" is as far
    away as "//evil.example". HX-Redirect is read the same way: htmx navigates to it."""
    for header in ("Location", "HX-Redirect"):
        target = response.headers.get(header)
        if target is None:
            continue
        seen = re.sub(r"[\t\n\r]", "", target).strip("\x00- ").replace("\\", "/")
        parts = urlsplit(seen)
        if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", response.request.host):
            return target
    return None


def query_names(client, pages) -> dict[str, set[str]]:
    """For each page's path, the query parameters that links and GET forms anywhere on the pages use for it,
    and `next` and `page`, which any page may be given."""
    names = {urlsplit(page).path: {"next", "page"} for page in pages}
    for page in pages:
        response = client.get(page)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = parsed(response.get_data(as_text=True))
        for href in html.links:
            parts = urlsplit(href)
            if parts.path in names and not parts.netloc:
                names[parts.path] |= {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
        for form in html.forms:
            path = urlsplit(form["action"] or page).path
            if form["method"] == "get" and path in names:
                names[path] |= set(form["fields"]) - {"csrf_token"}
    return names


def fault(response) -> str | None:
    """What is wrong with an answer to a hostile GET: a 5xx, a redirect to another host, or markup let through."""
    if response.status_code >= 500:
        return f"status {response.status_code}"
    if off_site(response):
        return f"redirect to {off_site(response)!r}"
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        return next((f"unescaped {bad!r}" for bad in UNESCAPED if bad in html), None)
    return None


def query(name, label, payload):
    return f"{quote(name)}={payload if label in RAW_IN_QUERY else quote(payload, safe='')}"


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


@pytest.mark.parametrize("role", SWEPT)
def test_hostile_input_sweep(sweep_app, role):
    app, world = sweep_app, World()
    forms = to_sweep(app, role, world)
    assert forms, f"no forms found for {role}"
    swept, hidden = 0, Counter()
    for page, form in forms:
        user_fields = [n for n in form["fields"] if n != "csrf_token"]
        client = client_as(app, role, world)
        # The page's fields and the data as the last submission left them, when it changed nothing (the page
        # is then as it was, its CSRF token still good): neither is read again. Half the sweep's time went
        # into reading the page and hashing every table before each submission.
        unchanged = None
        for name in user_fields:
            for label, payload in payloads_for(form, name).items():
                if "sign out" in form["action"] or form["action"].endswith("/logout"):
                    client, unchanged = client_as(app, role, world), None
                if unchanged is None:
                    page_fields, before = fresh_fields(client, page, form), snapshot()
                else:
                    page_fields, before = unchanged
                fields = {k: list(v) for k, v in page_fields.items()}
                fields.update(signing_in(page, form, name, world))
                fields[name] = [payload] if label != "empty" else []
                response = submit(client, page, form, fields)
                status = response.status_code
                assert status < 500, (role, form["action"], name, label, status)
                assert not off_site(response), (role, form["action"], name, label, off_site(response))
                after = snapshot()
                # (After a redirect the page is read again: it shows, and so clears, the message kept for it.)
                unchanged = (page_fields, after) if after == before and status < 300 else None
                if status == 303 and form["action"].endswith(("/login", "/register")):
                    client, unchanged = client_as(app, role, world), None  # on as the role it began as
                if status >= 400 or status == 200 and form["method"] == "post":
                    assert after == before, f"refused input changed data: {form['action']} {name} {label}"
                elif after != before and label in ("script", "attr"):
                    for viewer in {role, "staff"} - {"anonymous"}:  # stored: shown escaped wherever it shows
                        assert_escaped_everywhere(app, viewer, world)
                swept += 1
                if name in form["hidden"]:
                    hidden[f"{name} ({urlsplit(form['action'] or page).path})"] += 1
    assert swept > 0 or all(len(f["fields"]) <= 1 for _, f in forms)
    print(f"swept {len(forms)} forms with {swept} hostile submissions as {role}, {hidden.total()} of them into "
          f"hidden fields: {', '.join(sorted(hidden))}")
    for viewer in SWEPT:
        assert_escaped_everywhere(app, viewer, world)


@pytest.mark.parametrize("role", SWEPT)
def test_hostile_query_strings(sweep_app, role):
    """Every page the role may see, and every page that only redirects it (the sign-in page once signed in,
    which goes to `next`; any page to sign in first), with hostile values in its query parameters. Each
    payload goes into all of a page's parameters at once (a page reads each on its own, and the fields of its
    GET forms are swept one by one in test_hostile_input_sweep); a request that fails is sent again one
    parameter at a time, to name the culprit. Faults are gathered, so one run shows all of them."""
    app, world = sweep_app, World()
    client = client_as(app, role, world)
    pages = pages_for(role, world) + pages_for(role, world, answers=(302, L))
    before, sent, faults = snapshot(), 0, []
    for page, names in query_names(client, pages).items():
        for label, payload in QUERY_PAYLOADS.items():
            response = client.get(f"{page}?{'&'.join(query(name, label, payload) for name in sorted(names))}")
            sent += 1
            if fault(response):
                alone = {name: fault(client.get(f"{page}?{query(name, label, payload)}")) for name in sorted(names)}
                faults += [(page, name, label, found) for name, found in alone.items() if found] \
                    or [(page, "+".join(sorted(names)), label, fault(response))]
        assert snapshot() == before, f"a GET changed data: {page} as {role}"
    print(f"swept {len(pages)} pages with {sent} hostile query strings as {role}")
    assert not faults, "\n".join(map(str, faults))


# Sign-out takes no CSRF token, on purpose: it must work from a page left open for hours, and all another
# site could do with it is sign her out (tests/test_sign_ins.py shows both). No other form may join it.
CSRF_EXEMPT = {"/auth/logout"}


@pytest.mark.parametrize("role", SWEPT)
def test_every_post_form_refuses_a_missing_or_expired_csrf_token(sweep_app, role):
    app, world = sweep_app, World()
    posts = [(p, f) for p, f in to_sweep(app, role, world) if f["method"] == "post"]
    assert posts
    for page, form in posts:
        if urlsplit(form["action"]).path in CSRF_EXEMPT:
            continue
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
    actions = {urlsplit(f["action"]).path for role in SWEPT for _, f in discovered(sweep_app, role, world)}
    with sweep_app.test_request_context():
        expected = {url_for("accounts.login"), url_for("accounts.register"), url_for("accounts.reset_request"),
                    url_for("accounts.reset_confirm"), url_for("accounts.set_language"),
                    url_for("accounts.logout"), url_for("organisations.register"), url_for("organisations.join"),
                    url_for("organisations.edit", org_id=world.org.id), url_for("staff.queue"),
                    url_for("organisations.rotate_code", org_id=world.org.id),
                    url_for("staff.approve", org_id=world.pending_org.id),
                    url_for("staff.reject", org_id=world.pending_org.id),
                    url_for("staff.approve_name", org_id=world.other_org.id),
                    url_for("staff.reject_name", org_id=world.other_org.id),
                    url_for("accounts.change_password"), url_for("accounts.sign_out_everywhere")}
        expected |= {url_for("materials.index"), url_for("materials_staff.new"),
                     url_for("materials_staff.edit", material_id=world.material.id),
                     url_for("materials_staff.delete", material_id=world.material.id),
                     url_for("materials_staff.new_version", material_id=world.material.id),
                     url_for("materials_staff.edit_version", version_id=world.version.id),
                     url_for("materials_staff.delete_version", version_id=world.version.id)}
        sent, case = world.referral.ref, world.case.ref
        expected |= {url_for("referrals.start", org_id=world.org.id), url_for("referrals.step", ref=world.draft.ref, n=1),
                     url_for("referrals.discard", ref=world.draft.ref), url_for("referrals.withdraw", ref=sent),
                     *(url_for(f"referrals_staff.{e}", ref=sent) for e in ("triage", "accept", "decline")),
                     *(url_for(f"referrals_staff.{e}", ref=case) for e in ("assign", "note", "stay", "add_date", "close")),
                     url_for("referrals_staff.remove_date", ref=case, date_id=world.key_date.id),
                     url_for("referrals.ask", org_id=world.org.id),
                     url_for("referrals_staff.answer", ref=world.question.ref), url_for("check.page"),
                     url_for("referrals_staff.access_requests"),
                     url_for("referrals_staff.answer_access_request", request_id=world.access_request.id),
                     url_for("referrals_staff.refer_onward", ref=case), url_for("directory.index"),
                     url_for("directory_staff.new"), url_for("directory_staff.edit", service_id=world.service.id),
                     url_for("directory_staff.delete", service_id=world.service.id),
                     url_for("directory_staff.import_file")}
        shift, signup = world.shift.id, world.signup.id
        expected |= {url_for("campaigns.index"), url_for("campaigns.sign_up_many"),
                     *(url_for(f"campaigns.{e}", shift_id=shift) for e in ("sign_up", "sign_up_members", "walk_in")),
                     *(url_for(f"campaigns.{e}", signup_id=signup) for e in ("cancel", "mark")),
                     url_for("campaigns.hours", signup_id=world.came.id),
                     url_for("campaigns.accept", entry_id=world.shift_entry.id),
                     url_for("campaigns.leave", entry_id=world.shift_entry.id),
                     url_for("campaigns.join_waitlist", shift_id=world.full_shift.id), url_for("campaigns.messages"),
                     url_for("campaigns.endorse", campaign_id=world.campaign.id),
                     url_for("campaigns.media", campaign_id=world.campaign.id),
                     url_for("campaigns_staff.new_campaign"),
                     url_for("campaigns_staff.edit_campaign", campaign_id=world.campaign.id),
                     url_for("campaigns_staff.cancel_campaign", campaign_id=world.campaign.id),
                     url_for("campaigns_staff.new_shift", campaign_id=world.campaign.id),
                     url_for("campaigns_staff.edit_shift", shift_id=shift),
                     url_for("campaigns_staff.cancel_shift", shift_id=shift)}
    assert expected <= actions, sorted(expected - actions)


def test_a_leader_cannot_reach_another_organisations_records_by_id(app, client):
    w = World()
    other_member = MembershipFactory(organisation=w.other_org, state=MemberState.PENDING)
    sign_in(client, w.leader)
    token = csrf_token(client, "/")
    assert client.get(f"/organisations/{w.other_org.id}").status_code == 403
    assert client.get(f"/organisations/{w.other_org.id}/edit").status_code == 403
    # Her own organisation's URL with another organisation's membership id: not found, nothing changed.
    for action in ("accept", "remove", "role"):
        response = client.post(f"/organisations/{w.org.id}/members/{other_member.id}/{action}",
                               data={"csrf_token": token, "role": "coleader"})
        assert response.status_code == 404
    db.session.refresh(other_member)
    assert other_member.state == MemberState.PENDING
    assert w.other_org.join_code not in client.get("/organisations/").get_data(as_text=True)


def test_unknown_ids_are_404_for_everyone_signed_in(app, client):
    w = World()
    sign_in(client, w.staff)
    assert client.get("/organisations/999999").status_code == 404
    token = csrf_token(client, "/")
    assert client.post("/staff/organisations/999999/approve", data={"csrf_token": token}).status_code == 404


def test_the_snapshot_sees_a_row_added_and_a_value_changed(app):
    """The sweep's "nothing changed" is only as good as snapshot(): it must see a new row and a changed value."""
    from tests.factories import UserFactory
    first = snapshot()
    assert snapshot() == first
    person = UserFactory()
    db.session.commit()
    added = snapshot()
    person.name = "Someone else"
    db.session.commit()
    assert first != added != snapshot()
