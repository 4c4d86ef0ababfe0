"""Referrals without HTTP: who may do what, every change of state (allowed and refused, per role), consent and
its withdrawal, the deadline's arithmetic, shredding, and the audit row of every read and change."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text

from portal.audit import AuditLog
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.organisations.models import MemberRole, MemberState, OrgState
from portal.referrals import services
from portal.referrals.models import Note, Referral, ReferralState
from portal.web import NotAllowed
from tests.factories import MembershipFactory, OrganisationFactory, StaffFactory

S = ReferralState
NAME, PHONE, STORY = "Siti Rahayu", "+85291234567", "Not paid for three months; the employer keeps her passport."


def draft(leader, org, *, member=None, consent=True, key="form-1"):
    r = services.start(leader, org, key, member_id=member.id if member else None)
    services.save_what(leader, r, ["wages", "termination"], "days", STORY)
    services.save_dates(leader, r, services.today() - timedelta(days=3))
    services.save_worker(leader, r, NAME, PHONE, None, "id", True)
    services.save_contact(leader, r, ["sms"], ["sun"], "after 20:00", True, True)
    services.save_employer(leader, r, "Mr Chan", "+85221234567", "Flat 3A, Tower 1", "Good Agency")
    if consent:
        services.record_consent(leader, r, "in_person", services.today())
    return r


@pytest.fixture
def people(app):
    org = OrganisationFactory()
    return {
        "org": org,
        "leader": org.created_by,
        "coleader": MembershipFactory(organisation=org, role=MemberRole.COLEADER).user,
        "member": MembershipFactory(organisation=org).user,
        "other_leader": OrganisationFactory().created_by,
        "staff": StaffFactory(),
        "caseworker": StaffFactory(role="caseworker"),
        "other_caseworker": StaffFactory(role="caseworker"),
        "supervisor": StaffFactory(role="supervisor"),
        "admin": StaffFactory(role="admin"),
    }


def sent(p) -> Referral:
    r = draft(p["leader"], p["org"])
    return services.submit(p["leader"], r)


def audit_actions(r: Referral) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(
        AuditLog.entity_type == "referrals", AuditLog.entity_id == r.id).order_by(AuditLog.id)))


# --- who may refer ---

def test_a_leader_or_coleader_of_an_approved_organisation_refers(people):
    for who in ("leader", "coleader"):
        r = services.start(people[who], people["org"], f"key-{who}")
        assert r.state == S.DRAFT and r.organisation_id == people["org"].id


@pytest.mark.parametrize("who", ["member", "other_leader", "staff", "supervisor"])
def test_no_one_else_refers_for_the_organisation(people, who):
    with pytest.raises(NotAllowed):
        services.start(people[who], people["org"], "k")
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_a_leader_of_an_organisation_not_yet_approved_cannot_refer(app):
    org = OrganisationFactory(state=OrgState.PENDING)
    with pytest.raises(NotAllowed):
        services.start(org.created_by, org, "k")


def test_the_same_form_sent_twice_makes_one_draft(people):
    first = services.start(people["leader"], people["org"], "same-form")
    again = services.start(people["leader"], people["org"], "same-form")
    assert first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def test_a_referral_for_a_member_must_be_for_a_member_of_her_organisation(people):
    stranger = MembershipFactory().user  # a member of another organisation
    with pytest.raises(services.NotTheirMember):
        services.start(people["leader"], people["org"], "k", member_id=stranger.id)
    r = services.start(people["leader"], people["org"], "k2", member_id=people["member"].id)
    assert r.worker_id == people["member"].id


# --- consent first ---

def test_nothing_reaches_the_mission_without_her_consent(people):
    r = draft(people["leader"], people["org"], consent=False)
    with pytest.raises(services.ConsentNeeded):
        services.submit(people["leader"], r)
    db.session.rollback()
    assert db.session.get(Referral, r.id).state == S.DRAFT
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # The queue never shows a draft.
    assert db.session.scalars(services.queue_lines(list(S))).all() == []


def test_a_referral_missing_answers_is_not_sent_and_says_which_steps(people):
    r = services.start(people["leader"], people["org"], "k")
    services.record_consent(people["leader"], r, "phone", services.today())
    assert services.missing(r) == [1, 3, 4]
    with pytest.raises(services.Incomplete):
        services.submit(people["leader"], r)


def test_consent_records_how_when_and_who(people):
    r = draft(people["leader"], people["org"], consent=False)
    c = services.record_consent(people["coleader"], r, "written", services.today() - timedelta(days=2))
    assert (c.how, c.given_on, c.taken_by_id, c.to_mission) == (
        "written", services.today() - timedelta(days=2), people["coleader"].id, True)
    for bad in (services.today() + timedelta(days=1), services.today() - timedelta(days=91)):
        with pytest.raises(services.BadDate):
            services.record_consent(people["leader"], r, "written", bad)


def test_sending_tells_supervisors_only_that_there_is_news(people):
    r = sent(people)
    assert r.state == S.SUBMITTED and r.submitted_at is not None
    messages = db.session.scalars(select(OutboxMessage)).all()
    # The supervisors, and the worker herself (no account: her code, to the number she gave).
    assert sorted((m.user_id or 0, m.kind) for m in messages) == [(0, "case_code"), (people["supervisor"].id,
                                                                                    "referral_new")]
    for m in messages:
        for secret in (NAME, PHONE, "passport", "Chan", people["org"].name, r.ref):
            assert secret not in m.body and secret not in m.subject


def test_a_sent_referral_is_no_longer_a_draft_she_can_change(people):
    r = sent(people)
    with pytest.raises(services.NotADraft):
        services.save_worker(people["leader"], r, "Another", None, None, "id", False)


# --- the table of changes ---

ACTORS = ["leader", "member", "other_leader", "staff", "caseworker", "other_caseworker", "supervisor", "admin"]


def at(state: ReferralState, p, key="form-1") -> Referral:
    """A referral brought to `state` the way people would bring it there."""
    r = draft(p["leader"], p["org"], key=key)
    if state == S.DRAFT:
        return r
    services.submit(p["leader"], r)
    path = {
        S.TRIAGED: [lambda: services.triage(p["supervisor"], r, "leap", "days")],
        S.ACCEPTED: [lambda: services.accept(p["supervisor"], r)],
        S.DECLINED: [lambda: services.decline(p["supervisor"], r, "duplicate")],
        S.ASSIGNED: [lambda: services.accept(p["supervisor"], r), lambda: services.assign(p["supervisor"], r, p["caseworker"])],
        S.REFERRED: [lambda: services.accept(p["supervisor"], r), lambda: services.assign(p["supervisor"], r, p["caseworker"]),
                     lambda: services._move(p["caseworker"], r, "refer_onward") or db.session.commit()],
        S.CLOSED: [lambda: services.accept(p["supervisor"], r), lambda: services.assign(p["supervisor"], r, p["caseworker"]),
                   lambda: services.close(p["caseworker"], r, "resolved")],
    }.get(state, [])
    for step in path:
        step()
    assert r.state == state
    return r


def test_the_table_is_the_only_source_of_states(app):
    """Every state is reached by some action and every action's target is a state; the transitions a
    template asks (TRANSITIONS) are the actions' table read by state."""
    targets = {a.to for a in services.ACTIONS.values() if a.to is not None}
    assert targets | {S.DRAFT} == set(S)
    assert services.TRANSITIONS[S.DRAFT] == {S.SUBMITTED}
    assert services.TRANSITIONS[S.CLOSED] == set() and services.TRANSITIONS[S.DECLINED] == set()


