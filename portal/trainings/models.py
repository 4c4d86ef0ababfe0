from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _p
from sqlalchemy import (
    CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.capacity import (  # noqa: F401  (places' and waiting lists' states: capacity.py)
    HOLDS_PLACE, PLACE_TRANSITIONS, ROW_TRANSITIONS, WAIT_TRANSITIONS, HeldPlace, OffersPlaces, PlaceState, RowState,
    WaitingPlace, WaitState,
)
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.web import StateMachine

PROGRAMMES = {
    "leap": _l("LEAP: labour rights and paralegal help"),
    "pcsw": _l("PCSW: counselling and peer support"),
    "wite": _l("WITE: women's rights, violence against women"),
    "etoc": _l("ETOC: organising and leadership"),
}

DELIVERY_LANGUAGES = {
    "en": _p("language", "English"),
    "fil": _p("language", "Filipino / Tagalog"),
    "id": _p("language", "Bahasa Indonesia"),
}


# A course that must be done (attended) before another can be booked.
course_prerequisites = db.Table(
    "course_prerequisites",
    db.Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    db.Column("requires_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)


def best_text(by_locale: dict, locale: str):
    """Of a course's texts by language: the reader's, else English, else the first."""
    return by_locale.get(locale) or by_locale.get("en") or next(iter(by_locale.values()), None)


class Course(db.Model):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(String(10), index=True)
    language: Mapped[str] = mapped_column(String(10))  # language of delivery
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    texts = relationship("CourseText", lazy="selectin", cascade="all, delete-orphan")
    prerequisites = relationship("Course", secondary=course_prerequisites,
                                 primaryjoin=lambda: Course.id == course_prerequisites.c.course_id,
                                 secondaryjoin=lambda: Course.id == course_prerequisites.c.requires_id,
                                 order_by=lambda: Course.id)

    def text(self, locale: str | None = None):
        """Title and description in the reader's language, else English, else any."""
        return best_text({t.locale: t for t in self.texts}, locale or str(get_locale()))

    @property
    def title(self) -> str:
        t = self.text()
        return t.title if t else ""


class CourseText(db.Model):
    """A course's title and description in one language: a new language is a new row, not a column."""
    __tablename__ = "course_texts"
    __table_args__ = (UniqueConstraint("course_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")


# A session offers places as any row does (portal/capacity.py).
SessionState = RowState
SESSION_TRANSITIONS = ROW_TRANSITIONS


class TrainingSession(OffersPlaces, StateMachine, db.Model):
    __tablename__ = "training_sessions"
    __table_args__ = (
        # The seat count can never pass the capacity, whatever the code above it does.
        CheckConstraint("taken >= 0 AND taken <= capacity", name="seats"),
        CheckConstraint("capacity > 0", name="capacity"),
        # The catalogue walks scheduled sessions in order of start and counts them from this index alone
        # (the organisation says whether an outreach session is visible): migration 0006, queries.py.
        Index("ix_training_sessions_state_starts_at", "state", "starts_at", "organisation_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(200), default="")  # empty: at the organisation's meeting place
    # capacity and taken (seats taken: bookings plus offers that hold a seat): OffersPlaces.
    per_org_cap: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=SessionState.SCHEDULED, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the reminder goes out: the Friday before a Sunday session, else two days before.
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Goes up with each change of time, place or state: calendars take a changed event by its SEQUENCE.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    course = relationship("Course", lazy="joined")
    organisation = relationship("Organisation", lazy="joined")
    TRANSITIONS = SESSION_TRANSITIONS

    @property
    def seats_left(self) -> int:
        return self.places_left

    @property
    def deadline_passed(self) -> bool:
        return self.deadline < utcnow()

    @property
    def open_for_booking(self) -> bool:
        return self.state == SessionState.SCHEDULED and not self.is_past and not self.deadline_passed

    @property
    def can_change(self) -> bool:
        """Staff may still change or cancel it: not cancelled, not begun."""
        return self.can(SessionState.CANCELLED) and not self.is_past


# A booking holds a seat as portal/capacity.py holds any place: its states and their changes are written there.
BookingState = PlaceState
BOOKING_TRANSITIONS = PLACE_TRANSITIONS
HOLDS_SEAT = HOLDS_PLACE

BOOKING_LABELS = {
    BookingState.BOOKED: _l("Booked"),
    BookingState.CANCELLED: _l("Cancelled"),
    BookingState.RELEASED: _l("Released (day off cancelled)"),
    BookingState.ATTENDED: _l("Attended"),
    BookingState.NO_SHOW: _l("Did not come"),
}


class Booking(HeldPlace, StateMachine, db.Model):
    __tablename__ = "bookings"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session = relationship("TrainingSession", lazy="joined")

    TRANSITIONS = BOOKING_TRANSITIONS

    @property
    def can_cancel(self) -> bool:
        """She (or her leader, or staff) may still give the place back: booked, and the session not begun.
        After the booking deadline that is a release ("my day off was cancelled"), with no mark."""
        return self.can(BookingState.CANCELLED) and not self.session.is_past

    @property
    def label(self):
        return BOOKING_LABELS[BookingState(self.state)]


class WaitlistEntry(WaitingPlace, StateMachine, db.Model):
    __tablename__ = "waitlist"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)

    session = relationship("TrainingSession", lazy="joined")

    TRANSITIONS = WAIT_TRANSITIONS


class OutreachState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"    # a session restricted to the organisation was created
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # by the leader


OUTREACH_TRANSITIONS = {
    OutreachState.PENDING: {OutreachState.ACCEPTED, OutreachState.DECLINED, OutreachState.WITHDRAWN},
    OutreachState.ACCEPTED: set(),
    OutreachState.DECLINED: set(),
    OutreachState.WITHDRAWN: set(),
}

OUTREACH_LABELS = {
    OutreachState.PENDING: _l("Waiting for the Mission"),
    OutreachState.ACCEPTED: _l("Accepted: a session is planned"),
    OutreachState.DECLINED: _l("Declined"),
    OutreachState.WITHDRAWN: _l("Withdrawn"),
}


class DeclineReason(StrEnum):
    """Standard reasons, so that the leader reads them in her own language."""
    NO_TRAINER = "no_trainer"
    TOO_FEW = "too_few"
    OPEN_SESSION = "open_session"
    OTHER = "other"


DECLINE_REASON_LABELS = {
    DeclineReason.NO_TRAINER: _l("No trainer is free on those Sundays"),
    DeclineReason.TOO_FEW: _l("Too few people for a session at your place"),
    DeclineReason.OPEN_SESSION: _l("A session on this topic is open to everyone soon: book it"),
    DeclineReason.OTHER: _l("Please contact the Mission"),
}


class OutreachRequest(StateMachine, db.Model):
    """A leader asks for a training at her organisation's Sunday spot."""
    __tablename__ = "outreach_requests"
    __table_args__ = (CheckConstraint("expected > 0", name="expected"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    programme: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(10))
    expected: Mapped[int] = mapped_column(Integer)
    sunday_1: Mapped[date] = mapped_column(Date)
    sunday_2: Mapped[date] = mapped_column(Date)
    sunday_3: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(1000), default="")
    state: Mapped[str] = mapped_column(String(20), default=OutreachState.PENDING, index=True)
    decline_reason: Mapped[str | None] = mapped_column(String(20))
    decline_note: Mapped[str | None] = mapped_column(String(500))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation = relationship("Organisation", lazy="joined")
    session = relationship("TrainingSession")

    @property
    def sundays(self) -> list[date]:
        return [d for d in (self.sunday_1, self.sunday_2, self.sunday_3) if d is not None]

    TRANSITIONS = OUTREACH_TRANSITIONS

    @property
    def label(self):
        return OUTREACH_LABELS[OutreachState(self.state)]

    @property
    def reason_label(self):
        return DECLINE_REASON_LABELS.get(self.decline_reason, "") if self.decline_reason else ""
