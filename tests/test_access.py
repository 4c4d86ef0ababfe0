"""The access matrix: every endpoint of the app, as every role, with real objects.

A new endpoint without a row here fails `test_every_endpoint_has_a_row`. Codes: a number is
the status expected; "login" is a redirect to the sign-in page.
"""
from contextlib import contextmanager
from datetime import timedelta
from dataclasses import dataclass, field
from io import BytesIO

import pytest
from flask import url_for
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.datastructures import FileStorage

from portal.accounts.models import CalendarFeed
from portal.campaigns.models import Endorsement, ShiftWait, Signup
from portal.capacity import PlaceState
from portal.extensions import db, limiter
from portal.notifications.services import MemorySender
from portal.organisations.models import Membership, MemberState, OrgState
from portal.directory import services as directory
from portal.referrals import services as referrals
from portal.trainings.materials import services as materials
from portal.trainings.models import (
    Booking, BookingState, OutreachRequest, WaitlistEntry, WaitState,
)
from tests.conftest import Client, empty_tables, make_app
from tests.factories import (
    PDF_BYTES, CampaignFactory, MaterialFactory, MembershipFactory, OrganisationFactory, SessionFactory, ShiftFactory,
    StaffFactory, future,
)
from tests.helpers import csrf_token, sign_in, snapshot