@pytest.mark.parametrize("state", list(S))
def test_each_action_from_each_state_is_allowed_only_by_the_table_and_only_to_whom_it_names(people, state):
    """For every state, every action, every role: the table's answer is what happens. A refused action
    changes nothing and says why."""
    r = at(state, people)
    ref_id = r.id
    for action, a in services.ACTIONS.items():
        for who in ACTORS:
            user = people[who]
            r = db.session.get(Referral, ref_id)
            before, count = r.state, db.session.scalar(select(func.count()).select_from(AuditLog))
            allowed = services.may(user, r, action)
            works = {"supervisor"} | ({"caseworker"} if r.caseworker_id == people["caseworker"].id else set())
            expected_who = {"submit": {"leader"}, "withdraw": {"leader"} | works, "erase": {"leader"} | works,
                            "refer_onward": works, "close": works}.get(action, {"supervisor"})
            assert allowed == (state in a.sources and who in expected_who), (action, who, state)
            if allowed:
                continue  # the allowed moves are walked by at() and the tests below
            with pytest.raises((NotAllowed, services.Refused, services.ConsentNeeded, services.NotACaseworker)):
                _act(action, user, r, people)
            db.session.rollback()
            r = db.session.get(Referral, ref_id)
            assert r.state == before
            assert db.session.scalar(select(func.count()).select_from(AuditLog)) == count


