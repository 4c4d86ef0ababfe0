"""ETOC trainings: courses, sessions, booking that never oversells, the waiting list with offers,
cancellation, attendance. Every change is one transaction with its audit and outbox rows.

Seats are counted in `training_sessions.taken` (bookings plus offers that hold a seat). Every
change of it happens in a transaction that first locks the session: `BEGIN IMMEDIATE` on SQLite,
`SELECT ... FOR UPDATE` on PostgreSQL; the change itself is a conditional UPDATE, and a CHECK
constraint keeps `taken <= capacity` in the database whatever happens above it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.accounts.models import User
from portal.accounts.roles import Power, can
from portal.audit import changed, record
from portal.clock import HK, aware, utcnow
from portal.extensions import db
from portal.notifications.services import queue
from portal.organisations.models import Organisation
from portal.organisations.services import can_manage, is_active_member
from portal.trainings.models import (
    HOLDS_SEAT, Booking, BookingState, Course, CourseText, DeclineReason, OutreachRequest,
    OutreachState, SessionState, TrainingSession, WaitlistEntry, WaitState,
)
from portal.web import DomainError, NotAllowed
from portal.web.templating import format_datetime_named as format_datetime

OFFER_HOLD = timedelta(hours=48)
MIN_OFFER_HOLD = timedelta(hours=1)


class SessionFull(DomainError):
    message = _l("This training is full. You can join the waiting list.")


class BookingClosed(DomainError):
    message = _l("Booking for this training is closed.")


class AlreadyBooked(DomainError):
    message = _l("This person already has a place in this training.")


class TimeClash(DomainError):
    message = _l("This person is booked for another training at the same time.")


class OrgCapReached(DomainError):
    message = _l("Your organisation has used all the places it may take in this training.")


class NotRestricted(DomainError):
    message = _l("This training is only for another organisation.")


class AlreadyWaiting(DomainError):
    message = _l("This person is already on the waiting list.")


class NotFullYet(DomainError):
    message = _l("There are still places: book one instead of waiting.")


class OfferGone(DomainError):
    message = _l("This offer has expired or was already answered.")


class TooLateToCancel(DomainError):
    message = _l("This training has already started; it can no longer be cancelled.")


class StateChanged(DomainError):
    message = _l("This was already changed. The page is now up to date.")


class SessionOver(DomainError):
    message = _l("This session is over or cancelled; it can no longer be changed.")


class BelowTaken(DomainError):
    message = _l("More places are already taken than that. Cancel bookings first, or keep more places.")


class PrerequisiteMissing(DomainError):
    message = _l("This training is for people who have done another course first.")


class PrerequisiteLoop(DomainError):
    message = _l("A course cannot require itself, or a course that requires it.")


class NotSundays(DomainError):
    message = _l("Choose Sundays from next week on, each one different.")


# --- texts for messages, rendered in the recipient's language by the outbox ---

class _InLocale:
    """A value whose text is made when the outbox renders the message, in the recipient's language."""

    def __init__(self, fn):
        self.fn = fn

    def __str__(self):
        return self.fn()


def _title(ts: TrainingSession):
    return _InLocale(lambda: ts.course.title)


def _when(dt: datetime):
    return _InLocale(lambda: format_datetime(aware(dt), "day_time"))


def _where(ts: TrainingSession):
    return _InLocale(lambda: ts.venue or _("your organisation's meeting place"))


# --- who may do what ---

def is_staff(user) -> bool:
    """Mission staff who run the trainings (portal/accounts/roles.py)."""
    return can(user, Power.RUN_TRAININGS)


