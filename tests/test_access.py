"""The access matrix: every endpoint of the app, as every role, with real objects.

A new endpoint without a row here fails `test_every_endpoint_has_a_row`. Codes: a number is
the status expected; "login" is a redirect to the sign-in page.
"""
from dataclasses import dataclass, field
from io import BytesIO

import pytest
from flask import url_for
from werkzeug.datastructures import FileStorage

from portal.accounts.models import CalendarFeed
from portal.extensions import db
from portal.organisations.models import MemberState, OrgState
from portal.trainings.materials import services as materials
from portal.trainings.models import (
    Booking, BookingState, OutreachRequest, WaitlistEntry, WaitState,
)
from tests.factories import (
    PDF_BYTES, MaterialFactory, MembershipFactory, OrganisationFactory, SessionFactory, StaffFactory, UserFactory,
    future,
)
from tests.helpers import csrf_token, sign_in, snapshot

ROLES = ("anonymous", "member", "other_leader", "leader", "staff")
L = "login"


@dataclass
class Row:
    endpoint: str
    method: str
    expect: dict  # role -> code
    args: callable = lambda w: {}
    data: callable = lambda w: {}
    headers: dict = field(default_factory=dict)


def everyone(code):
    return {r: code for r in ROLES}


def signed_in(code, anonymous=L):
    return {**everyone(code), "anonymous": anonymous}


def only(code, roles, others=403):
    return {r: (code if r in roles else L if r == "anonymous" else others) for r in ROLES}


ORG = lambda w: {"org_id": w.org.id}  # noqa: E731
PENDING_MEMBER = lambda w: {"org_id": w.org.id, "membership_id": w.pending.id}  # noqa: E731
ACTIVE_MEMBER = lambda w: {"org_id": w.org.id, "membership_id": w.member_m.id}  # noqa: E731
PENDING_ORG = lambda w: {"org_id": w.pending_org.id}  # noqa: E731
SESSION = lambda w: {"session_id": w.ts.id}  # noqa: E731
BOOKING = lambda w: {"booking_id": w.booking.id}  # noqa: E731
ENTRY = lambda w: {"entry_id": w.entry.id}  # noqa: E731
MATERIAL = lambda w: {"material_id": w.material.id}  # noqa: E731
VERSION = lambda w: {"version_id": w.version.id}  # noqa: E731
OUTREACH = lambda w: {"request_id": w.outreach.id}  # noqa: E731
LEADERS = {"leader", "other_leader"}
STAFF = {"staff"}