def _act(action, user, r, p):
    return {
        "submit": lambda: services.submit(user, r),
        "triage": lambda: services.triage(user, r, "leap", "now"),
        "accept": lambda: services.accept(user, r),
        "decline": lambda: services.decline(user, r, "other"),
        "assign": lambda: services.assign(user, r, p["caseworker"]),
        "refer_onward": lambda: services._move(user, r, "refer_onward"),
        "close": lambda: services.close(user, r, "resolved"),
        "withdraw": lambda: services._move(user, r, "withdraw"),
        "erase": lambda: services._move(user, r, "erase"),
    }[action]()


def test_a_refused_change_names_the_state_the_referral_is_in(people):
    r = at(S.DECLINED, people)
    with pytest.raises(services.Refused) as refused:
        services.accept(people["supervisor"], r)
    assert "Declined" in str(refused.value.message)


def test_triage_accept_assign_then_the_caseworker_works_it(people):
    r = sent(people)
    services.triage(people["supervisor"], r, "pcsw", "now")
    assert (r.programme, r.urgency, r.urgency_rank) == ("pcsw", "now", 0)
    services.accept(people["supervisor"], r)
    with pytest.raises(services.NotACaseworker):
        services.assign(people["supervisor"], r, people["staff"])
    services.assign(people["supervisor"], r, people["caseworker"])
    assert r.state == S.ASSIGNED and r.caseworker_id == people["caseworker"].id
    assert services.can_work(people["caseworker"], r)
    assert not services.can_work(people["other_caseworker"], r)
    # Reassigned while she works it: the first caseworker loses it.
    services.assign(people["supervisor"], r, people["other_caseworker"])
    assert services.can_work(people["other_caseworker"], r) and not services.can_work(people["caseworker"], r)
    kinds = {m.kind: m.user_id for m in db.session.scalars(select(OutboxMessage))}
    assert kinds["case_assigned"] in (people["caseworker"].id, people["other_caseworker"].id)
    assert audit_actions(r) == ["referral.started"] + ["referral.draft_saved"] * 5 + [
        "referral.consent_recorded", "referral.submit", "referral.code_sent", "referral.triage", "referral.accept", "referral.assign",
        "referral.assign"]


def test_a_declined_referral_tells_its_leaders_the_reason_in_their_language(people):
    r = sent(people)
    services.decline(people["supervisor"], r, "elsewhere")
    assert str(r.decline_label).startswith("Another service")
    to = {m.user_id for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "referral_news"))}
    assert to == {people["leader"].id, people["coleader"].id}


# --- reading: only who must, and every read leaves a row ---

@pytest.mark.parametrize("who, may_read", [
    ("caseworker", True), ("supervisor", True), ("other_caseworker", False), ("staff", False), ("admin", False),
    ("leader", False), ("member", False), ("other_leader", False)])
def test_the_case_is_read_by_its_caseworker_and_supervisors_only_each_read_audited(people, who, may_read):
    r = at(S.ASSIGNED, people)
    before = audit_actions(r)
    if may_read:
        services.read_case(people[who], r)
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "referral.read")).all()
        assert [(row.actor_id, row.entity_id) for row in rows] == [(people[who].id, r.id)]
    else:
        with pytest.raises(NotAllowed):
            services.read_case(people[who], r)
        assert audit_actions(r) == before


@pytest.mark.parametrize("who, may_follow", [
    ("leader", True), ("coleader", True), ("member", False), ("other_leader", False), ("supervisor", False)])