# The Mission's roles: "staff" (no case powers), a caseworker with the world's case assigned to her, one
# without it, a supervisor, an administrator.
MISSION = ("staff", "caseworker", "other_caseworker", "supervisor", "admin")
ROLES = ("anonymous", "member", "other_leader", "leader", *MISSION)
# The roles the hostile sweep and the walk go through as: each page and form is seen by one of them (the
# supervisor sees every case; the other Mission roles see what "staff" sees, or less).
SWEPT = ("anonymous", "member", "other_leader", "leader", "staff", "supervisor")
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
    """`code` for `roles` ("staff" stands for every Mission role: they share the desk's powers), 403 (or
    `others`) for the rest, and the sign-in page for anonymous."""
    roles = set(roles) | (set(MISSION) if "staff" in roles else set())
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
DRAFT = lambda w: {"ref": w.draft.ref}  # noqa: E731
SENT = lambda w: {"ref": w.referral.ref}  # noqa: E731
CASE = lambda w: {"ref": w.case.ref}  # noqa: E731
QUESTION = lambda w: {"ref": w.question.ref}  # noqa: E731
SERVICE = lambda w: {"service_id": w.service.id}  # noqa: E731
CAMPAIGN = lambda w: {"campaign_id": w.campaign.id}  # noqa: E731
SHIFT = lambda w: {"shift_id": w.shift.id}  # noqa: E731
SURE = lambda w: {"sure": "1"}  # noqa: E731  (past the question asked once: portal.web.ask_first)
SIGNUP = lambda w: {"signup_id": w.signup.id}  # noqa: E731
SHIFT_ENTRY = lambda w: {"entry_id": w.shift_entry.id}  # noqa: E731
LEADERS = {"leader", "other_leader"}
STAFF = {"staff"}
WORKERS = {"caseworker", "supervisor"}  # of the world's case: its caseworker, and supervisors
ANSWERERS = {"caseworker", "other_caseworker", "supervisor"}  # questions without names

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
    # Everyone in the world has confirmed her number: the page of the code sends her on to her account.
    Row("accounts.confirm_phone", "GET", signed_in(303)),
    Row("accounts.confirm_phone", "POST", signed_in(303)),
    Row("accounts.send_phone_code", "POST", signed_in(303)),
    Row("accounts.change_phone", "GET", signed_in(200)),
    Row("accounts.change_phone", "POST", signed_in(422)),
    Row("accounts.set_discreet", "POST", signed_in(303)),
    # Her own choices of how messages reach her: nothing chosen is the usual way for every topic.
    Row("accounts.messages", "GET", signed_in(200)),
    Row("accounts.messages", "POST", signed_in(303)),
    # The gateways' status reports: only with the gateway's signature, which no one here has; Meta's check of
    # the webhook's address, only with our verify token.
    Row("hooks.sms_status", "POST", everyone(403)),
    Row("hooks.whatsapp_status", "POST", everyone(403)),
    Row("hooks.whatsapp_verify", "GET", everyone(403)),
    # Messages that did not arrive: the administrator's (none in the world: sending one again is refused).
    Row("staff.messages", "GET", only(200, {"admin"})),
    Row("staff.resend_message", "POST", only(303, {"admin"}), args=lambda w: {"msg_id": 999999}),
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
    # Asked once: the leader before removing her, the member before leaving.
    Row("organisations.remove", "GET", only(200, {"leader", "member"}), args=ACTIVE_MEMBER),
    Row("organisations.set_role", "POST", only(303, {"leader"}), args=ACTIVE_MEMBER,
        data=lambda w: {"role": "coleader"}),
    Row("staff.dashboard", "GET", only(200, {"staff"})),
    Row("staff.help_into_account", "GET", only(200, {"staff"})),
    Row("staff.help_into_account", "POST", only(303, {"staff"}),
        data=lambda w: {"identifier": w.member_m.user.phone, "here": "y"}),
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
    Row("trainings.cancel", "GET", only(200, {"member", "leader", "staff"}), args=BOOKING),  # asked once
    Row("trainings.undo_cancel", "POST", only(303, {"member", "leader", "staff"}), args=BOOKING),
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
    Row("trainings_staff.cancel_session", "POST", only(303, STAFF), args=SESSION, data=SURE),
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
    Row("materials_staff.delete", "POST", only(303, STAFF), args=MATERIAL, data=SURE),
    Row("materials_staff.new_version", "GET", only(200, STAFF), args=MATERIAL),
    Row("materials_staff.new_version", "POST", only(422, STAFF), args=MATERIAL),
    Row("materials_staff.edit_version", "GET", only(200, STAFF), args=VERSION),
    Row("materials_staff.edit_version", "POST", only(422, STAFF), args=VERSION,
        data=lambda w: {"url": "http://not-https.example"}),
    Row("materials_staff.delete_version", "POST", only(303, STAFF), args=VERSION),
    # Mutual Care and Support: the referring leader's side...
    Row("referrals.index", "GET", signed_in(200)),
    Row("referrals.start", "GET", only(200, {"leader"}), args=ORG),
    Row("referrals.start", "POST", only(422, {"leader"}), args=ORG),
    Row("referrals.step", "GET", only(200, {"leader"}), args=lambda w: {"ref": w.draft.ref, "n": 1}),
    Row("referrals.step", "POST", only(303, {"leader"}), args=lambda w: {"ref": w.draft.ref, "n": 2}),
    Row("referrals.show", "GET", only(200, {"leader"}), args=SENT),
    Row("referrals.show", "GET", only(200, {"leader"}), args=DRAFT),
    Row("referrals.submit", "POST", only(303, {"leader"}), args=DRAFT),
    Row("referrals.discard", "POST", only(303, {"leader"}), args=DRAFT),
    Row("referrals.withdraw", "POST", only(303, {"leader"}), args=SENT),
    Row("referrals.resend_code", "POST", only(303, {"leader"}), args=SENT),
    Row("referrals.ask", "GET", only(200, {"leader"}), args=ORG),
    Row("referrals.ask", "POST", only(422, {"leader"}), args=ORG),
    Row("referrals.question", "GET", only(200, {"leader"}), args=QUESTION),
    Row("check.page", "GET", everyone(200)),  # a worker's own code: no sign-in
    Row("check.page", "POST", everyone(422)),
    Row("check.withdraw_by_code", "POST", everyone(422)),
    # ... and the Mission's: the queue's lines for every Mission role, a case for its caseworker and supervisors.
    Row("referrals_staff.queue", "GET", only(200, STAFF)),
    Row("referrals_staff.case", "GET", only(200, WORKERS), args=CASE),
    Row("referrals_staff.case", "GET", only(200, {"supervisor"}), args=SENT),  # not yet anyone's
    Row("referrals_staff.triage", "POST", only(422, {"supervisor"}), args=SENT),
    Row("referrals_staff.accept", "POST", only(303, {"supervisor"}), args=SENT),
    Row("referrals_staff.decline", "POST", only(422, {"supervisor"}), args=SENT),
    Row("referrals_staff.assign", "POST", only(422, {"supervisor"}), args=SENT),
    Row("referrals_staff.triage", "POST", only(422, {"supervisor"}), args=CASE),  # her case, not her decision
    Row("referrals_staff.note", "POST", only(422, WORKERS), args=CASE),
    Row("referrals_staff.stay", "POST", only(303, WORKERS), args=CASE),
    Row("referrals_staff.add_date", "POST", only(422, WORKERS), args=CASE),
    Row("referrals_staff.remove_date", "POST", only(303, WORKERS),
        args=lambda w: {"ref": w.case.ref, "date_id": w.key_date.id}),
    Row("referrals_staff.close", "POST", only(422, WORKERS), args=CASE),
    Row("referrals_staff.refer_onward", "GET", only(200, WORKERS), args=CASE),
    Row("referrals_staff.refer_onward", "POST", only(422, WORKERS), args=CASE),
    Row("referrals_staff.access_requests", "GET", only(200, {"supervisor"})),
    Row("referrals_staff.access_requests", "POST", only(422, {"supervisor"})),
    Row("referrals_staff.answer_access_request", "POST", only(200, {"supervisor"}),
        args=lambda w: {"request_id": w.access_request.id}),
    Row("referrals_staff.questions", "GET", only(200, ANSWERERS)),
    # The directory of partner services: public; its exports and its management for the Mission.
    Row("directory.index", "GET", everyone(200)),
    Row("directory.show", "GET", everyone(200), args=SERVICE),
    Row("directory.export_json", "GET", only(200, STAFF)),
    Row("directory.export_csv", "GET", only(200, STAFF)),
    Row("directory_staff.manage", "GET", only(200, STAFF)),
    Row("directory_staff.new", "GET", only(200, STAFF)),
    Row("directory_staff.new", "POST", only(422, STAFF)),
    Row("directory_staff.edit", "GET", only(200, STAFF), args=SERVICE),
    Row("directory_staff.edit", "POST", only(422, STAFF), args=SERVICE),
    Row("directory_staff.delete", "POST", only(303, STAFF), args=SERVICE),
    Row("directory_staff.import_file", "GET", only(200, STAFF)),
    Row("directory_staff.import_file", "POST", only(422, STAFF)),
    Row("referrals_staff.answer", "GET", only(200, ANSWERERS), args=QUESTION),
    Row("referrals_staff.answer", "POST", only(422, ANSWERERS), args=QUESTION),
    # Campaigns: public ones for everyone; one for the members of the organisations that support it.
    Row("campaigns.index", "GET", everyone(200)),
    Row("campaigns.campaign", "GET", everyone(200), args=CAMPAIGN),
    # ... seen by leaders of approved organisations too, who choose to support it.
    Row("campaigns.campaign", "GET", {**everyone(404), "member": 200, "leader": 200, "other_leader": 200,
                                      **{r: 200 for r in MISSION}}, args=lambda w: {"campaign_id": w.private.id}),
    Row("share.short", "GET", everyone(200), args=lambda w: {"code": w.campaign.code}),
    Row("campaigns.endorse", "POST", only(303, {"leader"}), args=CAMPAIGN,
        data=lambda w: {"organisation_id": str(w.org.id), "committed": "5"}),
    Row("campaigns.withdraw_endorsement", "POST", only(303, {"leader", "staff"}),
        args=lambda w: {"endorsement_id": w.endorsement.id}),
    Row("campaigns.media", "POST", only(303, {"member", "leader"}), args=CAMPAIGN),
    Row("campaigns.shift", "GET", everyone(200), args=SHIFT),
    Row("campaigns.shift", "GET", everyone(200), args=lambda w: {"shift_id": w.full_shift.id}),
    Row("campaigns.sign_up_many", "POST", signed_in(303), data=lambda w: {"shift": str(w.shift.id)}),
    Row("campaigns.sign_up", "POST", signed_in(303), args=SHIFT),
    Row("campaigns.join_waitlist", "POST", signed_in(303), args=SHIFT),
    Row("campaigns.sign_up_members", "POST", only(303, {"leader"}), args=SHIFT,
        data=lambda w: {"organisation_id": str(w.org.id), "member": str(w.member_m.user_id)}),
    Row("campaigns.cancel", "POST", only(303, {"member", "leader", "staff"}), args=SIGNUP),
    Row("campaigns.cancel", "GET", only(200, {"member", "leader", "staff"}), args=SIGNUP),  # asked once
    Row("campaigns.undo_cancel", "POST", only(303, {"member", "leader", "staff"}), args=SIGNUP),
    Row("campaigns.leave", "POST", only(303, {"member", "staff"}), args=SHIFT_ENTRY),
    Row("campaigns.accept", "POST", only(303, {"member", "staff"}), args=SHIFT_ENTRY),
    Row("campaigns.mine", "GET", signed_in(200)),
    Row("campaigns.signup_ics", "GET", only(200, {"member", "leader", "staff"}), args=SIGNUP),
    Row("campaigns.messages", "POST", signed_in(303), data=lambda w: {"channel": "none"}),
    # On the day: the shift's lead (the member here) and staff check in, add walk-ins and write hours.
    Row("campaigns.check_in", "GET", only(200, {"member", "staff"}), args=SHIFT),
    Row("campaigns.mark", "POST", only(303, {"member", "staff"}), args=SIGNUP, data=lambda w: {"present": "1"}),
    Row("campaigns.hours", "POST", only(303, {"member", "staff"}), args=SIGNUP, data=lambda w: {"hours": "2"}),
    Row("campaigns.walk_in", "POST", only(422, {"member", "staff"}), args=SHIFT),
    Row("campaigns.my_hours", "GET", signed_in(200)),
    Row("campaigns_staff.approve_hours", "POST", only(303, STAFF), args=SHIFT),
    Row("campaigns_staff.all_hours", "GET", only(200, STAFF)),
    Row("campaigns_staff.hours_csv", "GET", only(200, STAFF)),
    Row("campaigns_staff.campaigns", "GET", only(200, STAFF)),
    Row("campaigns_staff.new_campaign", "GET", only(200, STAFF)),
    Row("campaigns_staff.new_campaign", "POST", only(422, STAFF)),
    Row("campaigns_staff.edit_campaign", "GET", only(200, STAFF), args=CAMPAIGN),
    Row("campaigns_staff.edit_campaign", "POST", only(422, STAFF), args=CAMPAIGN),
    Row("campaigns_staff.cancel_campaign", "POST", only(303, STAFF), args=CAMPAIGN, data=SURE),
    Row("campaigns_staff.new_shift", "GET", only(200, STAFF), args=CAMPAIGN),
    Row("campaigns_staff.new_shift", "POST", only(422, STAFF), args=CAMPAIGN),
    Row("campaigns_staff.edit_shift", "GET", only(200, STAFF), args=SHIFT),
    Row("campaigns_staff.edit_shift", "POST", only(422, STAFF), args=SHIFT),
    Row("campaigns_staff.cancel_shift", "POST", only(303, STAFF), args=SHIFT, data=SURE),
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
        # The directory: a shelter with beds. Mutual Care and Support: a draft, a referral sent to the Mission, and
        # a case assigned to a caseworker.
        self.service = directory.create(self.staff, dict(
            organization="Bahay Kanlungan", name="Tuluyan", kind="shelter", languages=["fil", "id"], capacity=3,
            hours="24/7", district="yau_tsim_mong", phone="+852 2721 3119", published=True))
        self.caseworker = StaffFactory(role="caseworker")
        self.supervisor = StaffFactory(role="supervisor")
        self.draft = referrals.start(self.leader, self.org, "world-draft-form-key")
        self.referral = _referral(self.leader, self.org, "world-sent-form-key")
        self.case = _referral(self.leader, self.org, "world-case-form-key")
        referrals.accept(self.supervisor, self.case)
        referrals.assign(self.supervisor, self.case, self.caseworker)
        self.key_date = referrals.add_date(self.caseworker, self.case, "conciliation", future(10).date())
        self.question = referrals.ask(self.leader, self.org, "wages", "days", "May she claim a month's wages?")
        from portal.referrals.access_requests import record_request
        self.access_request = record_request(self.supervisor, referrals.today(), "Worker of the world",
                                             "+85291230000", None)
        # Campaigns: a shift where the member is signed up through her organisation, a full one where a place
        # is offered to her, and a campaign for the members of the organisations supporting it (hers).
        self.campaign = CampaignFactory(title="A full rest day")
        # The member leads the shift (check-in), where the leader came already (her hours to write).
        self.shift = ShiftFactory(campaign=self.campaign, capacity=5, taken=2, lead_id=self.member_m.user_id)
        self.signup = Signup(shift_id=self.shift.id, user_id=self.member_m.user_id, organisation_id=self.org.id,
                             state=PlaceState.BOOKED)
        self.came = came = Signup(shift_id=self.shift.id, user_id=self.leader.id, state=PlaceState.ATTENDED)
        self.full_shift = ShiftFactory(campaign=self.campaign, capacity=1, taken=1,
                                       starts_at=future(9), ends_at=future(9) + timedelta(hours=2))
        self.shift_entry = ShiftWait(shift_id=self.full_shift.id, user_id=self.member_m.user_id,
                                     state=WaitState.OFFERED, offer_expires_at=future(1))
        self.private = CampaignFactory(public=False)
        self.endorsement = Endorsement(campaign_id=self.private.id, organisation_id=self.org.id)
        db.session.add_all([self.signup, came, self.shift_entry, self.endorsement])
        db.session.commit()
        self.users = {"member": self.member_m.user, "other_leader": self.other_org.created_by,
                      "leader": self.leader, "staff": self.staff, "caseworker": self.caseworker,
                      "other_caseworker": StaffFactory(role="caseworker"), "supervisor": self.supervisor,
                      "admin": StaffFactory(role="admin")}

    def detach(self):
        """Its objects read in full and let go of, so that they outlive the session that made them (rows
        and roles read their ids and addresses)."""
        db.session.commit()
        for obj in [*vars(self).values(), *self.users.values()]:
            if isinstance(obj, db.Model):
                db.session.refresh(obj)
        db.session.expunge_all()