def can_book_for(actor, person: User, org: Organisation | None) -> bool:
    """Herself; or a leader or co-leader for an accepted member of her organisation; or staff."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if is_staff(actor) or (actor.id == person.id and org is None):
        return True
    if org is None or not can_manage(actor, org):
        return False
    return is_active_member(person.id, org.id)


def can_act_on(actor, person_id: int, org_id: int | None) -> bool:
    """Her own booking or place; staff; or her organisation's leader or co-leader while she is still an
    accepted member of it (rights through an organisation end with the membership: see org_bookings, its
    twin for lists)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if is_staff(actor) or actor.id == person_id:
        return True
    if org_id is None:
        return False
    org = db.session.get(Organisation, org_id)
    return org is not None and can_manage(actor, org) and is_active_member(person_id, org_id)


# --- courses and sessions (staff) ---

def create_course(staff, programme: str, language: str, texts: dict[str, tuple[str, str]],
                  prerequisites: list[Course] = ()) -> Course:
    if not is_staff(staff):
        raise NotAllowed()
    course = Course(programme=programme, language=language)
    _set_texts(course, texts)
    course.prerequisites = list(prerequisites)
    db.session.add(course)
    db.session.flush()
    record(staff, "course.created", course, {"prerequisites": [c.id for c in prerequisites]})
    db.session.commit()
    return course


def update_course(staff, course: Course, programme: str, language: str, texts: dict[str, tuple[str, str]],
                  prerequisites: list[Course] = ()) -> Course:
    if not is_staff(staff):
        raise NotAllowed()
    _check_no_loop(course, prerequisites)
    course.programme, course.language = programme, language
    _set_texts(course, texts)
    course.prerequisites = list(prerequisites)
    names = changed(course, "programme", "language", "prerequisites")
    if changed(course, "texts") or any(changed(t, "title", "description") for t in course.texts):
        names.append("texts")
    record(staff, "course.updated", course, {"changed": names, "prerequisites": [c.id for c in prerequisites]})
    db.session.commit()
    return course


def _set_texts(course: Course, texts: dict[str, tuple[str, str]]) -> None:
    """A title per language; a language left without a title loses its text."""
    by_locale = {t.locale: t for t in course.texts}
    for locale, (title, description) in texts.items():
        title, description = (title or "").strip(), (description or "").strip()
        if title and locale in by_locale:
            by_locale[locale].title, by_locale[locale].description = title, description
        elif title:
            course.texts.append(CourseText(locale=locale, title=title, description=description))
        elif locale in by_locale:
            course.texts.remove(by_locale[locale])
    if not course.texts:
        raise DomainError(_l("Give the course a title in at least one language."))


def _check_no_loop(course: Course, prerequisites) -> None:
    seen, todo = set(), list(prerequisites)
    while todo:
        c = todo.pop()
        if c.id == course.id:
            raise PrerequisiteLoop()
        if c.id not in seen:
            seen.add(c.id)
            todo.extend(c.prerequisites)


