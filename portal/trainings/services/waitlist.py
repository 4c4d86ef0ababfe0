"""The waiting list: joining, leaving, taking an offered seat, her place in the line; expired offers."""
from __future__ import annotations

from portal.accounts.models import User
from portal.audit import record
from portal.capacity import accept, expire_offers, lock, pass_expired, queue_up, step_out
from portal.capacity import position as places_position
from portal.extensions import db
from portal.notifications.services import queue
from portal.organisations.models import Organisation
from portal.trainings.models import Booking, TrainingSession, WaitlistEntry, WaitState
from portal.trainings.services.access import can_act_on, can_book_for
from portal.trainings.services.errors import OfferGone
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
    check_prerequisites(ts, person)
    entry = queue_up(SEATS, ts, person.id)
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
    step_out(SEATS, ts, entry)
    record(actor, "waitlist.left", entry, {"session_id": ts.id})
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
    booking = accept(SEATS, ts, entry)
    booking.organisation_id, booking.booked_by_id = entry.organisation_id, actor.id
    db.session.flush()
    record(actor, "waitlist.accepted", entry, {"session_id": ts.id, "booking_id": booking.id})
    queue(person, "booking_confirmed", course=_title(ts), when=_when(ts.starts_at))
    db.session.commit()
    return booking


def position(entry: WaitlistEntry) -> int:
    """Her place in the line: 1 is next."""
    return places_position(SEATS, entry)


def apply_expired_offers(session_id: int | None = None) -> int:
    """Pass on every expired offer (of one session, or of all): see capacity.pass_expired."""
    return pass_expired(SEATS, session_id)


def expire_offers_job() -> str | None:
    """The worker's periodic job."""
    n = apply_expired_offers()
    return f"Trainings: {n} expired offers passed on." if n else None
