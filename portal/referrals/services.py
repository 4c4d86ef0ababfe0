"""Referrals: the draft, her consent, sending, triage, decisions, assignment, notes, dates, withdrawal and
shredding. Tested without HTTP (tests/test_referrals_services.py).

Every read of a case's content and every change writes an audit row in the same transaction (`record()`:
who, when, what, which referral; facts such as states, never what the case says). Messages to people say only
that there is news and to sign in: nothing of the case travels in a text or an e-mail.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

from flask import current_app

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload
from sqlalchemy.orm.attributes import flag_modified

from portal.accounts.models import User
from portal.accounts.services import normalise_email, normalise_phone
from portal.accounts.roles import Power, can, roles_with
from portal.organisations.access import can_manage
from portal.audit import AuditLog, changed, record
from portal.clock import today_hk, utcnow
from portal.crypto import keyed_hash
from portal.directory import services as directory
from portal.directory.models import Service, ServiceKind
from portal.extensions import db
from portal import throttle
from portal.languages import LANGUAGES
from portal.notifications.services import forget_messages, queue, queue_to
from portal.organisations.models import MemberRole, MemberState, Membership, Organisation
from portal.referrals.access import (  # noqa: F401  (asked by routes and templates through services)
    can_be_assigned, can_decide, can_follow, can_refer, can_see_queue, can_work, followed_by,
)
from portal.referrals.models import (
    AUDIT_LABELS, CATEGORY_PROGRAMME, FINISHED_ORDER, IS_FINISHED, IS_OPEN, OPEN_QUEUE, QUEUE_ORDER,
    REF_ALPHABET, OPEN_STATES, URGENCY_RANK, Category, ConsentHow, Consent, DateKind,
    DeclineReason, KeyDate, Note, Outcome, Programme, Question, Referral, ReferralState, Urgency,
)
from portal.web import DomainError, NotAllowed

S = ReferralState
# When a foreign domestic helper's contract ends she must normally leave Hong Kong within 14 calendar days,
# unless Immigration extends her stay.
STAY_AFTER_CONTRACT = timedelta(days=14)
NEAR = timedelta(days=3)  # the queue marks cases whose deadline is this close
CONSENT_MAX_AGE = timedelta(days=90)
NOTE_MAX = 5000


class ConsentNeeded(DomainError):
    message = _l("Record the worker's agreement first: nothing reaches the Mission without it.")


class Incomplete(DomainError):
    message = _l("Some answers are missing. Go back to the steps marked and fill them in.")


class NotADraft(DomainError):
    message = _l("This referral was already sent, so it can no longer be changed here.")


class NotTheirMember(DomainError):
    message = _l("This person is not a member of your organisation.")


class NotACaseworker(DomainError):
    message = _l("Choose a caseworker of the Mission.")


class BadDate(DomainError):
    message = _l("This date is not possible. Check the day, month and year.")


class ExtensionBeforeEnd(DomainError):
    message = _l("An extension of stay ends after the contract's end. Check both dates.")


class EmptyNote(DomainError):
    message = _l("Write the note first (at most 5,000 characters).")


class BadCaseCode(DomainError):
    message = _l("This code does not work. Check it and try again, or ask the person who helped you.")


class Refused(DomainError):
    """A change of state the table does not allow from where the referral is now."""

    def __init__(self, referral: Referral):
        super().__init__(_l("This can no longer be done: the referral is now “%(state)s”. The page is up to date.",
                            state=referral.state_label))


# --- the one table of changes of state ---

def _follower_or_worker(user, r) -> bool:
    """Consent is withdrawn by the worker herself (no account: `user` None, she has shown her code), by her
    leader on her word, or by the Mission."""
    return user is None or can_follow(user, r) or can_work(user, r)


@dataclass(frozen=True)
class Action:
    sources: frozenset
    to: ReferralState | None  # None: the state stays
    who: Callable[[object, Referral], bool]


ACTIONS: dict[str, Action] = {
    "submit": Action(frozenset({S.DRAFT}), S.SUBMITTED, lambda u, r: can_follow(u, r)),
    "triage": Action(frozenset({S.SUBMITTED}), S.TRIAGED, lambda u, r: can_decide(u)),
    "accept": Action(frozenset({S.SUBMITTED, S.TRIAGED}), S.ACCEPTED, lambda u, r: can_decide(u)),
    "decline": Action(frozenset({S.SUBMITTED, S.TRIAGED}), S.DECLINED, lambda u, r: can_decide(u)),
    "assign": Action(frozenset({S.ACCEPTED, S.ASSIGNED}), S.ASSIGNED, lambda u, r: can_decide(u)),
    "refer_onward": Action(frozenset({S.ASSIGNED}), S.REFERRED, can_work),
    "close": Action(frozenset({S.ASSIGNED, S.REFERRED}), S.CLOSED, can_work),
    "withdraw": Action(frozenset(OPEN_STATES), S.CLOSED, _follower_or_worker),
    # A finished case (declined, closed) she no longer agrees to keep: erased at once, its state kept.
    "erase": Action(frozenset({S.DECLINED, S.CLOSED}), None, _follower_or_worker),
}

# The same table read by state: from each state, the states it may go to.
TRANSITIONS: dict[ReferralState, set[ReferralState]] = {
    state: {a.to for a in ACTIONS.values() if state in a.sources and a.to is not None} for state in ReferralState}


def may(user, referral: Referral, action: str) -> bool:
    """Whether `user` may take `action` on the referral now (its state, and who she is): what templates ask
    before they show a button."""
    a = ACTIONS[action]
    return referral.state in a.sources and a.who(user, referral)


def _move(user, referral: Referral, action: str, **details) -> None:
    a = ACTIONS[action]
    if not a.who(user, referral):
        raise NotAllowed()
    if referral.state not in a.sources:
        raise Refused(referral)
    before = referral.state
    referral.state = a.to or referral.state
    _touch(referral)
    record(user, f"referral.{action}", referral, {"from": str(before), "to": str(referral.state), **details})


# --- dates ---

today = today_hk  # every deadline of a case falls in Hong Kong

def leave_by(termination: date | None, extended_until: date | None) -> date | None:
    """The day she must leave Hong Kong by: an extension of stay's end, else 14 days after the contract's end."""
    if extended_until is not None:
        return extended_until
    return termination + STAY_AFTER_CONTRACT if termination is not None else None


def days_left(day: date | None, on: date | None = None) -> int | None:
    return None if day is None else (day - (on or today())).days


def is_near(day: date | None, on: date | None = None) -> bool:
    left = days_left(day, on)
    return left is not None and left <= NEAR.days


def _dates_of(r: Referral) -> list[date]:
    return [d for d in [leave_by(r.termination_date, r.stay_extended_until), *(k.day for k in r.dates)] if d]


def nearest_deadline(r: Referral, on: date | None = None) -> date | None:
    """The first of the case's dates from today on; when all have passed, the last of them (it is overdue)."""
    days = _dates_of(r)
    ahead = [d for d in days if d >= (on or today())]
    return min(ahead) if ahead else (max(days) if days else None)