def create_session(staff, course: Course, starts_at: datetime, ends_at: datetime, capacity: int,
                   deadline: datetime | None = None, venue: str = "", per_org_cap: int | None = None,
                   organisation_id: int | None = None, commit: bool = True) -> TrainingSession:
    if not is_staff(staff):
        raise NotAllowed()
    _check_times(starts_at, ends_at, deadline)
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
    ts = _lock(ts.id)
    if ts.state != SessionState.SCHEDULED or ts.is_past:
        raise SessionOver()
    _check_times(starts_at, ends_at, deadline)
    if capacity < ts.taken:
        raise BelowTaken()
    venue = (venue or "").strip()
    moved = aware(ts.starts_at) != starts_at or aware(ts.ends_at) != ends_at
    fields = [name for name, old, new in (
        ("time", moved, False), ("venue", ts.venue, venue), ("capacity", ts.capacity, capacity),
        ("deadline", aware(ts.deadline), deadline), ("per_org_cap", ts.per_org_cap, per_org_cap)) if old != new]
    if not fields:
        return 0
    ts.starts_at, ts.ends_at, ts.deadline, ts.venue = starts_at, ends_at, deadline, venue
    ts.capacity, ts.per_org_cap, ts.remind_at = capacity, per_org_cap, reminder_time(starts_at)
    if moved or "venue" in fields:
        ts.version += 1
    db.session.flush()
    _fill_from_waitlist(ts)
    told = 0
    if moved or "venue" in fields:
        booked = db.session.scalars(select(Booking).where(
            Booking.session_id == ts.id, Booking.state == BookingState.BOOKED)).all()
        offered = db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.session_id == ts.id, WaitlistEntry.state == WaitState.OFFERED)).all()
        for person in [b.user for b in booked] + [w.user for w in offered]:
            queue(person, "session_changed", course=_title(ts), when=_when(ts.starts_at), where=_where(ts))
            told += 1
        if moved:  # the reminder goes out again before the new date
            for b in booked:
                b.reminded_at = None
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
        if aware(b.created_at) < aware(ts.remind_at):
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
    ts = _lock(ts.id)
    if ts.state == SessionState.CANCELLED:
        raise StateChanged()
    ts.state = SessionState.CANCELLED
    ts.version += 1
    told = 0
    for b in db.session.scalars(select(Booking).where(Booking.session_id == ts.id, Booking.state == BookingState.BOOKED)):
        b.state = BookingState.CANCELLED
        queue(b.user, "session_cancelled", course=_title(ts), when=_when(ts.starts_at))
        told += 1
    for w in db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.session_id == ts.id, WaitlistEntry.state.in_([WaitState.WAITING, WaitState.OFFERED]))):
        w.state = WaitState.LEFT
        queue(w.user, "session_cancelled", course=_title(ts), when=_when(ts.starts_at))
        told += 1
    db.session.execute(update(TrainingSession).where(TrainingSession.id == ts.id).values(taken=0))
    record(staff, "session.cancelled", ts, {"told": told})
    db.session.commit()
    return told


# --- booking ---

def book(actor, ts: TrainingSession, person: User, org: Organisation | None = None) -> Booking:
    """Take a seat for `person`, or raise SessionFull (and nothing changes)."""
    if not can_book_for(actor, person, org):
        raise NotAllowed()
    ts = _lock(ts.id)
    _expire_offers(ts)
    _check_bookable(ts, person, org)
    existing = db.session.scalar(select(Booking).where(Booking.session_id == ts.id, Booking.user_id == person.id))
    if existing is not None and existing.active:
        raise AlreadyBooked()
    _check_prerequisites(ts, person)
    _check_clash(ts, person)
    if _waiting_count(ts) > 0:  # seats freed while people wait go to them, through offers
        raise SessionFull()
    _take_seat(ts)
    if existing is None:
        existing = Booking(session_id=ts.id, user_id=person.id)
        db.session.add(existing)
    existing.state = BookingState.BOOKED
    existing.organisation_id = org.id if org else None
    existing.booked_by_id = actor.id
    db.session.flush()
    record(actor, "booking.booked", existing, {"session_id": ts.id})
    queue(person, "booking_confirmed", course=_title(ts), when=_when(ts.starts_at))
    db.session.commit()
    return existing


def book_many(actor, ts: TrainingSession, people: list[User], org: Organisation) -> dict:
    """A leader books several members: each one booked, or waiting-listed if full, or refused with a reason."""
    result = {"booked": [], "waiting": [], "refused": []}
    for person in people:
        try:
            book(actor, ts, person, org)
            result["booked"].append(person)
        except SessionFull:
            db.session.rollback()
            try:
                join_waitlist(actor, ts, person, org)
                result["waiting"].append(person)
            except DomainError as e:
                db.session.rollback()
                result["refused"].append((person, e.message))
        except DomainError as e:
            db.session.rollback()
            result["refused"].append((person, e.message))
    return result