def test_the_status_view_is_for_the_organisations_leaders(people, who, may_follow):
    r = sent(people)
    if may_follow:
        services.read_status(people[who], r)
        assert audit_actions(r)[-1] == "referral.status_read"
    else:
        with pytest.raises(NotAllowed):
            services.read_status(people[who], r)


def test_a_leader_who_steps_down_no_longer_follows_her_organisations_referrals(people):
    r = sent(people)
    m = people["coleader"].memberships[0]
    m.state = MemberState.REMOVED
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.read_status(people["coleader"], r)
    assert r.id not in {x.id for x in db.session.scalars(services.followed(people["coleader"]))}
    assert r.id in {x.id for x in db.session.scalars(services.followed(people["leader"]))}


# --- notes ---

def test_shared_notes_reach_the_leader_internal_ones_never(people):
    r = at(S.ASSIGNED, people)
    services.add_note(people["caseworker"], r, "Called her on Sunday; she is safe.", shared=True)
    services.add_note(people["caseworker"], r, "Employer threatened her; consider police.", shared=False)
    assert [n.body for n in services.shared_notes(r)] == ["Called her on Sunday; she is safe."]
    with pytest.raises(NotAllowed):
        services.add_note(people["other_caseworker"], r, "x", shared=False)
    with pytest.raises(services.EmptyNote):
        services.add_note(people["caseworker"], r, "   ", shared=False)
    with pytest.raises(services.EmptyNote):
        services.add_note(people["caseworker"], r, "x" * 5001, shared=False)
    # At rest the notes are tokens, not text.
    raw = db.session.execute(text("SELECT body FROM referral_notes")).scalars().all()
    assert len(raw) == 2 and not any("Sunday" in b or "police" in b for b in raw)


# --- deadlines ---

@pytest.mark.parametrize("end, extended, leave", [
    (date(2026, 12, 25), None, date(2027, 1, 8)),      # across a year
    (date(2027, 1, 31), None, date(2027, 2, 14)),      # across a month
    (date(2028, 2, 20), None, date(2028, 3, 5)),       # a leap year's February
    (date(2027, 2, 20), None, date(2027, 3, 6)),       # a common year's
    (date(2026, 12, 25), date(2027, 3, 1), date(2027, 3, 1)),  # an extension of stay is the deadline
    (None, None, None),
])
def test_the_day_she_must_leave_by(end, extended, leave):
    assert services.leave_by(end, extended) == leave


def test_the_nearest_deadline_days_left_and_near(people):
    with time_machine.travel("2026-12-30 10:00 +0800", tick=False):
        r = at(S.ASSIGNED, people)
        services.set_stay(people["caseworker"], r, date(2026, 12, 25), None)
        assert r.deadline == date(2027, 1, 8)
        assert services.days_left(r.deadline) == 9 and not services.is_near(r.deadline)
        services.add_date(people["caseworker"], r, "conciliation", date(2027, 1, 2))
        assert r.deadline == date(2027, 1, 2) and services.is_near(r.deadline)  # 3 days left
        services.set_stay(people["caseworker"], r, date(2026, 12, 25), date(2027, 2, 28))
        services.remove_date(people["caseworker"], r, r.dates[0])
        assert r.deadline == date(2027, 2, 28)
        with pytest.raises(services.ExtensionBeforeEnd):
            services.set_stay(people["caseworker"], r, date(2026, 12, 25), date(2026, 12, 20))
        with pytest.raises(services.BadDate):
            services.add_date(people["caseworker"], r, "tribunal", date(2026, 12, 29))
    with time_machine.travel("2027-03-05 10:00 +0800", tick=False):
        assert services.nearest_deadline(r) == date(2027, 2, 28)  # passed: overdue, still shown
        assert services.days_left(r.deadline) == -5