def _check_day(day: date | None, back_years: int = 2, ahead_years: int = 2) -> None:
    t = today()
    if day is not None and not (t - timedelta(days=365 * back_years) <= day <= t + timedelta(days=365 * ahead_years)):
        raise BadDate()


# --- the referring side: the draft, her consent, sending ---

def start(user, org: Organisation, form_key: str, member_id: int | None = None) -> Referral:
    """A new draft for a member of `org` (member_id) or for a worker with no account. The same form sent twice
    (a double tap, a resend on a slow link) finds the draft the first made."""
    if not can_refer(user, org):
        raise NotAllowed()
    existing = db.session.scalar(select(Referral).where(Referral.referred_by_id == user.id,
                                                        Referral.form_key == form_key))
    if existing is not None:
        return existing
    if member_id is not None and not db.session.scalar(select(Membership.id).where(
            Membership.organisation_id == org.id, Membership.user_id == member_id,
            Membership.state == MemberState.ACTIVE)):
        raise NotTheirMember()
    r = Referral(organisation_id=org.id, referred_by_id=user.id, worker_id=member_id, form_key=form_key,
                 state=S.DRAFT)
    db.session.add(r)
    try:
        db.session.flush()
    except IntegrityError:  # the same form, sent at the same moment: the other request made the draft
        db.session.rollback()
        return db.session.scalar(select(Referral).where(Referral.referred_by_id == user.id,
                                                        Referral.form_key == form_key))
    record(user, "referral.started", r, {"for_member": member_id is not None})
    db.session.commit()
    return r