def cancel_booking(actor, booking: Booking) -> Booking:
    """Before the deadline: cancelled. After it, until the start: released ("my day off was
    cancelled"), with no mark against her. The seat goes to the waiting list at once."""
    if not can_act_on(actor, booking.user_id, booking.organisation_id):
        raise NotAllowed()
    ts = _lock(booking.session_id)
    db.session.refresh(booking)
    if booking.state != BookingState.BOOKED:
        raise StateChanged()
    if ts.is_past:
        raise TooLateToCancel()
    booking.state = BookingState.RELEASED if ts.deadline_passed else BookingState.CANCELLED
    record(actor, f"booking.{booking.state}", booking, {"session_id": ts.id})
    _free_seat(ts)
    db.session.commit()
    return booking


def mark_attendance(staff, booking: Booking, present: bool) -> Booking:
    if not is_staff(staff):
        raise NotAllowed()
    to = BookingState.ATTENDED if present else BookingState.NO_SHOW
    if booking.state == to:
        return booking
    if not booking.can(to):
        raise StateChanged()
    booking.state = to
    record(staff, f"booking.{to}", booking, {"session_id": booking.session_id})
    db.session.commit()
    return booking


def add_walk_in(staff, ts: TrainingSession, person: User) -> Booking:
    """Someone who came without booking: attended, if a seat is free."""
    if not is_staff(staff):
        raise NotAllowed()
    ts = _lock(ts.id)
    existing = db.session.scalar(select(Booking).where(Booking.session_id == ts.id, Booking.user_id == person.id))
    if existing is not None and existing.active:
        raise AlreadyBooked()
    _take_seat(ts)
    if existing is None:
        existing = Booking(session_id=ts.id, user_id=person.id)
        db.session.add(existing)
    existing.state, existing.booked_by_id = BookingState.ATTENDED, staff.id
    db.session.flush()
    record(staff, "booking.walk_in", existing, {"session_id": ts.id})
    db.session.commit()
    return existing


# --- the waiting list ---

def join_waitlist(actor, ts: TrainingSession, person: User, org: Organisation | None = None) -> WaitlistEntry:
    if not can_book_for(actor, person, org):
        raise NotAllowed()
    ts = _lock(ts.id)
    _expire_offers(ts)
    _check_bookable(ts, person, org, for_waitlist=True)
    if db.session.scalar(select(Booking.id).where(Booking.session_id == ts.id, Booking.user_id == person.id,
                                                  Booking.state.in_(HOLDS_SEAT))):
        raise AlreadyBooked()
    if ts.taken < ts.capacity and _waiting_count(ts) == 0:
        raise NotFullYet()
    _check_prerequisites(ts, person)
    entry = db.session.scalar(select(WaitlistEntry).where(
        WaitlistEntry.session_id == ts.id, WaitlistEntry.user_id == person.id))
    if entry is not None and entry.state in (WaitState.WAITING, WaitState.OFFERED):
        raise AlreadyWaiting()
    if entry is None:
        entry = WaitlistEntry(session_id=ts.id, user_id=person.id)
        db.session.add(entry)
    entry.state, entry.joined_at, entry.offer_expires_at = WaitState.WAITING, utcnow(), None
    entry.organisation_id = org.id if org else None
    db.session.flush()
    record(actor, "waitlist.joined", entry, {"session_id": ts.id})
    db.session.commit()
    return entry


def leave_waitlist(actor, entry: WaitlistEntry) -> WaitlistEntry:
    if not can_act_on(actor, entry.user_id, entry.organisation_id):
        raise NotAllowed()
    ts = _lock(entry.session_id)
    db.session.refresh(entry)
    if entry.state not in (WaitState.WAITING, WaitState.OFFERED):
        raise StateChanged()
    held = entry.state == WaitState.OFFERED
    entry.state, entry.offer_expires_at = WaitState.LEFT, None
    record(actor, "waitlist.left", entry, {"session_id": ts.id})
    if held:
        _free_seat(ts)
    db.session.commit()
    return entry


