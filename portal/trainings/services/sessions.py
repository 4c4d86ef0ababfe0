"""Sessions (staff): made, changed (everyone booked is told), cancelled; reminders."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.audit import record
from portal.capacity import close, concerned, fill, lock
from portal.clock import HK, aware, utcnow
from portal.extensions import db
from portal.notifications.services import queue
from portal.trainings.models import (
    Booking,
    BookingState,
    Course,
    SessionState,
    TrainingSession,
)
from portal.trainings.services.access import is_staff
from portal.trainings.services.errors import BelowTaken, SessionOver
from portal.trainings.services.places import SEATS
from portal.trainings.services.texts import _title, _when, _where
from portal.web import DomainError, NotAllowed


def create_session(staff, course: Course, starts_at: datetime, ends_at: datetime, capacity: int,
                   deadline: datetime | None = None, venue: str = "", per_org_cap: int | None = None,
                   organisation_id: int | None = None, commit: bool = True) -> TrainingSession:
    if not is_staff(staff):
        raise NotAllowed()
    check_times(starts_at, ends_at, deadline)
    ts = TrainingSession(course=course, starts_at=starts_at, ends_at=ends_at,
                         deadline=deadline or starts_at - timedelta(days=2), venue=(venue or "").strip(),
                         capacity=capacity, taken=0, per_org_cap=per_org_cap, organisation_id=organisation_id,
                         remind_at=reminder_time(starts_at))
    db.session.add(ts)
    db.session.flush()
    record(staff, "session.created", ts, {"capacity": capacity})
    if commit:
        db.session.commit()
    return ts


def update_session(staff, ts: TrainingSession, starts_at: datetime, ends_at: datetime, capacity: int,
                   deadline: datetime, venue: str = "", per_org_cap: int | None = None) -> int:
    """Change a session. Everyone booked, or holding an offer, is told of a new time or place.
    More places go at once to the waiting list; fewer than are taken is refused. Returns how many were told."""
    if not is_staff(staff):
        raise NotAllowed()
    ts = lock(SEATS, ts.id)
    if not ts.can_change:
        raise SessionOver()
    check_times(starts_at, ends_at, deadline)
    if capacity < ts.taken:
        raise BelowTaken()
    venue = (venue or "").strip()
    moved = ts.starts_at != starts_at or ts.ends_at != ends_at
    fields = [name for name, old, new in (
        ("time", moved, False), ("venue", ts.venue, venue), ("capacity", ts.capacity, capacity),
        ("deadline", ts.deadline, deadline), ("per_org_cap", ts.per_org_cap, per_org_cap)) if old != new]
    if not fields:
        return 0
    ts.starts_at, ts.ends_at, ts.deadline, ts.venue = starts_at, ends_at, deadline, venue
    ts.capacity, ts.per_org_cap, ts.remind_at = capacity, per_org_cap, reminder_time(starts_at)
    if moved or "venue" in fields:
        ts.version += 1
    db.session.flush()
    fill(SEATS, ts)
    told = 0
    if moved or "venue" in fields:
        for person in concerned(SEATS, ts):
            queue(person, "session_changed", course=_title(ts), when=_when(ts.starts_at), where=_where(ts))
            told += 1
        if moved:  # the reminder goes out again before the new date
            db.session.execute(update(Booking).where(Booking.session_id == ts.id).values(reminded_at=None))
    record(staff, "session.updated", ts, {"changed": fields, "told": told})
    db.session.commit()
    return told


def reminder_time(starts_at: datetime) -> datetime:
    """The Friday before a Sunday session, at 10:00 in Hong Kong; any other day, two days before."""
    local = aware(starts_at).astimezone(HK)
    if local.weekday() == 6:
        return datetime.combine(local.date() - timedelta(days=2), time(10), HK).astimezone(timezone.utc)
    return aware(starts_at) - timedelta(days=2)


def send_reminders(limit: int = 500) -> int:
    """Remind everyone booked whose session's reminder time has come, once. Someone who booked after
    that time had her confirmation just before: she is not reminded again."""
    now = utcnow()
    due = db.session.scalars(select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id).where(
        TrainingSession.state == SessionState.SCHEDULED, TrainingSession.remind_at <= now,
        TrainingSession.starts_at > now, Booking.state == BookingState.BOOKED, Booking.reminded_at.is_(None))
        .order_by(Booking.session_id, Booking.id).limit(limit)).all()
    sent: dict[int, int] = {}
    for b in due:
        ts = b.session
        if b.created_at < ts.remind_at:
            queue(b.user, "training_reminder", course=_title(ts), when=_when(ts.starts_at), where=_where(ts))
            sent[ts.id] = sent.get(ts.id, 0) + 1
        b.reminded_at = now
    for session_id, n in sent.items():
        record(None, "session.reminded", db.session.get(TrainingSession, session_id), {"told": n})
    db.session.commit()
    return sum(sent.values())


def reminders_job() -> str | None:
    """The worker's periodic job."""
    n = send_reminders()
    return f"Trainings: {n} reminders written to the outbox." if n else None


def cancel_session(staff, ts: TrainingSession) -> int:
    """Cancel a session: every booking and waiting person is told. Returns how many were told."""
    if not is_staff(staff):
        raise NotAllowed()
    ts = lock(SEATS, ts.id)
    ts.move(SessionState.CANCELLED)
    ts.version += 1
    holders, entries = close(SEATS, ts)
    for person in [h.user for h in holders] + [e.user for e in entries]:
        queue(person, "session_cancelled", course=_title(ts), when=_when(ts.starts_at), where=_where(ts))
    told = len(holders) + len(entries)
    record(staff, "session.cancelled", ts, {"told": told})
    db.session.commit()
    return told


def check_times(starts_at, ends_at, deadline):
    if ends_at <= starts_at:
        raise DomainError(_l("The end must be after the start."))
    if starts_at <= utcnow():
        raise DomainError(_l("The start must be in the future."))
    if deadline is not None and deadline > starts_at:
        raise DomainError(_l("The booking deadline must be before the start."))