def _touch(r: Referral) -> None:
    """This change writes the referral's row with its version: if someone changed the referral since it was
    read (sent it, or withdrew and shredded it), the change fails (ChangedMeanwhile), never lands on it."""
    flag_modified(r, "step")


def _draft(user, r: Referral) -> None:
    if not can_follow(user, r):
        raise NotAllowed()
    if r.state != S.DRAFT:
        raise NotADraft()
    _touch(r)


def save_what(user, r: Referral, categories: list[str], urgency: str, story: str, step: int = 2) -> Referral:
    """What happened: categories (each routes to a programme), how urgent, her story in a few words."""
    _draft(user, r)
    cats = [c for c in Category if c in set(categories)]
    r.categories = ",".join(cats)
    r.programme = next((p for p in (CATEGORY_PROGRAMME[c] for c in cats) if p), None)
    r.urgency = Urgency(urgency)
    r.urgency_rank = URGENCY_RANK[r.urgency]
    r.story = story.strip() or None
    return _saved(user, r, step, "categories", "urgency", "story")


def save_dates(user, r: Referral, termination_date: date | None, stay_extended_until: date | None = None,
               step: int = 3, appointment: tuple[str, date] | None = None) -> Referral:
    """The contract's end (and an extension of stay), from which the day she must leave is counted, and a date
    she already has (a hearing, an appointment: `appointment`, its kind and day), which the caseworker is
    reminded of."""
    _draft(user, r)
    _set_stay(r, termination_date, stay_extended_until)
    for key_date in list(r.dates):  # the form holds one: what it says now replaces what it said
        r.dates.remove(key_date)
    if appointment is not None:
        kind, day = appointment
        _check_day(day, back_years=0)
        if day < today():
            raise BadDate()
        r.dates.append(KeyDate(kind=DateKind(kind), day=day))
    return _saved(user, r, step, "termination_date", "stay_extended_until")


def save_worker(user, r: Referral, name: str, phone: str | None, email: str | None, language: str,
                interpreter: bool, step: int = 4) -> Referral:
    """Who she is, for the caseworker: her number and e-mail as the accounts store them (E.164, lower case)."""
    _draft(user, r)
    phone, email = (normalise_phone(phone) if phone else None), (normalise_email(email) if email else None)
    r.worker = {"name": name.strip(), "phone": phone, "email": email, "language": language,
                "interpreter": bool(interpreter)}
    r.phone_key, r.email_key = worker_key(phone), worker_key(email)
    return _saved(user, r, step, "worker")


def worker_key(address: str | None) -> str | None:
    """A number or e-mail (normalised) as a keyed hash: what a request for her data looks her up by."""
    return keyed_hash("worker", address) if address else None


def save_contact(user, r: Referral, channels: list[str], days: list[str], hours: str, message_only: bool,
                 no_employer: bool, step: int = 5) -> Referral:
    """Safe ways and times to reach her: what the caseworker must respect."""
    _draft(user, r)
    r.contact = {"channels": list(channels), "days": list(days), "hours": hours.strip(),
                 "message_only": bool(message_only), "no_employer": bool(no_employer)}
    return _saved(user, r, step, "contact")