MATRIX = [
    Row("main.home", "GET", everyone(200)),
    Row("main.healthz", "GET", everyone(200)),
    Row("static", "GET", everyone(200), args=lambda w: {"filename": "css/app.css"}),
    Row("accounts.login", "GET", signed_in(302, anonymous=200)),
    Row("accounts.login", "POST", everyone(422)),
    Row("accounts.logout", "POST", everyone(303)),
    Row("accounts.register", "GET", signed_in(302, anonymous=200)),
    Row("accounts.register", "POST", everyone(422)),
    Row("accounts.reset_request", "GET", everyone(200)),
    Row("accounts.reset_request", "POST", everyone(422)),
    Row("accounts.reset_confirm", "GET", everyone(200)),
    Row("accounts.reset_confirm", "POST", everyone(422)),
    Row("accounts.set_language", "POST", everyone(303), data=lambda w: {"locale": "fil", "next": "/"}),
    Row("accounts.account", "GET", signed_in(200)),
    Row("accounts.quick_exit", "GET", everyone(303)),
    Row("accounts.sign_out_everywhere", "POST", signed_in(303)),
    Row("accounts.change_password", "GET", signed_in(200)),
    Row("accounts.change_password", "POST", signed_in(422)),
    Row("organisations.mine", "GET", signed_in(200)),
    Row("organisations.register", "GET", everyone(200)),
    Row("organisations.register", "POST", signed_in(422)),
    Row("organisations.join", "GET", signed_in(200)),
    Row("organisations.join", "POST", signed_in(422)),
    Row("organisations.show", "GET", only(200, {"member", "leader", "staff"}), args=ORG),
    Row("organisations.edit", "GET", only(200, {"leader"}), args=ORG),
    Row("organisations.edit", "POST", only(422, {"leader"}), args=ORG),
    Row("organisations.rotate_code", "POST", only(303, {"leader"}), args=ORG),
    Row("organisations.accept", "POST", only(303, {"leader"}), args=PENDING_MEMBER),
    Row("organisations.remove", "POST", only(303, {"leader"}), args=PENDING_MEMBER),
    Row("organisations.set_role", "POST", only(303, {"leader"}), args=ACTIVE_MEMBER,
        data=lambda w: {"role": "coleader"}),
    Row("staff.dashboard", "GET", only(200, {"staff"})),
    Row("staff.queue", "GET", only(200, {"staff"})),
    Row("staff.queue", "GET", only(200, {"staff"}), args=lambda w: {"state": "renamed"}),
    Row("staff.approve", "POST", only(303, {"staff"}), args=PENDING_ORG,
        data=lambda w: {"expected_state": "pending"}),
    Row("staff.reject", "POST", only(303, {"staff"}), args=PENDING_ORG,
        data=lambda w: {"expected_state": "pending", "reason": "incomplete"}),
    Row("staff.approve_name", "POST", only(303, {"staff"}), args=lambda w: {"org_id": w.other_org.id}),
    Row("staff.reject_name", "POST", only(303, {"staff"}), args=lambda w: {"org_id": w.other_org.id}),
    Row("trainings.catalogue", "GET", everyone(200)),
    Row("trainings.show", "GET", everyone(200), args=SESSION),
    Row("trainings.book", "POST", signed_in(303), args=SESSION),
    Row("trainings.join_waitlist", "POST", signed_in(303), args=SESSION),
    Row("trainings.book_members", "POST", only(303, {"leader"}), args=SESSION,
        data=lambda w: {"organisation_id": w.org.id, "member": [w.member_m.user_id]}),
    Row("trainings.cancel", "POST", only(303, {"member", "leader", "staff"}), args=BOOKING),
    Row("trainings.leave", "POST", only(303, {"member", "staff"}), args=ENTRY),
    Row("trainings.accept", "POST", only(303, {"member", "staff"}), args=ENTRY),
    Row("trainings.mine", "GET", signed_in(200)),
    Row("trainings.booking_ics", "GET", only(200, {"member", "leader", "staff"}), args=BOOKING),
    Row("trainings.calendar_address", "POST", signed_in(303)),
    Row("trainings.calendar_stop", "POST", signed_in(303)),
    Row("trainings.feed", "GET", everyone(200), args=lambda w: {"token": w.feed.token}),
    Row("trainings.outreach", "GET", only(200, LEADERS)),
    Row("trainings.request_outreach", "GET", only(200, LEADERS)),
    Row("trainings.request_outreach", "POST", only(422, LEADERS)),
    Row("trainings.withdraw_outreach", "POST", only(303, {"leader"}), args=OUTREACH),
    Row("trainings_staff.sessions", "GET", only(200, STAFF)),
    Row("trainings_staff.courses", "GET", only(200, STAFF)),
    Row("trainings_staff.edit_course", "GET", only(200, STAFF), args=lambda w: {"course_id": w.ts.course_id}),
    Row("trainings_staff.edit_course", "POST", only(422, STAFF), args=lambda w: {"course_id": w.ts.course_id}),
    Row("trainings_staff.new_course", "GET", only(200, STAFF)),
    Row("trainings_staff.new_course", "POST", only(422, STAFF)),
    Row("trainings_staff.new_session", "GET", only(200, STAFF)),
    Row("trainings_staff.new_session", "POST", only(422, STAFF)),
    Row("trainings_staff.cancel_session", "POST", only(303, STAFF), args=SESSION),
    Row("trainings_staff.edit_session", "GET", only(200, STAFF), args=SESSION),
    Row("trainings_staff.edit_session", "POST", only(422, STAFF), args=SESSION),
    Row("trainings_staff.walk_in", "POST", only(422, STAFF), args=SESSION),
    Row("trainings_staff.outreach_requests", "GET", only(200, STAFF)),
    Row("trainings_staff.outreach_request", "GET", only(200, STAFF), args=OUTREACH),
    Row("trainings_staff.accept_outreach", "POST", only(422, STAFF), args=OUTREACH),
    Row("trainings_staff.decline_outreach", "POST", only(422, STAFF), args=OUTREACH),
    Row("trainings_staff.attendance", "GET", only(200, STAFF), args=SESSION),
    Row("trainings_staff.mark", "POST", only(303, STAFF), args=BOOKING, data=lambda w: {"present": "1"}),
    Row("materials.index", "GET", everyone(200)),
    Row("materials.show", "GET", everyone(200), args=MATERIAL),
    Row("materials.download", "GET", everyone(200), args=VERSION),
    Row("materials_staff.index", "GET", only(200, STAFF)),
    Row("materials_staff.new", "GET", only(200, STAFF)),
    Row("materials_staff.new", "POST", only(422, STAFF)),
    Row("materials_staff.edit", "GET", only(200, STAFF), args=MATERIAL),
    Row("materials_staff.edit", "POST", only(422, STAFF), args=MATERIAL),
    Row("materials_staff.delete", "POST", only(303, STAFF), args=MATERIAL),
    Row("materials_staff.new_version", "GET", only(200, STAFF), args=MATERIAL),
    Row("materials_staff.new_version", "POST", only(422, STAFF), args=MATERIAL),
    Row("materials_staff.edit_version", "GET", only(200, STAFF), args=VERSION),
    Row("materials_staff.edit_version", "POST", only(422, STAFF), args=VERSION,
        data=lambda w: {"url": "http://not-https.example"}),
    Row("materials_staff.delete_version", "POST", only(303, STAFF), args=VERSION),
]