def _referral(leader, org, key):
    """A referral sent to the Mission, as a leader sends one."""
    r = referrals.start(leader, org, key)
    referrals.save_what(leader, r, ["wages"], "days", "Not paid for two months.")
    referrals.save_worker(leader, r, "Worker of the world", "+85291230000", None, "fil", False)  # her code by SMS
    referrals.save_contact(leader, r, ["sms"], ["sun"], "", True, True)
    referrals.record_consent(leader, r, "in_person", referrals.today())
    return referrals.submit(leader, r)


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


@contextmanager
def rolled_back():
    """Everything done inside, the requests' commits included, is undone at the end: the session is joined to
    an outer transaction on one connection, and each of its commits only releases a savepoint of it (the
    recipe "Joining a Session into an External Transaction" of SQLAlchemy's documentation)."""
    db.session.remove()
    connection = db.engine.connect()
    outer = connection.begin()
    saved = db.session
    # A plain Session: Flask-SQLAlchemy's would ask the app for its engine and pass the connection by.
    db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    try:
        yield
    finally:
        db.session.remove()
        db.session = saved
        outer.rollback()
        connection.close()
        limiter.storage.reset()


@pytest.fixture(scope="module", params=ROLES)
def matrix(request, database):
    """One world per role and database, built once: each row's request is then undone (`rolled_back`), so
    every row finds the world as it was built. Counts of tries are kept in memory here (the database's
    counters write on a connection of their own, which the outer transaction would block on SQLite)."""
    app = make_app(database, RATELIMIT_STORAGE_URI="memory://")
    app.test_client_class = Client
    app.extensions["outbox.sender"] = MemorySender()
    with app.app_context():
        world = World()
        world.detach()
        yield app, world, request.param
        db.session.remove()
        empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("row", [pytest.param(row, id=f"{row.endpoint}-{row.method}") for row in MATRIX])