def save_employer(user, r: Referral, name: str, phone: str, address: str, agency: str, step: int = 6) -> Referral:
    """For the caseworker only: never on a list, never shown back to the referrer once sent."""
    _draft(user, r)
    fields = {"name": name.strip(), "phone": phone.strip(), "address": address.strip(), "agency": agency.strip()}
    r.employer = fields if any(fields.values()) else None
    return _saved(user, r, step, "employer")


def _saved(user, r: Referral, step: int, *names: str) -> Referral:
    r.step = max(r.step, step)
    record(user, "referral.draft_saved", r, {"fields": changed(r, *names)})
    db.session.commit()
    return r


def record_consent(user, r: Referral, how: str, given_on: date) -> Consent:
    """Her agreement that the case goes to the Mission: how she gave it, on which day, and who took it."""
    _draft(user, r)
    if not (today() - CONSENT_MAX_AGE <= given_on <= today()):
        raise BadDate()
    consent = Consent(referral_id=r.id, to_mission=True, how=ConsentHow(how), given_on=given_on,
                      taken_by_id=user.id)
    db.session.add(consent)
    r.step = max(r.step, 7)
    record(user, "referral.consent_recorded", r, {"how": str(how)})
    db.session.commit()
    return consent


def has_consent(r: Referral) -> bool:
    return any(c.to_mission and c.withdrawn_at is None for c in r.consents)


def missing(r: Referral) -> list[int]:
    """The form's steps that still lack an answer the Mission needs."""
    gaps = []
    if not r.categories or not r.urgency:
        gaps.append(1)
    if not r.worker_id and not (r.worker or {}).get("name"):
        gaps.append(3)
    if not (r.contact or {}).get("channels"):
        gaps.append(4)
    if not has_consent(r):
        gaps.append(6)
    return gaps


def submit(user, r: Referral) -> Referral:
    """Sent to the Mission, only with her consent on record and the answers the Mission needs."""
    if not can_follow(user, r):
        raise NotAllowed()
    if r.state == S.DRAFT:
        if not has_consent(r):
            raise ConsentNeeded()
        if missing(r):
            raise Incomplete()
    _move(user, r, "submit")
    r.submitted_at = utcnow()
    r.deadline = nearest_deadline(r)
    if issue_code(r):
        record(user, "referral.code_sent", r)
    for person in db.session.scalars(select(User).where(User.role.in_(roles_with(Power.WORK_EVERY_CASE)), User.is_enabled)):
        queue(person, "referral_new")
    db.session.commit()
    return r


def withdraw_consent(actor, r: Referral) -> Referral:
    """She no longer agrees: every consent ends, an open case closes, and what it held of her is shredded at
    once (a finished one too). `actor` None is the worker herself, with her code."""
    if r.shredded_at is not None:
        raise Refused(r)
    directory.lock_beds_of(r)  # begins the transaction when she holds a bed at a shelter
    directory.release_beds(r)
    now = utcnow()
    if r.is_open:
        _move(actor, r, "withdraw")
        r.outcome, r.closed_at = Outcome.WITHDRAWN, now
    else:
        _move(actor, r, "erase")
    for c in r.consents:
        if c.withdrawn_at is None:
            c.withdrawn_at = now
    _shred(actor, r)
    _tell_referrer(r)
    if r.caseworker is not None:
        queue(r.caseworker, "case_news")
    db.session.commit()
    return r


def discard(user, r: Referral) -> Referral:
    """A draft she no longer wants: nothing of it is kept."""
    _draft(user, r)
    record(user, "referral.discarded", r)
    db.session.delete(r)
    db.session.commit()
    return r


# --- the Mission's side ---

def _working(user, r: Referral) -> None:
    """Work on an open case, by its caseworker or a supervisor."""
    if not can_work(user, r) or not r.is_open:
        raise NotAllowed()
    _touch(r)


def read_case(user, r: Referral) -> Referral:
    """The whole case, for the caseworker it is assigned to and supervisors: each read leaves an audit row."""
    if not can_work(user, r) or r.state == S.DRAFT:
        raise NotAllowed()
    record(user, "referral.read", r)
    db.session.commit()
    return r


