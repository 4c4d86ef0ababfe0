"""Mutual Care and Support: a referral of a worker in crisis, her consent, its key dates and its notes.

What is plain and what is encrypted: the columns a list shows, filters or sorts by (reference, state,
categories, programme, urgency, the dates that make the deadline, organisation, caseworker) are plain and say
nothing of who she is; everything about her and what happened (her name and ways to reach her, the story, the
employer, the notes) is `Encrypted` (portal/crypto.py). The reference is random (it is the case's address),
never a counting number.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, bindparam
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.crypto import Encrypted
from portal.extensions import db

# Letters and digits that cannot be read one for another (no 0/O, 1/I/L, U).
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_LENGTH = 10  # 30^10, about 5.9 x 10^14 references


def new_ref() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


class ReferralState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ASSIGNED = "assigned"
    REFERRED = "referred"   # referred onward to a partner service, with her consent to it
    CLOSED = "closed"


STATE_LABELS = {
    ReferralState.DRAFT: _l("Draft"),
    ReferralState.SUBMITTED: _l("Sent to the Mission"),
    ReferralState.TRIAGED: _l("Being reviewed"),
    ReferralState.ACCEPTED: _l("Accepted"),
    ReferralState.DECLINED: _l("Declined"),
    ReferralState.ASSIGNED: _l("A caseworker is helping"),
    ReferralState.REFERRED: _l("Referred to a partner"),
    ReferralState.CLOSED: _l("Closed"),
}

# What happens next, for the referring leader's status view (no detail of the case).
NEXT_STEPS = {
    ReferralState.DRAFT: _l("Finish the form and send it when the worker has agreed."),
    ReferralState.SUBMITTED: _l("The Mission will look at it soon."),
    ReferralState.TRIAGED: _l("The Mission is deciding how it can help."),
    ReferralState.ACCEPTED: _l("The Mission will name a caseworker."),
    ReferralState.DECLINED: _l("The Mission cannot take this case. Read the reason below."),
    ReferralState.ASSIGNED: _l("A caseworker will contact the worker in the way she chose."),
    ReferralState.REFERRED: _l("A partner service will contact the worker in the way she chose."),
    ReferralState.CLOSED: _l("Nothing more to do."),
}

OPEN_STATES = frozenset({ReferralState.SUBMITTED, ReferralState.TRIAGED, ReferralState.ACCEPTED,
                         ReferralState.ASSIGNED, ReferralState.REFERRED})
# The open states in the one order that the queue's partial index and the queue's query both write (SQLite
# uses a partial index only for a query whose WHERE repeats the index's own terms).
OPEN_QUEUE = tuple(sorted(s.value for s in OPEN_STATES))


class Programme(StrEnum):
    LEAP = "leap"   # labour and employment paralegal help
    PCSW = "pcsw"   # counselling, hospital and prison visits, temporary shelter
    WITE = "wite"   # violence against women


PROGRAMME_LABELS = {
    Programme.LEAP: _l("LEAP: help with labour, immigration and police matters"),
    Programme.PCSW: _l("PCSW: counselling, visits and shelter"),
    Programme.WITE: _l("WITE: violence against women"),
}


class Category(StrEnum):
    """What happened; each maps to the programme that answers it, in the order a case is routed by (the most
    serious first)."""
    ABUSE = "abuse"
    SHELTER = "shelter"
    POLICE = "police"
    IMMIGRATION = "immigration"
    TERMINATION = "termination"
    WAGES = "wages"
    HEALTH = "health"
    OTHER = "other"


CATEGORY_LABELS = {
    Category.ABUSE: _l("Abuse or violence"),
    Category.SHELTER: _l("Needs a place to stay"),
    Category.POLICE: _l("Police or court"),
    Category.IMMIGRATION: _l("Immigration or visa"),
    Category.TERMINATION: _l("Contract ended early"),
    Category.WAGES: _l("Wages or contract"),
    Category.HEALTH: _l("Health"),
    Category.OTHER: _l("Something else"),
}

CATEGORY_PROGRAMME = {
    Category.ABUSE: Programme.WITE,
    Category.SHELTER: Programme.PCSW,
    Category.POLICE: Programme.LEAP,
    Category.IMMIGRATION: Programme.LEAP,
    Category.TERMINATION: Programme.LEAP,
    Category.WAGES: Programme.LEAP,
    Category.HEALTH: Programme.PCSW,
    Category.OTHER: None,  # the Mission decides at triage
}


class Urgency(StrEnum):
    NOW = "now"          # in danger, or nowhere to sleep tonight
    DAYS = "days"        # within a few days
    NORMAL = "normal"


URGENCY_LABELS = {
    Urgency.NOW: _l("Today: she is in danger or has nowhere to sleep"),
    Urgency.DAYS: _l("In the next few days"),
    Urgency.NORMAL: _l("Not urgent"),
}
URGENCY_RANK = {Urgency.NOW: 0, Urgency.DAYS: 1, Urgency.NORMAL: 2}


class DeclineReason(StrEnum):
    """Standard reasons, so that the leader reads them in her own language."""
    NOT_OURS = "not_ours"
    DUPLICATE = "duplicate"
    NO_CONSENT = "no_consent"
    ELSEWHERE = "elsewhere"
    OTHER = "other"


DECLINE_LABELS = {
    DeclineReason.NOT_OURS: _l("The Mission's programmes do not cover this; ask us where to go instead"),
    DeclineReason.DUPLICATE: _l("This case was already referred"),
    DeclineReason.NO_CONSENT: _l("The worker's agreement is not clear"),
    DeclineReason.ELSEWHERE: _l("Another service is already helping her"),
    DeclineReason.OTHER: _l("Please contact the Mission"),
}


class Outcome(StrEnum):
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    NO_CONTACT = "no_contact"
    REFERRED = "referred"


OUTCOME_LABELS = {
    Outcome.RESOLVED: _l("Resolved"),
    Outcome.WITHDRAWN: _l("Consent withdrawn"),
    Outcome.NO_CONTACT: _l("No contact"),
    Outcome.REFERRED: _l("Referred to a partner"),
}


class ConsentHow(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    WRITTEN = "written"


CONSENT_HOW_LABELS = {
    ConsentHow.IN_PERSON: _l("She told me in person"),
    ConsentHow.PHONE: _l("She told me on the phone"),
    ConsentHow.WRITTEN: _l("She wrote it (message or paper)"),
}


class DateKind(StrEnum):
    CONCILIATION = "conciliation"   # Labour Department conciliation meeting
    MECAB = "mecab"                 # Minor Employment Claims Adjudication Board
    TRIBUNAL = "tribunal"           # Labour Tribunal
    POLICE = "police"
    IMMIGRATION = "immigration"
    OTHER = "other"


DATE_LABELS = {
    DateKind.CONCILIATION: _l("Labour Department conciliation meeting"),
    DateKind.MECAB: _l("Minor Employment Claims Adjudication Board hearing"),
    DateKind.TRIBUNAL: _l("Labour Tribunal hearing"),
    DateKind.POLICE: _l("Police appointment"),
    DateKind.IMMIGRATION: _l("Immigration appointment"),
    DateKind.OTHER: _l("Other appointment"),
}


# Audit rows of reads (a case opened, a status or a question seen): a read, not a change of the data.
READ_ACTIONS = frozenset({"referral.read", "referral.status_read", "referral.draft_read", "referral.worker_read",
                          "referral.exported", "question.read"})

# What each audit row of a referral says, for the supervisors' view of a case's trail.
AUDIT_LABELS = {
    "referral.started": _l("Started"),
    "referral.draft_saved": _l("Draft saved"),
    "referral.consent_recorded": _l("Agreement recorded"),
    "referral.submit": _l("Sent to the Mission"),
    "referral.triage": _l("Triaged"),
    "referral.accept": _l("Accepted"),
    "referral.decline": _l("Declined"),
    "referral.assign": _l("Assigned"),
    "referral.refer_onward": _l("Referred to a partner"),
    "referral.close": _l("Closed"),
    "referral.withdraw": _l("Consent withdrawn"),
    "referral.shredded": _l("Shredded"),
    "referral.read": _l("Opened"),
    "referral.status_read": _l("Status seen by the leader"),
    "referral.draft_read": _l("Draft opened by the leader"),
    "referral.erase": _l("Erased at her word"),
    "referral.exported": _l("Given to her (a request for her data)"),
    "referral.note_added": _l("Note added"),
    "referral.dates_changed": _l("Dates changed"),
    "referral.date_added": _l("Date added"),
    "referral.date_removed": _l("Date removed"),
    "referral.code_sent": _l("Her code sent to her"),
    "referral.worker_read": _l("Seen by the worker with her code"),
}


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (UniqueConstraint("referred_by_id", "form_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(REF_LENGTH), unique=True, default=new_ref)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The member it is for, when she has an account (else only `worker` below names her).
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The form she began it with: a second "Start" of the same form finds this draft, not a new one.
    form_key: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20), default=ReferralState.DRAFT)
    categories: Mapped[str] = mapped_column(String(120), default="")  # Category codes, by commas
    programme: Mapped[str | None] = mapped_column(String(10))
    urgency: Mapped[str | None] = mapped_column(String(10))
    urgency_rank: Mapped[int] = mapped_column(Integer, default=URGENCY_RANK[Urgency.NORMAL])
    # Her contract's end, and an extension of stay Immigration granted: they make the day she must leave by.
    termination_date: Mapped[date | None] = mapped_column(Date)
    stay_extended_until: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)  # the nearest of the dates ahead (the queue's order)
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The partner service it was referred onward to (portal/directory), with her consent to that partner.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("directory_services.id", ondelete="SET NULL"))
    decline_reason: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(20))
    step: Mapped[int] = mapped_column(Integer, default=1)  # the form's step she reached (drafts)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Encrypted: who she is and how to reach her safely, what happened, the employer (never on a list, never
    # shown back to the referrer once sent).
    worker: Mapped[dict | None] = mapped_column(Encrypted)     # name, phone, email, language, interpreter
    contact: Mapped[dict | None] = mapped_column(Encrypted)    # channel, days, hours, message_only, no_employer
    story: Mapped[str | None] = mapped_column(Encrypted)
    employer: Mapped[dict | None] = mapped_column(Encrypted)   # name, phone, address, agency
    # The worker's own code (she has no account): its HMAC, by which the case is found; None once shredded.
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Her number and e-mail as keyed hashes (HMACs), by which a request for her data finds every referral of
    # hers without decrypting any other; None once shredded.
    phone_key: Mapped[str | None] = mapped_column(String(64), index=True)
    email_key: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation = relationship("Organisation", lazy="joined")
    caseworker = relationship("User", foreign_keys=[caseworker_id], lazy="joined")
    partner = relationship("Service", lazy="select")
    referred_by = relationship("User", foreign_keys=[referred_by_id], lazy="select")
    consents = relationship("Consent", back_populates="referral", lazy="select", order_by="Consent.id",
                            cascade="all, delete-orphan")
    dates = relationship("KeyDate", back_populates="referral", lazy="select", order_by="KeyDate.day",
                         cascade="all, delete-orphan")
    notes = relationship("Note", back_populates="referral", lazy="select", order_by="Note.id",
                         cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self):
        return STATE_LABELS[ReferralState(self.state)]

    @property
    def next_step(self):
        return NEXT_STEPS[ReferralState(self.state)]

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split(",") if c]

    @property
    def category_labels(self) -> list:
        return [CATEGORY_LABELS[Category(c)] for c in self.category_list if c in set(Category)]

    @property
    def programme_label(self):
        return PROGRAMME_LABELS.get(self.programme) if self.programme else None

    @property
    def urgency_label(self):
        return URGENCY_LABELS.get(self.urgency) if self.urgency else None

    @property
    def decline_label(self):
        return DECLINE_LABELS.get(self.decline_reason) if self.decline_reason else None

    @property
    def outcome_label(self):
        return OUTCOME_LABELS.get(self.outcome) if self.outcome else None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


# The staff queue of open referrals, in its order (the nearest deadline first, none last, then the most urgent,
# then the oldest): one ordered scan of this partial index reads a page, on both databases.
QUEUE_ORDER = (Referral.deadline.is_(None), Referral.deadline, Referral.urgency_rank, Referral.submitted_at,
               Referral.id)
# Its WHERE, written out with the values themselves: a partial index serves only a query that names them (a
# bound parameter could be anything).
IS_OPEN = Referral.state.in_(bindparam("open_queue", OPEN_QUEUE, expanding=True, literal_execute=True))
Index("ix_referrals_open_queue", *QUEUE_ORDER, postgresql_where=Referral.state.in_(OPEN_QUEUE),
      sqlite_where=Referral.state.in_(OPEN_QUEUE))
# The declined and closed lists, the most recently finished first. Partial too: an index of every referral that
# led with `state` is what SQLite (without statistics) took for the open queue, sorting every open referral.
FINISHED = ("closed", "declined")
IS_FINISHED = Referral.state.in_(bindparam("finished", FINISHED, expanding=True, literal_execute=True))
FINISHED_ORDER = (Referral.closed_at.desc(), Referral.id.desc())
Index("ix_referrals_finished", Referral.state, Referral.closed_at, Referral.id,
      postgresql_where=Referral.state.in_(FINISHED), sqlite_where=Referral.state.in_(FINISHED))


class Consent(db.Model):
    """Her agreement that the case goes to someone: to whom, how she gave it, when, and who took it. Withdrawn
    by her (with her code) or by the leader on her word: sharing stops at once."""
    __tablename__ = "referral_consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    to_mission: Mapped[bool] = mapped_column(Boolean, default=True)  # else to the partner below
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("directory_services.id", ondelete="SET NULL"))
    how: Mapped[str] = mapped_column(String(20))  # ConsentHow
    given_on: Mapped[date] = mapped_column(Date)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    referral = relationship("Referral", back_populates="consents")

    @property
    def how_label(self):
        return CONSENT_HOW_LABELS.get(self.how)


class KeyDate(db.Model):
    """A date of the case (a hearing, an appointment): the caseworker is reminded of it through the outbox."""
    __tablename__ = "referral_dates"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # DateKind
    day: Mapped[date] = mapped_column(Date, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    referral = relationship("Referral", back_populates="dates")

    @property
    def label(self):
        return DATE_LABELS.get(self.kind)


class Note(db.Model):
    """A caseworker's note: internal (the Mission only) or shared (the referring leader reads it too)."""
    __tablename__ = "referral_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str | None] = mapped_column(Encrypted)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    referral = relationship("Referral", back_populates="notes")
    author = relationship("User", lazy="joined")


class Question(db.Model):
    """A question without names: before (or instead of) her consent, a leader asks the Mission what can be done
    (what happened, how urgent, the question) and reads the answer. Nothing in it names the worker; the text
    is encrypted all the same (a leader may write more than she should)."""
    __tablename__ = "referral_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(REF_LENGTH), unique=True, default=new_ref)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    text: Mapped[str | None] = mapped_column(Encrypted)
    answer: Mapped[str | None] = mapped_column(Encrypted)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation = relationship("Organisation", lazy="joined")

    @property
    def category_label(self):
        return CATEGORY_LABELS.get(self.category)

    @property
    def urgency_label(self):
        return URGENCY_LABELS.get(self.urgency)


class AccessRequest(db.Model):
    """A worker's request for the data held about her (Hong Kong's Personal Data (Privacy) Ordinance: answered
    within 40 days). Who she is, as she gave it, is encrypted; the dates are plain (the list sorts by them)."""
    __tablename__ = "referral_access_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    subject: Mapped[dict | None] = mapped_column(Encrypted)  # name, phone, email
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    found: Mapped[int | None] = mapped_column(Integer)  # referrals found when it was answered
