"""Booking a seat, for oneself or for members: never more than the seats (portal/capacity.py, whose
hold_for, let_go and hold_or_wait do the work with the trainings' rules in `places.SEATS`); attendance and
walk-ins."""
from __future__ import annotations

from portal.accounts.models import User
from portal.audit import record
from portal.capacity import hold_for, hold_or_wait, let_go, lock, take_back, walk_in
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.trainings.models import Booking, BookingState, SessionState, TrainingSession
from portal.trainings.services.access import is_staff
from portal.trainings.services.places import SEATS
from portal.web import NotAllowed, StateChanged


def book(actor, ts: TrainingSession, person: User, org: Organisation | None = None) -> Booking:
    """Take a seat for `person`, or raise SessionFull (and nothing changes)."""
    return hold_for(SEATS, actor, ts, person, org)


def book_many(actor, ts: TrainingSession, people: list[User], org: Organisation) -> dict:
    """A leader books several members: each one booked, or waiting-listed if full (with her number in line; she
    is told it), or refused with a reason."""
    result = {"booked": [], "waiting": [], "refused": []}
    for person in people:
        outcome, detail = hold_or_wait(SEATS, actor, ts, person, org)
        if outcome == "booked":
            result["booked"].append(person)
        else:
            result[outcome].append((person, detail))
    return result


def cancel_booking(actor, booking: Booking) -> Booking:
    """Before the deadline: cancelled. After it, until the start: released ("my day off was
    cancelled"), with no mark against her. The seat goes to the waiting list at once."""
    return let_go(SEATS, actor, booking)


def undo_cancel(actor, booking: Booking) -> Booking:
    """Within minutes of giving it back, the place is hers again if nobody has it (capacity.take_back)."""
    return take_back(SEATS, actor, booking)


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


def add_walk_in(staff, ts: TrainingSession, person: User) -> tuple[Booking, bool]:
    """Someone who came without booking: present. The room decides, not the form: a full session takes her
    too, one seat more (returned True, for staff to see), as a shift's check-in does."""
    if not is_staff(staff):
        raise NotAllowed()
    ts = lock(SEATS, ts.id)
    if ts.state != SessionState.SCHEDULED:
        raise StateChanged()
    beyond = ts.taken >= ts.capacity
    existing = walk_in(SEATS, ts, person.id, over=True)
    existing.booked_by_id = staff.id
    db.session.flush()
    record(staff, "booking.walk_in", existing, {"session_id": ts.id, "beyond_places": beyond})
    db.session.commit()
    return existing, beyond