class World:
    def __init__(self):
        self.org = OrganisationFactory()
        self.leader = self.org.created_by
        self.member_m = MembershipFactory(organisation=self.org)
        self.pending = MembershipFactory(organisation=self.org, state=MemberState.PENDING)
        self.other_org = OrganisationFactory(pending_name="A new name, waiting for the Mission")
        self.pending_org = OrganisationFactory(state=OrgState.PENDING)
        self.staff = StaffFactory()
        # Trainings: a session where the member is booked (through her organisation), and a full
        # one where a place is offered to her from the waiting list.
        self.ts = SessionFactory(capacity=5, taken=1)
        self.booking = Booking(session_id=self.ts.id, user_id=self.member_m.user_id, organisation_id=self.org.id,
                               state=BookingState.BOOKED)
        full = SessionFactory(capacity=1, taken=1)
        self.entry = WaitlistEntry(session_id=full.id, user_id=self.member_m.user_id, state=WaitState.OFFERED,
                                   offer_expires_at=future(1))
        # Her calendar address, and the leader's request for a training at her organisation's place.
        self.feed = CalendarFeed(user_id=self.member_m.user_id, token="a-private-calendar-token")
        self.outreach = OutreachRequest(organisation_id=self.org.id, requested_by_id=self.leader.id, programme="leap",
                                        language="fil", expected=20, sunday_1=future(14).date(),
                                        sunday_2=future(21).date())
        db.session.add_all([self.booking, self.entry, self.feed, self.outreach])
        db.session.commit()
        # Materials: one of the course, in Filipino, with a file and a text version.
        self.material = MaterialFactory(title="Gabay sa kontrata", course_id=self.ts.course_id)
        self.version = materials.add_version(self.staff, self.material, "fil",
                                             upload=FileStorage(BytesIO(PDF_BYTES), "gabay.pdf"),
                                             text="Mga **karapatan** ng manggagawa.")
        self.users = {"member": self.member_m.user, "other_leader": self.other_org.created_by,
                      "leader": self.leader, "staff": self.staff}


def check(client, row: Row, world: World, role: str):
    """The row's request as the role: (the answer, whether the database is as it was before it)."""
    with client.application.test_request_context():
        url = url_for(row.endpoint, **row.args(world))
    if role != "anonymous":
        sign_in(client, world.users[role])
    data = {"csrf_token": csrf_token(client, "/"), **row.data(world)} if row.method != "GET" else None
    before = snapshot()
    if row.method == "GET":
        response = client.get(url, headers=row.headers)
    else:
        response = client.open(url, method=row.method, data=data, headers=row.headers)
    response.close()
    return response, snapshot() == before


CASES = [pytest.param(row, role, id=f"{row.endpoint}-{row.method}-{role}") for row in MATRIX for role in ROLES]


@pytest.mark.parametrize("row, role", CASES)
def test_access(app, client, row, role):
    response, unchanged = check(client, row, World(), role)
    want = row.expect[role]
    if want == L:
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), \
            (response.status_code, response.headers.get("Location"))
    else:
        assert response.status_code == want, response.get_data(as_text=True)[:300]
    if want in (L, 403, 404):  # refused: and nothing changed
        assert unchanged, f"{row.endpoint} {row.method} as {role} was refused but changed data"


def test_every_endpoint_has_a_row(app):
    rows = {(r.endpoint, r.method) for r in MATRIX}
    routes = {(rule.endpoint, m) for rule in app.url_map.iter_rules()
              for m in rule.methods - {"HEAD", "OPTIONS"}}
    missing = routes - rows
    assert not missing, f"endpoints without a row in the access matrix: {sorted(missing)}"
    assert not rows - routes, f"rows for endpoints that no longer exist: {sorted(rows - routes)}"


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