def accept_offer(actor, entry: WaitlistEntry) -> Booking:
    """She takes the seat held for her: the seat was counted when it was offered."""
    if not can_act_on(actor, entry.user_id, entry.organisation_id):
        raise NotAllowed()
    ts = _lock(entry.session_id)
    _expire_offers(ts)
    db.session.refresh(entry)
    if entry.state != WaitState.OFFERED:
        raise OfferGone()
    person = db.session.get(User, entry.user_id)
    _check_clash(ts, person)
    entry.state, entry.offer_expires_at = WaitState.ACCEPTED, None
    booking = db.session.scalar(select(Booking).where(Booking.session_id == ts.id, Booking.user_id == person.id))
    if booking is None:
        booking = Booking(session_id=ts.id, user_id=person.id)
        db.session.add(booking)
    booking.state, booking.organisation_id, booking.booked_by_id = BookingState.BOOKED, entry.organisation_id, actor.id
    db.session.flush()
    record(actor, "waitlist.accepted", entry, {"session_id": ts.id, "booking_id": booking.id})
    queue(person, "booking_confirmed", course=_title(ts), when=_when(ts.starts_at))
    db.session.commit()
    return booking


def position(entry: WaitlistEntry) -> int:
    """Her place in the line: 1 is next."""
    return 1 + db.session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.session_id == entry.session_id, WaitlistEntry.state == WaitState.WAITING,
        (WaitlistEntry.joined_at < entry.joined_at)
        | ((WaitlistEntry.joined_at == entry.joined_at) & (WaitlistEntry.id < entry.id))))


def apply_expired_offers(session_id: int | None = None) -> int:
    """Pass on every expired offer (of one session, or of all). Called by the worker's periodic
    job and whenever a session or the catalogue is read, so an expired offer never blocks a seat."""
    query = select(WaitlistEntry.session_id).where(
        WaitlistEntry.state == WaitState.OFFERED, WaitlistEntry.offer_expires_at < utcnow())
    if session_id is not None:
        query = query.where(WaitlistEntry.session_id == session_id)
    ids = db.session.scalars(query.distinct()).all()
    n = 0
    for sid in ids:
        ts = _lock(sid)
        n += _expire_offers(ts)
        db.session.commit()
    return n


def expire_offers_job() -> str | None:
    """The worker's periodic job."""
    n = apply_expired_offers()
    return f"Trainings: {n} expired offers passed on." if n else None


# --- inside the locked transaction ---

def _lock(session_id: int) -> TrainingSession:
    """Begin the transaction that may change seats: IMMEDIATE on SQLite, a row lock on PostgreSQL."""
    if db.session.new or db.session.dirty or db.session.deleted:  # never commit a caller's half-done change
        raise RuntimeError("_lock() must begin the transaction: unsaved changes are pending")
    db.session.commit()  # end the request's read transaction, so the next one begins as we ask
    db.session.connection(execution_options={"sqlite_immediate": True})
    ts = db.session.scalar(select(TrainingSession).where(TrainingSession.id == session_id)
                           .with_for_update(of=TrainingSession).execution_options(populate_existing=True))
    if ts is None:
        raise StateChanged()
    return ts


def _take_seat(ts: TrainingSession) -> None:
    taken = db.session.execute(update(TrainingSession).where(
        TrainingSession.id == ts.id, TrainingSession.taken < TrainingSession.capacity)
        .values(taken=TrainingSession.taken + 1)).rowcount
    if not taken:
        raise SessionFull()
    db.session.refresh(ts)


def _free_seat(ts: TrainingSession) -> None:
    """A seat is free: the first in line gets an offer that holds it; else the count goes down."""
    now = utcnow()
    nxt = None
    if ts.state == SessionState.SCHEDULED and not ts.is_past:
        nxt = db.session.scalar(select(WaitlistEntry).where(
            WaitlistEntry.session_id == ts.id, WaitlistEntry.state == WaitState.WAITING)
            .order_by(WaitlistEntry.joined_at, WaitlistEntry.id).limit(1))
    if nxt is None:
        db.session.execute(update(TrainingSession).where(TrainingSession.id == ts.id, TrainingSession.taken > 0)
                           .values(taken=TrainingSession.taken - 1))
        return
    nxt.state = WaitState.OFFERED
    nxt.offer_expires_at = offer_deadline(ts, now)
    record(None, "waitlist.offered", nxt, {"session_id": ts.id})
    queue(nxt.user, "seat_offered", course=_title(ts), when=_when(ts.starts_at),
          until=_when(nxt.offer_expires_at))


