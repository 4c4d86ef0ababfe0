"""The waiting list: joining, leaving, taking an offered seat, her place in the line; expired offers."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import record
from portal.capacity import expire_offers, free, lock, waiting
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import queue
from portal.organisations.models import Organisation
from portal.trainings.models import HOLDS_SEAT, Booking, BookingState, TrainingSession, WaitlistEntry, WaitState
from portal.trainings.services.access import can_act_on, can_book_for
from portal.trainings.services.errors import AlreadyBooked, AlreadyWaiting, NotFullYet, OfferGone
from portal.trainings.services.places import SEATS
from portal.trainings.services.rules import check_bookable, check_clash, check_prerequisites
from portal.trainings.services.texts import _title, _when
from portal.web import NotAllowed


def join_waitlist(actor, ts: TrainingSession, person: User, org: Organisation | None = None) -> WaitlistEntry:
    if not can_book_for(actor, person, org):
        raise NotAllowed()
    ts = lock(SEATS, ts.id)
    expire_offers(SEATS, ts)
    check_bookable(ts, person, org, for_waitlist=True)
    if db.session.scalar(select(Booking.id).where(Booking.session_id == ts.id, Booking.user_id == person.id,
                                                  Booking.state.in_(HOLDS_SEAT))):
        raise AlreadyBooked()
    if ts.taken < ts.capacity and waiting(SEATS, ts) == 0:
        raise NotFullYet()
    check_prerequisites(ts, person)
    entry = db.session.scalar(select(WaitlistEntry).where(
        WaitlistEntry.session_id == ts.id, WaitlistEntry.user_id == person.id))
    if entry is None:
        entry = WaitlistEntry(session_id=ts.id, user_id=person.id, state=WaitState.WAITING)
        db.session.add(entry)
    elif entry.can(WaitState.WAITING):  # she left, or let an offer pass: back at the end of the line
        entry.move(WaitState.WAITING)
    else:
        raise AlreadyWaiting()
    entry.joined_at, entry.offer_expires_at = utcnow(), None
    entry.organisation_id = org.id if org else None
    db.session.flush()
    record(actor, "waitlist.joined", entry, {"session_id": ts.id})
    db.session.commit()
    return entry


def leave_waitlist(actor, entry: WaitlistEntry) -> WaitlistEntry:
    if not can_act_on(actor, entry.user_id, entry.organisation_id):
        raise NotAllowed()
    ts = lock(SEATS, entry.session_id)
    db.session.refresh(entry)
    held = entry.state == WaitState.OFFERED
    entry.move(WaitState.LEFT)
    entry.offer_expires_at = None
    record(actor, "waitlist.left", entry, {"session_id": ts.id})
    if held:
        free(SEATS, ts)
    db.session.commit()
    return entry


def accept_offer(actor, entry: WaitlistEntry) -> Booking:
    """She takes the seat held for her: the seat was counted when it was offered."""
    if not can_act_on(actor, entry.user_id, entry.organisation_id):
        raise NotAllowed()
    ts = lock(SEATS, entry.session_id)
    expire_offers(SEATS, ts)
    db.session.refresh(entry)
    if not entry.can(WaitState.ACCEPTED):
        raise OfferGone()
    person = db.session.get(User, entry.user_id)
    check_clash(ts, person)
    entry.move(WaitState.ACCEPTED)
    entry.offer_expires_at = None
    booking = db.session.scalar(select(Booking).where(Booking.session_id == ts.id, Booking.user_id == person.id))
    if booking is None:
        booking = Booking(session_id=ts.id, user_id=person.id, state=BookingState.BOOKED)
        db.session.add(booking)
    else:
        booking.move(BookingState.BOOKED)
    booking.organisation_id, booking.booked_by_id = entry.organisation_id, actor.id
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
        ts = lock(SEATS, sid)
        n += expire_offers(SEATS, ts)
        db.session.commit()
    return n


def expire_offers_job() -> str | None:
    """The worker's periodic job."""
    n = apply_expired_offers()
    return f"Trainings: {n} expired offers passed on." if n else None
