"""Booking a seat, for oneself or for members: never more than the seats (portal/capacity.py);
cancelling, releasing ("my day off was cancelled"), attendance and walk-ins."""
from __future__ import annotations


from portal.accounts.models import User
from portal.audit import record
from portal.capacity import claim, expire_offers, give_back, lock, walk_in
from portal.extensions import db
from portal.notifications.services import queue
from portal.organisations.models import Organisation
from portal.trainings.models import Booking, BookingState, TrainingSession
from portal.trainings.services.access import can_act_on, can_book_for, is_staff
from portal.trainings.services.errors import SessionFull, TooLateToCancel
from portal.trainings.services.places import SEATS
from portal.trainings.services.rules import check_bookable, check_clash, check_prerequisites
from portal.trainings.services.texts import _title, _when
from portal.trainings.services.waitlist import join_waitlist
from portal.web import DomainError, NotAllowed


def book(actor, ts: TrainingSession, person: User, org: Organisation | None = None) -> Booking:
    """Take a seat for `person`, or raise SessionFull (and nothing changes)."""
    if not can_book_for(actor, person, org):
        raise NotAllowed()
    ts = lock(SEATS, ts.id)
    expire_offers(SEATS, ts)
    check_bookable(ts, person, org)
    check_prerequisites(ts, person)
    check_clash(ts, person)
    existing = claim(SEATS, ts, person.id)
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
    ts = lock(SEATS, booking.session_id)
    db.session.refresh(booking)
    if booking.can(BookingState.CANCELLED) and ts.is_past:
        raise TooLateToCancel()
    give_back(SEATS, ts, booking, released=ts.deadline_passed)  # a place offered on is told by SEATS.offered
    record(actor, f"booking.{booking.state}", booking, {"session_id": ts.id})
    db.session.commit()
    return booking


def mark_attendance(staff, booking: Booking, present: bool) -> Booking:
    if not is_staff(staff):
        raise NotAllowed()
    to = BookingState.ATTENDED if present else BookingState.NO_SHOW
    if booking.state == to:
        return booking
    booking.move(to)
    record(staff, f"booking.{to}", booking, {"session_id": booking.session_id})
    db.session.commit()
    return booking


def add_walk_in(staff, ts: TrainingSession, person: User) -> Booking:
    """Someone who came without booking: attended, if a seat is free."""
    if not is_staff(staff):
        raise NotAllowed()
    ts = lock(SEATS, ts.id)
    existing = walk_in(SEATS, ts, person.id)
    existing.booked_by_id = staff.id
    db.session.flush()
    record(staff, "booking.walk_in", existing, {"session_id": ts.id})
    db.session.commit()
    return existing