def read_draft(user, r: Referral) -> Referral:
    """A draft's answers, shown to a leader who follows it (to go on with it): audited like every read."""
    if not can_follow(user, r):
        raise NotAllowed()
    record(user, "referral.draft_read", r)
    db.session.commit()
    return r


def read_status(user, r: Referral) -> Referral:
    """The referring leader's status-only view: state, next step, shared notes, dates (audited too)."""
    if not can_follow(user, r):
        raise NotAllowed()
    record(user, "referral.status_read", r)
    db.session.commit()
    return r


def triage(user, r: Referral, programme: str, urgency: str) -> Referral:
    r.programme, r.urgency = Programme(programme), Urgency(urgency)
    r.urgency_rank = URGENCY_RANK[r.urgency]
    _move(user, r, "triage", programme=str(programme), urgency=str(urgency))
    db.session.commit()
    return r


def accept(user, r: Referral) -> Referral:
    _move(user, r, "accept")
    _tell_referrer(r)
    db.session.commit()
    return r


def decline(user, r: Referral, reason: str) -> Referral:
    """Declined with a standard reason, which the referrer reads in her own language."""
    r.decline_reason = DeclineReason(reason)
    _move(user, r, "decline", reason=str(reason))
    r.closed_at = utcnow()
    _tell_referrer(r)
    db.session.commit()
    return r


def assign(user, r: Referral, caseworker: User) -> Referral:
    """Given to a caseworker (again, to another, while she works it)."""
    if caseworker is None or not can_be_assigned(caseworker):
        raise NotACaseworker()
    r.caseworker_id = caseworker.id
    _move(user, r, "assign", caseworker_id=caseworker.id)
    db.session.flush()
    db.session.refresh(r, ["caseworker"])
    queue(caseworker, "case_assigned")
    db.session.commit()
    return r


def close(user, r: Referral, outcome: str) -> Referral:
    outcome = Outcome(outcome)
    if outcome == Outcome.WITHDRAWN:  # only her withdrawal closes a case so, and it shreds it
        raise NotAllowed()
    directory.lock_beds_of(r)  # her bed at a shelter goes back when the case closes
    directory.release_beds(r)
    r.outcome, r.closed_at = outcome, utcnow()
    _move(user, r, "close", outcome=str(outcome))
    _tell_referrer(r)
    db.session.commit()
    return r


def refer_onward(user, r: Referral, service_id: int, how: str, given_on: date) -> Referral:
    """Referred onward to a partner service of the directory, with her consent to that partner recorded (how,
    when, who took it). At a shelter that lists its beds, a bed is held for her, never more than there are
    (portal/capacity.py); it goes back when the case closes or she withdraws."""
    if not can_work(user, r):
        raise NotAllowed()
    if not (today() - CONSENT_MAX_AGE <= given_on <= today()):
        raise BadDate()
    how = ConsentHow(how)
    partner = db.session.get(Service, service_id)
    if partner is None or not partner.published:
        raise NoSuchPartner()
    if partner.kind == ServiceKind.SHELTER and partner.capacity is not None:
        directory.hold_bed(r, partner.id)  # begins the transaction, the shelter's row locked
    db.session.add(Consent(referral_id=r.id, to_mission=False, partner_id=partner.id, how=how, given_on=given_on,
                           taken_by_id=user.id))
    r.partner_id = partner.id
    _move(user, r, "refer_onward", partner_id=partner.id, how=str(how))
    db.session.commit()
    return r


class NoSuchPartner(DomainError):
    message = _l("Choose a service of the directory.")