def _fill_from_waitlist(ts: TrainingSession) -> None:
    """Places free while people wait (more places were added): each goes to the next in line as an offer."""
    while ts.taken < ts.capacity and _waiting_count(ts) > 0:
        _take_seat(ts)
        _free_seat(ts)  # the seat just taken is offered to the first in line


def offer_deadline(ts: TrainingSession, now: datetime) -> datetime:
    """48 hours, shorter as the session nears (half the time left, at least an hour), never past the start."""
    left = aware(ts.starts_at) - now
    hold = min(OFFER_HOLD, max(left / 2, MIN_OFFER_HOLD))
    return min(now + hold, aware(ts.starts_at))


def _expire_offers(ts: TrainingSession) -> int:
    n = 0
    now = utcnow()
    while True:
        expired = db.session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.session_id == ts.id, WaitlistEntry.state == WaitState.OFFERED,
            WaitlistEntry.offer_expires_at < now)).all()
        if not expired:
            return n
        for entry in expired:
            entry.state, entry.offer_expires_at = WaitState.EXPIRED, None
            record(None, "waitlist.offer_expired", entry, {"session_id": ts.id})
            queue(entry.user, "offer_expired", course=_title(ts))
            n += 1
            _free_seat(ts)
        db.session.flush()


def _waiting_count(ts: TrainingSession) -> int:
    return db.session.scalar(select(func.count()).select_from(WaitlistEntry).where(
        WaitlistEntry.session_id == ts.id, WaitlistEntry.state == WaitState.WAITING))


def _check_bookable(ts, person, org, for_waitlist=False):
    if ts.state != SessionState.SCHEDULED or ts.is_past or ts.deadline_passed:
        raise BookingClosed()
    if ts.organisation_id:  # an outreach session: for that organisation's members only
        if not is_active_member(person.id, ts.organisation_id) or (org is not None and org.id != ts.organisation_id):
            raise NotRestricted()
    if org is not None and ts.per_org_cap and not for_waitlist:
        used = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.session_id == ts.id, Booking.organisation_id == org.id, Booking.state.in_(HOLDS_SEAT)))
        if used >= ts.per_org_cap:
            raise OrgCapReached()


def _check_prerequisites(ts, person):
    """She has attended a session of every course this one requires."""
    needed = ts.course.prerequisites
    if not needed:
        return
    done = set(db.session.scalars(select(TrainingSession.course_id).join(Booking, Booking.session_id == TrainingSession.id)
                                  .where(Booking.user_id == person.id, Booking.state == BookingState.ATTENDED,
                                         TrainingSession.course_id.in_([c.id for c in needed]))))
    missing = [c for c in needed if c.id not in done]
    if missing:
        raise PrerequisiteMissing(_l("This training is for people who have done this first: %(courses)s.",
                                     courses=_InLocale(lambda: format_list([c.title for c in missing],
                                                                           locale=str(get_locale())))))


def _check_clash(ts, person):
    clash = db.session.scalar(select(Booking.id).join(TrainingSession, Booking.session_id == TrainingSession.id).where(
        Booking.user_id == person.id, Booking.state == BookingState.BOOKED, TrainingSession.id != ts.id,
        TrainingSession.state == SessionState.SCHEDULED,
        TrainingSession.starts_at < ts.ends_at, TrainingSession.ends_at > ts.starts_at))
    if clash:
        raise TimeClash()