def test_the_queue_puts_the_nearest_deadline_first_then_the_most_urgent(people):
    p = people
    a = draft(p["leader"], p["org"], key="a")
    services.save_dates(p["leader"], a, None)
    b = draft(p["leader"], p["org"], key="b")
    services.save_what(p["leader"], b, ["abuse"], "now", "x")
    services.save_dates(p["leader"], b, None)
    c = draft(p["leader"], p["org"], key="c")  # ended 3 days ago: leaves in 11 days
    d = draft(p["leader"], p["org"], key="d")
    services.save_dates(p["leader"], d, services.today() - timedelta(days=12))  # leaves in 2 days
    for r in (a, b, c, d):
        services.submit(p["leader"], r)
    order = [r.id for r in db.session.scalars(services.queue_lines())]
    assert order == [d.id, c.id, b.id, a.id]
    assert services.is_near(d.deadline) and not services.is_near(c.deadline)


# --- withdrawal and shredding ---

def test_withdrawing_consent_stops_everything_and_shreds_at_once(people):
    r = at(S.ASSIGNED, people)
    services.add_note(people["caseworker"], r, "She is in a shelter in Jordan.", shared=False)
    services.withdraw_consent(None, r)  # she did, with her code
    assert (r.state, r.outcome) == (S.CLOSED, "withdrawn")
    assert all(c.withdrawn_at is not None for c in r.consents)
    assert (r.worker, r.contact, r.story, r.employer, r.termination_date) == (None,) * 5
    assert r.shredded_at is not None
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0
    raw = json.dumps([list(row) for row in db.session.execute(text("SELECT * FROM referrals")).all()], default=str)
    assert NAME not in raw and "Jordan" not in raw
    # The plain facts stay for reports.
    assert r.categories == "termination,wages" and r.organisation_id == people["org"].id
    assert audit_actions(r)[-2:] == ["referral.withdraw", "referral.shredded"]
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "referral.withdraw")).one()
    assert row.actor_id is None
    kinds = {m.kind for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.user_id == people["caseworker"].id))}
    assert "case_news" in kinds
    with pytest.raises(services.Refused):
        services.withdraw_consent(None, r)


def test_a_draft_she_no_longer_wants_is_discarded_whole(people):
    r = draft(people["leader"], people["org"])
    with pytest.raises(NotAllowed):
        services.discard(people["member"], r)
    services.discard(people["leader"], r)
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0
    assert "referral.discarded" in set(db.session.scalars(select(AuditLog.action)))


def test_only_her_withdrawal_closes_a_case_as_withdrawn(people):
    r = at(S.ASSIGNED, people)
    with pytest.raises(NotAllowed):
        services.close(people["caseworker"], r, "withdrawn")
    services.close(people["caseworker"], r, "no_contact")
    assert (r.state, r.outcome) == (S.CLOSED, "no_contact") and r.worker is not None  # kept until retention


# --- nothing personal in the audit log ---

def test_no_audit_row_holds_anything_of_the_case(people):
    r = at(S.ASSIGNED, people)
    services.add_note(people["caseworker"], r, "Her sister's number is +6281234567.", shared=True)
    services.read_case(people["supervisor"], r)
    services.withdraw_consent(people["leader"], r)
    rows = json.dumps([[row.action, row.details] for row in db.session.scalars(select(AuditLog))])
    for secret in (NAME, PHONE, "passport", "Chan", "+6281234567", "Good Agency", "20:00"):
        assert secret not in rows


def test_a_member_with_an_account_is_linked_and_others_are_not_shown_it(people):
    r = draft(people["leader"], people["org"], member=people["member"], key="for-member")
    assert r.worker_id == people["member"].id
    assert not services.can_follow(people["member"], r)  # she is not a leader: the status view is not hers


# --- the worker's jobs and the supervisors' trail ---

def test_the_caseworker_is_reminded_the_day_before_once(people, app):
    from portal.referrals import jobs
    with time_machine.travel("2027-01-04 09:00 +0800", tick=False):
        r = at(S.ASSIGNED, people)
        services.add_date(people["caseworker"], r, "tribunal", date(2027, 1, 5))
        services.add_date(people["caseworker"], r, "police", date(2027, 1, 9))
        db.session.execute(text("DELETE FROM outbox"))
        db.session.commit()
        assert jobs.remind_dates() == 1
        assert jobs.remind_dates() == 0  # once
        (m,) = db.session.scalars(select(OutboxMessage)).all()
        assert (m.user_id, m.kind) == (people["caseworker"].id, "case_date")
        assert "tribunal" not in m.body.lower() and NAME not in m.body