def add_note(user, r: Referral, body: str, shared: bool) -> Note:
    """An internal note (the Mission only) or a shared one (the referring leader reads it too)."""
    _working(user, r)
    body = (body or "").strip()
    if not body or len(body) > NOTE_MAX:
        raise EmptyNote()
    note = Note(referral_id=r.id, author_id=user.id, shared=bool(shared), body=body)
    db.session.add(note)
    db.session.flush()
    record(user, "referral.note_added", r, {"note_id": note.id, "shared": bool(shared)})
    if shared:
        _tell_referrer(r)
    db.session.commit()
    return note


def set_stay(user, r: Referral, termination_date: date | None, stay_extended_until: date | None) -> Referral:
    """The contract's end and an extension of stay: the deadline becomes the extension's end."""
    _working(user, r)
    _set_stay(r, termination_date, stay_extended_until)
    fields = changed(r, "termination_date", "stay_extended_until")  # before anything reads (and flushes)
    r.deadline = nearest_deadline(r)
    record(user, "referral.dates_changed", r, {"fields": fields})
    db.session.commit()
    return r


def _set_stay(r: Referral, termination_date: date | None, stay_extended_until: date | None) -> None:
    _check_day(termination_date)
    _check_day(stay_extended_until)
    if stay_extended_until is not None and termination_date is not None and stay_extended_until <= termination_date:
        raise ExtensionBeforeEnd()
    r.termination_date, r.stay_extended_until = termination_date, stay_extended_until


def add_date(user, r: Referral, kind: str, day: date) -> KeyDate:
    """A hearing or an appointment: the caseworker is reminded the day before."""
    _working(user, r)
    _check_day(day, back_years=0)
    if day < today():
        raise BadDate()
    key_date = KeyDate(referral_id=r.id, kind=DateKind(kind), day=day)
    r.dates.append(key_date)
    r.deadline = nearest_deadline(r)
    db.session.flush()
    record(user, "referral.date_added", r, {"kind": str(kind), "date_id": key_date.id})
    db.session.commit()
    return key_date


def remove_date(user, r: Referral, key_date: KeyDate) -> None:
    _working(user, r)
    if key_date.referral_id != r.id:
        raise NotAllowed()
    r.dates.remove(key_date)
    r.deadline = nearest_deadline(r)
    record(user, "referral.date_removed", r, {"date_id": key_date.id})
    db.session.commit()


def queue_lines(states=None):
    """The staff queue: referrals sent to the Mission (never drafts). Open ones: the nearest deadline first
    (none last), then the most urgent, then the oldest (QUEUE_ORDER, read in order from its partial index);
    declined or closed ones: the most recently finished first. Only plain columns are read (no line decrypts
    anything); each line's organisation and caseworker come in one query each for the page."""
    states = sorted(s for s in (states or OPEN_STATES) if s != S.DRAFT)  # a draft has not reached the Mission
    if set(states) == set(OPEN_QUEUE):
        q = select(Referral).where(IS_OPEN).order_by(*QUEUE_ORDER)
    else:
        q = select(Referral).where(IS_FINISHED, Referral.state.in_(states) if len(states) > 1
                                   else Referral.state == states[0]).order_by(*FINISHED_ORDER)
    return q.options(*_LINE_ONLY)


# A list of referrals reads their plain columns only, and their organisations and caseworkers after the page.
_LINE_ONLY = (defer(Referral.worker), defer(Referral.contact), defer(Referral.story), defer(Referral.employer),
              selectinload(Referral.organisation).lazyload(Organisation.created_by), selectinload(Referral.caseworker))


def followed(user):
    """The referrals of the organisations she leads, newest first (drafts included)."""
    return (select(Referral).where(Referral.organisation_id.in_(followed_by(user)))
            .order_by(Referral.created_at.desc(), Referral.id.desc()).options(*_LINE_ONLY))


def trail(user, r: Referral) -> list:
    """Who opened and changed the case, and when (supervisors only): (row, its label, who) per audit row."""
    if not can_decide(user):
        return []
    rows = db.session.execute(select(AuditLog, User.name).outerjoin(User, AuditLog.actor_id == User.id).where(
        AuditLog.entity_type == Referral.__tablename__, AuditLog.entity_id == r.id)
        .order_by(AuditLog.id.desc())).all()
    return [(row, AUDIT_LABELS.get(row.action, row.action), name) for row, name in rows]