def test_access(matrix, row):
    app, world, role = matrix
    with rolled_back():
        response, unchanged = check(app.test_client(), row, world, role)
    want = row.expect[role]
    if want == L:
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), \
            (response.status_code, response.headers.get("Location"))
    else:
        assert response.status_code == want, response.get_data(as_text=True)[:300]
    if want in (L, 403, 404):  # refused: and nothing changed
        assert unchanged, f"{row.endpoint} {row.method} as {role} was refused but changed data"


def test_each_row_finds_the_world_as_it_was_built(matrix):
    """The rollback holds: a row that changes the world (the leader accepts her pending member) leaves nothing
    behind for the next."""
    world = matrix[1]
    before = snapshot()
    with rolled_back():
        db.session.get(Membership, world.pending.id).state = MemberState.ACTIVE
        db.session.commit()
        assert snapshot() != before
    assert snapshot() == before


def test_every_endpoint_has_a_row(matrix):
    app = matrix[0]
    rows = {(r.endpoint, r.method) for r in MATRIX}
    routes = {(rule.endpoint, m) for rule in app.url_map.iter_rules()
              for m in rule.methods - {"HEAD", "OPTIONS"}}
    missing = routes - rows
    assert not missing, f"endpoints without a row in the access matrix: {sorted(missing)}"
    assert not rows - routes, f"rows for endpoints that no longer exist: {sorted(rows - routes)}"