def test_a_passed_deadline_gives_way_to_the_next_date(people):
    from portal.referrals import jobs
    with time_machine.travel("2027-01-04 09:00 +0800", tick=False):
        r = at(S.ASSIGNED, people)
        services.set_stay(people["caseworker"], r, None, None)
        services.add_date(people["caseworker"], r, "conciliation", date(2027, 1, 6))
        services.add_date(people["caseworker"], r, "tribunal", date(2027, 2, 1))
        assert r.deadline == date(2027, 1, 6)
    with time_machine.travel("2027-01-07 09:00 +0800", tick=False):
        assert jobs.refresh_deadlines() == 1
        assert db.session.get(Referral, r.id).deadline == date(2027, 2, 1)


def test_closed_referrals_are_shredded_after_the_retention_period(people, app):
    from portal.referrals import jobs
    app.config["REFERRAL_RETENTION_DAYS"] = 30
    with time_machine.travel("2027-01-04 09:00 +0800", tick=False):
        closed = at(S.CLOSED, people)
    with time_machine.travel("2027-02-02 09:00 +0800", tick=False):
        assert jobs.shred_expired() == 0  # 29 days
    with time_machine.travel("2027-02-04 09:00 +0800", tick=False):
        assert jobs.shred_expired() == 1
        r = db.session.get(Referral, closed.id)
        assert r.shredded_at is not None and r.worker is None and r.story is None and r.notes == []
        assert r.categories and r.outcome == "resolved"  # the counts of reports stay
        assert jobs.shred_expired() == 0


def test_supervisors_see_who_opened_and_changed_a_case(people):
    r = at(S.ASSIGNED, people)
    services.read_case(people["caseworker"], r)
    rows = services.trail(people["supervisor"], r)
    assert [label for _, label, _ in rows][:2] == ["Opened", "Assigned"]
    assert rows[0][2] == people["caseworker"].name
    assert services.trail(people["caseworker"], r) == [] and services.trail(people["admin"], r) == []


# --- questions without names ---

def test_a_leader_asks_without_names_and_reads_the_answer(people):
    q = services.ask(people["leader"], people["org"], "wages", "days", "Can she claim a month's wages in lieu?")
    assert {m.user_id for m in db.session.scalars(select(OutboxMessage))} == {people["supervisor"].id}
    assert "month" not in db.session.execute(text("SELECT text FROM referral_questions")).scalar_one()
    for who in ("member", "other_leader", "staff", "supervisor"):
        with pytest.raises(NotAllowed):
            services.ask(people[who], people["org"], "wages", "days", "x")
    with pytest.raises(services.EmptyQuestion):
        services.ask(people["leader"], people["org"], "wages", "days", " ")
    for who in ("staff", "admin", "leader", "member"):
        with pytest.raises(NotAllowed):
            services.answer(people[who], q, "Yes.")
    services.answer(people["caseworker"], q, "Yes: one month's wages if no notice was given.")
    assert services.read_question(people["coleader"], q).answer.startswith("Yes")
    with pytest.raises(NotAllowed):
        services.read_question(people["other_leader"], q)
    with pytest.raises(NotAllowed):
        services.read_question(people["admin"], q)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "referral_questions")).all()
    assert actions == ["question.asked", "question.answered", "question.read"]
    told = db.session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == "referral_news")).all()
    assert told == [people["leader"].id]
    assert [x.id for x in db.session.scalars(services.questions_of(people["leader"]))] == [q.id]
    assert list(db.session.scalars(services.questions_of(people["other_leader"]))) == []


def test_unanswered_urgent_questions_come_first(people):
    p = people
    answered = services.ask(p["leader"], p["org"], "health", "now", "a")
    services.answer(p["supervisor"], answered, "b")
    normal = services.ask(p["leader"], p["org"], "health", "normal", "c")
    now = services.ask(p["leader"], p["org"], "abuse", "now", "d")
    assert [q.id for q in db.session.scalars(services.open_questions())] == [now.id, normal.id, answered.id]