def caseworkers():
    return db.session.scalars(select(User).where(
        User.role.in_(roles_with(Power.WORK_ASSIGNED_CASES)), User.is_enabled).order_by(User.name)).all()


def shared_notes(r: Referral) -> list[Note]:
    return [n for n in r.notes if n.shared]


def _tell_referrer(r: Referral) -> None:
    """The leaders who follow it hear that there is news (and nothing of what it is)."""
    for person in db.session.scalars(select(User).where(User.id.in_(_leaders_of(r)), User.is_enabled)):
        queue(person, "referral_news")


def _leaders_of(r: Referral):
    return select(Membership.user_id).where(
        Membership.organisation_id == r.organisation_id, Membership.state == MemberState.ACTIVE,
        Membership.role.in_([MemberRole.LEADER, MemberRole.COLEADER]))


def _shred(actor, r: Referral) -> None:
    """What the case held of her is erased, her code's messages in the outbox too; the plain facts stay for
    the counts of reports."""
    worker = r.worker or {}
    for address in (worker.get("phone"), worker.get("email")):
        forget_messages("case_code", address)
    r.worker = r.contact = r.story = r.employer = None
    r.partner_id = None  # where she went (a shelter's place) is hers too
    for c in r.consents:
        c.partner_id = None
    r.termination_date = r.stay_extended_until = r.deadline = None
    r.worker_id = None
    for note in list(r.notes):
        db.session.delete(note)
    for key_date in list(r.dates):
        db.session.delete(key_date)
    r.shredded_at = utcnow()
    r.code_hash = r.phone_key = r.email_key = None
    record(actor, "referral.shredded", r)


# --- questions without names ---

QUESTION_MAX = 2000


class EmptyQuestion(DomainError):
    message = _l("Write the question first (at most 2,000 characters), without names.")


def can_answer(user) -> bool:
    return can(user, Power.WORK_ASSIGNED_CASES)


def ask(user, org: Organisation, category: str, urgency: str, text: str) -> Question:
    """Before her consent (or without it), the leader asks what can be done: no identity is asked for."""
    if not can_refer(user, org):
        raise NotAllowed()
    text = (text or "").strip()
    if not text or len(text) > QUESTION_MAX:
        raise EmptyQuestion()
    q = Question(organisation_id=org.id, asked_by_id=user.id, category=Category(category), urgency=Urgency(urgency),
                 text=text)
    db.session.add(q)
    db.session.flush()
    record(user, "question.asked", q, {"category": str(category), "urgency": str(urgency)})
    for person in db.session.scalars(select(User).where(User.role.in_(roles_with(Power.WORK_EVERY_CASE)),
                                                        User.is_enabled)):
        queue(person, "referral_new")
    db.session.commit()
    return q


def read_question(user, q: Question) -> Question:
    """The question and its answer: for the Mission's caseworkers and supervisors, and the leaders of the
    organisation that asked it (each read audited)."""
    if not (can_answer(user) or can_manage(user, q.organisation)):
        raise NotAllowed()
    record(user, "question.read", q)
    db.session.commit()
    return q


class AlreadyAnswered(DomainError):
    message = _l("Someone answered this question already. The page is now up to date.")


def answer(user, q: Question, text: str) -> Question:
    """Answered once (two caseworkers at the same moment: the second is told, nothing is overwritten)."""
    if not can_answer(user):
        raise NotAllowed()
    text = (text or "").strip()
    if not text or len(text) > QUESTION_MAX:
        raise EmptyNote()
    claimed = db.session.execute(update(Question).where(Question.id == q.id, Question.answered_at.is_(None))
                                 .values(answered_at=utcnow(), answered_by_id=user.id)).rowcount
    if not claimed:
        raise AlreadyAnswered()
    db.session.refresh(q)
    q.answer = text
    record(user, "question.answered", q)
    if q.asked_by_id:
        asker = db.session.get(User, q.asked_by_id)
        if asker is not None and asker.is_enabled:
            queue(asker, "referral_news")
    db.session.commit()
    return q