def _check_times(starts_at, ends_at, deadline):
    if ends_at <= starts_at:
        raise DomainError(_l("The end must be after the start."))
    if starts_at <= utcnow():
        raise DomainError(_l("The start must be in the future."))
    if deadline is not None and deadline > starts_at:
        raise DomainError(_l("The booking deadline must be before the start."))


# --- outreach: a training at the organisation's own Sunday spot ---

def can_request_outreach(user, org: Organisation) -> bool:
    return org.state == "approved" and can_manage(user, org)


def request_outreach(actor, org: Organisation, programme: str, language: str, expected: int,
                     sundays: list[date], note: str = "") -> OutreachRequest:
    if not can_request_outreach(actor, org):
        raise NotAllowed()
    today = utcnow().astimezone(HK).date()
    days = [d for d in sundays if d is not None]
    if not 2 <= len(days) <= 3 or len(set(days)) != len(days) or any(d.weekday() != 6 or d <= today for d in days):
        raise NotSundays()
    days.sort()
    req = OutreachRequest(organisation_id=org.id, requested_by_id=actor.id, programme=programme, language=language,
                          expected=expected, sunday_1=days[0], sunday_2=days[1],
                          sunday_3=days[2] if len(days) > 2 else None, note=(note or "").strip())
    db.session.add(req)
    db.session.flush()
    record(actor, "outreach.requested", req, {"organisation_id": org.id})
    db.session.commit()
    return req


def withdraw_outreach(actor, req: OutreachRequest) -> OutreachRequest:
    if not can_manage(actor, req.organisation):
        raise NotAllowed()
    _decide_outreach(req, OutreachState.WITHDRAWN, actor)
    record(actor, "outreach.withdrawn", req)
    db.session.commit()
    return req


def accept_outreach(staff, req: OutreachRequest, course: Course, starts_at: datetime, ends_at: datetime,
                    capacity: int, venue: str = "") -> TrainingSession:
    """Create the session, for this organisation's members only, and tell the leader who asked."""
    if not is_staff(staff):
        raise NotAllowed()
    _check_times(starts_at, ends_at, None)
    _decide_outreach(req, OutreachState.ACCEPTED, staff)
    ts = create_session(staff, course, starts_at, ends_at, capacity, venue=venue,
                        organisation_id=req.organisation_id, commit=False)
    req.session_id = ts.id
    record(staff, "outreach.accepted", req, {"session_id": ts.id})
    leader = db.session.get(User, req.requested_by_id) if req.requested_by_id else None
    if leader is not None:
        queue(leader, "outreach_accepted", org=req.organisation.name, course=_title(ts), when=_when(ts.starts_at))
    db.session.commit()
    return ts


def decline_outreach(staff, req: OutreachRequest, reason: str, note: str = "") -> OutreachRequest:
    if not is_staff(staff):
        raise NotAllowed()
    reason = DeclineReason(reason)
    _decide_outreach(req, OutreachState.DECLINED, staff)
    req.decline_reason, req.decline_note = reason, (note or "").strip() or None
    record(staff, "outreach.declined", req, {"reason": str(reason)})
    leader = db.session.get(User, req.requested_by_id) if req.requested_by_id else None
    if leader is not None:
        queue(leader, "outreach_declined", org=req.organisation.name, reason=_InLocale(lambda: str(req.reason_label)))
    db.session.commit()
    return req


def _decide_outreach(req: OutreachRequest, to: OutreachState, actor) -> None:
    """One conditional UPDATE, so two people answering at once cannot both succeed."""
    if not req.can(to):
        raise StateChanged()
    done = db.session.execute(update(OutreachRequest).where(
        OutreachRequest.id == req.id, OutreachRequest.state == OutreachState.PENDING)
        .values(state=to, decided_at=utcnow(), decided_by_id=actor.id)).rowcount
    if not done:
        db.session.rollback()
        raise StateChanged()
    db.session.refresh(req)