def test_every_read_the_services_audit_is_known_as_a_read():
    """The checks that ignore the audit rows of reads (tests/helpers.snapshot) know each of them."""
    import re
    from pathlib import Path

    from portal.referrals.models import READ_ACTIONS
    source = "".join(p.read_text() for p in (Path(__file__).parent.parent / "portal" / "referrals").glob("*.py")
                     if p.name != "models.py")
    assert set(re.findall(r'"((?:referral|question)\.(?:\w*read|exported))"', source)) == READ_ACTIONS


# --- what a review found (each of these failed before its mend) ---

def test_a_note_never_lands_on_a_case_shredded_meanwhile(people):
    from portal.web import attempt
    for n, call in enumerate((lambda r: services.add_note(people["caseworker"], r, "She hides at her cousin's.", shared=False),
                 lambda r: services.add_date(people["caseworker"], r, "police", services.today() + timedelta(days=3)))):
        r = at(S.ASSIGNED, people, key=f"form-{n}")
        assert r.state == S.ASSIGNED  # read by this request...
        with db.engine.begin() as other:  # ...then withdrawn and shredded by another (its version moves on)
            other.execute(text("UPDATE referrals SET state = 'closed', version = version + 1 WHERE id = :id"),
                          {"id": r.id})
        result, error = attempt(call, r)
        assert result is None and "at the same moment" in str(error)
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0


def test_rotating_keys_never_brings_back_what_was_shredded_meanwhile(people, app):
    from portal import crypto
    r = at(S.ASSIGNED, people)
    fernet = app.extensions["portal.fernet"]
    real = fernet.rotate
    state = {"done": False}

    def rotate_while_she_withdraws(token):
        if not state["done"]:
            state["done"] = True
            db.session.execute(text("UPDATE referrals SET worker = NULL, story = NULL WHERE id = :id"), {"id": r.id})
        return real(token)
    fernet.rotate = rotate_while_she_withdraws
    try:
        crypto.rotate()
    finally:
        fernet.rotate = real
    row = db.session.execute(text("SELECT worker, story FROM referrals WHERE id = :id"), {"id": r.id}).one()
    assert row == (None, None)


def test_her_code_lives_with_her_case_and_is_forgotten_when_it_is_shredded(people, app):
    from portal.notifications.services import forget_codes_job, send_pending
    with time_machine.travel("2027-01-04 09:00 +0800", tick=False):
        r = at(S.SUBMITTED, people)
    with time_machine.travel("2027-01-04 10:31 +0800", tick=False):  # the worker was down 90 minutes
        forget_codes_job()
        send_pending()
        m = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_code")).one()
        assert m.sent_at is not None and m.to_address == PHONE
        services.withdraw_consent(people["leader"], r)
        db.session.refresh(m)
        assert (m.to_address, m.body) == ("", "")


def test_her_code_goes_only_by_a_channel_she_chose(people):
    r = draft(people["leader"], people["org"], consent=False)
    services.save_contact(people["leader"], r, ["whatsapp", "call"], ["sun"], "", True, True)
    services.record_consent(people["leader"], r, "in_person", services.today())
    services.submit(people["leader"], r)
    assert r.code_hash is None
    assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_code")).all()
    with pytest.raises(services.NoTextChannel):
        services.resend_code(people["leader"], r)


def test_a_new_code_replaces_the_old(people, app):
    r = at(S.SUBMITTED, people)
    old = r.code_hash
    code = services.resend_code(people["leader"], r)
    assert r.code_hash != old and services.by_code(code, "10.0.0.9").id == r.id
    with pytest.raises(services.BadCaseCode):
        services.by_code("WRONG-CODE-XXXX", "10.0.0.9")
    with pytest.raises(NotAllowed):
        services.resend_code(people["other_leader"], r)


@pytest.mark.parametrize("state", [S.DECLINED, S.CLOSED])
def test_a_finished_case_is_erased_at_her_word(people, state):
    r = at(state, people)
    outcome = r.outcome
    services.withdraw_consent(None, r)
    assert r.state == state and r.outcome == outcome  # the facts for reports stay
    assert r.worker is None and r.story is None and r.shredded_at is not None
    assert "referral.erase" in audit_actions(r)
    with pytest.raises(services.Refused):
        services.withdraw_consent(None, r)