def questions_of(user):
    """The questions of the organisations she leads (SQL twin of can_manage), newest first."""
    return (select(Question).where(Question.organisation_id.in_(followed_by(user)))
            .order_by(Question.created_at.desc(), Question.id.desc()))


def open_questions():
    """For the Mission: unanswered first (the most urgent, then the oldest), then the answered."""
    rank = case(*((Question.urgency == u, n) for u, n in URGENCY_RANK.items()), else_=len(URGENCY_RANK))
    return select(Question).order_by(case((Question.answered_at.is_(None), 0), else_=1), rank,
                                     Question.created_at, Question.id)


# --- her own code, when she has no account ---
#
# A worker with no account gets a code through the channel she chose, once her case reaches the Mission; with it,
# at /check (a page that names nothing), she sees where her case stands and can withdraw her agreement. 12
# letters of 30 (30^12, about 5.3 x 10^17 codes), kept only as an HMAC with the app's secret, by which the
# case is found; wrong codes are limited per address (CASE_CODE_LIMIT_ADDRESS). The README does the arithmetic.

CODE_LENGTH = 12
# The channels her code can go by: only one she chose (WhatsApp has no sender yet, so none for it).
TEXT_CHANNELS = {"sms": "sms", "email": "email"}


def normalise_code(raw: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()[:40]


def _code_hash(code: str) -> str:
    return keyed_hash("case-code", normalise_code(code))


def issue_code(r: Referral) -> str | None:
    """Her code, sent by SMS or e-mail if she has no account and chose one of them; None otherwise."""
    worker, contact = r.worker or {}, r.contact or {}
    if r.worker_id is not None:
        return None
    channel = next((TEXT_CHANNELS[c] for c in contact.get("channels", []) if c in TEXT_CHANNELS
                    and worker.get("phone" if TEXT_CHANNELS[c] == "sms" else "email")), None)
    if channel is None:
        return None
    code = "".join(secrets.choice(REF_ALPHABET) for _ in range(CODE_LENGTH))
    r.code_hash = _code_hash(code)
    shown = "-".join(code[i:i + 4] for i in range(0, CODE_LENGTH, 4))
    locale = worker.get("language") if worker.get("language") in LANGUAGES else "en"
    queue_to(channel, worker["phone"] if channel == "sms" else worker["email"], locale, "case_code", code=shown,
             where=f"{current_app.config['PUBLIC_URL'].rstrip('/')}/check")
    return code


class NoTextChannel(DomainError):
    message = _l("She chose no SMS or e-mail to be reached by: give her news in person.")


def resend_code(user, r: Referral) -> str:
    """A new code for her (the old one stops working): her leader asks when she lost it."""
    if not can_follow(user, r):
        raise NotAllowed()
    if not r.is_open or r.worker_id is not None:
        raise Refused(r)
    _touch(r)
    worker = r.worker or {}
    for address in (worker.get("phone"), worker.get("email")):
        forget_messages("case_code", address)
    code = issue_code(r)
    if code is None:
        raise NoTextChannel()
    record(user, "referral.code_sent", r)
    db.session.commit()
    return code


def by_code(code: str, address: str) -> Referral:
    """Her case, found by her code (each wrong code counts against her address): the read is audited."""
    taken = throttle.take((throttle.CASE_CODE_ADDRESS, address))
    code = normalise_code(code)
    r = db.session.scalar(select(Referral).where(Referral.code_hash == _code_hash(code))) if code else None
    if r is None:
        raise BadCaseCode()
    taken.give_back()
    record(None, "referral.worker_read", r)
    db.session.commit()
    return r


def withdraw_by_code(code: str, address: str) -> Referral:
    """She withdraws her agreement herself."""
    return withdraw_consent(None, by_code(code, address))