def test_reading_a_draft_is_audited_and_old_drafts_and_questions_are_forgotten(people, app):
    from portal.referrals import jobs
    with time_machine.travel("2027-01-04 09:00 +0800", tick=False):
        r = draft(people["leader"], people["org"])
        services.read_draft(people["coleader"], r)
        assert audit_actions(r)[-1] == "referral.draft_read"
        q = services.ask(people["leader"], people["org"], "wages", "days", "Her employer is Mr Chan.")
    with time_machine.travel("2027-02-04 09:00 +0800", tick=False):  # 31 days
        assert jobs.forget_old_drafts_and_questions() == 1
        assert db.session.get(Referral, r.id) is None
    with time_machine.travel("2028-01-05 09:00 +0800", tick=False):
        assert jobs.forget_old_drafts_and_questions() == 1
        q = db.session.get(services.Question, q.id)
        assert q.text is None and q.category == "wages"


def test_the_dates_audit_row_names_what_changed(people):
    r = at(S.ASSIGNED, people)
    services.set_stay(people["caseworker"], r, services.today() - timedelta(days=5), services.today() + timedelta(days=30))
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "referral.dates_changed")).one()
    assert row.details == {"fields": ["termination_date", "stay_extended_until"]}


def test_a_question_is_answered_once(people):
    q = services.ask(people["leader"], people["org"], "health", "now", "x")
    services.answer(people["caseworker"], q, "First.")
    with pytest.raises(services.AlreadyAnswered):
        services.answer(people["supervisor"], q, "Second.")
    db.session.rollback()
    assert db.session.get(services.Question, q.id).answer == "First."


def test_dates_of_a_closed_case_stay_as_they_were(people):
    r = at(S.ASSIGNED, people)
    key_date = services.add_date(people["caseworker"], r, "police", services.today() + timedelta(days=5))
    services.close(people["caseworker"], r, "resolved")
    with pytest.raises(NotAllowed):
        services.remove_date(people["caseworker"], r, key_date)


# --- a worker's request for her data ---

def test_a_request_for_her_data_finds_her_referrals_only_and_is_due_in_40_days(people):
    from portal.referrals import access_requests as requests_
    mine = at(S.ASSIGNED, people)  # NAME, PHONE
    services.add_note(people["caseworker"], mine, "Internal: agency has complaints.", shared=False)
    other = draft(people["leader"], people["org"], key="someone-else", consent=False)
    services.save_worker(people["leader"], other, "Another Worker", "+85291239999", None, "fil", False)
    services.record_consent(people["leader"], other, "phone", services.today())
    services.submit(people["leader"], other)
    for who in ("caseworker", "staff", "admin", "leader"):
        with pytest.raises(NotAllowed):
            requests_.record_request(people[who], services.today(), NAME, PHONE, None)
    with pytest.raises(requests_.NothingToFindHerBy):
        requests_.record_request(people["supervisor"], services.today(), NAME, None, None)
    req = requests_.record_request(people["supervisor"], services.today() - timedelta(days=2), NAME, "9123 4567", None)
    assert req.due_on == services.today() + timedelta(days=38)
    raw = db.session.execute(text("SELECT subject FROM referral_access_requests")).scalar_one()
    assert NAME not in raw and PHONE not in raw
    document = requests_.answer(people["supervisor"], req)
    assert [r["reference"] for r in document["referrals"]] == [mine.ref]
    (found,) = document["referrals"]
    assert found["worker"]["name"] == NAME and found["story"] == STORY and found["employer"]["name"] == "Mr Chan"
    assert found["notes"][0]["text"] == "Internal: agency has complaints."
    assert "Another Worker" not in json.dumps(document)
    assert req.answered_at is not None and req.found == 1
    assert audit_actions(mine)[-1] == "referral.exported"
    assert "referral.exported" not in audit_actions(other)


def test_a_shredded_referral_is_no_longer_found_by_her_number(people):
    from portal.referrals import access_requests as requests_
    r = at(S.ASSIGNED, people)
    services.withdraw_consent(None, r)
    req = requests_.record_request(people["supervisor"], services.today(), NAME, PHONE, None)
    assert requests_.answer(people["supervisor"], req)["referrals"] == []
