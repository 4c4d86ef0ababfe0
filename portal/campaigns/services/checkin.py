"""On the day: the shift's lead (or staff) checks people in, one tap each, and adds walk-ins; hours are
the shift's planned hours unless the lead writes others, and count once staff approve them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import record
from portal.campaigns.models import Shift, ShiftState, Signup
from portal.campaigns.services.access import can_lead, is_staff
from portal.campaigns.services.places import SHIFT_PLACES
from portal.capacity import PlaceState, lock, walk_in
from portal.clock import utcnow
from portal.extensions import db
from portal.web import DomainError, NotAllowed, StateChanged


class NotCame(DomainError):
    message = _l("Hours are written for people who came.")


class HoursApproved(DomainError):
    message = _l("These hours are already approved; ask the Mission to change them.")


class ShiftNotOn(DomainError):
    message = _l("This shift is cancelled: nobody can be checked in.")


def check_in(actor, signup: Signup, present: bool) -> Signup:
    if not can_lead(actor, signup.shift):
        raise NotAllowed()
    if signup.shift.state != ShiftState.SCHEDULED:
        raise ShiftNotOn()
    to = PlaceState.ATTENDED if present else PlaceState.NO_SHOW
    if signup.state == to:
        return signup
    if signup.approved_at is not None:
        raise HoursApproved()
    signup.move(to)
    if to == PlaceState.NO_SHOW:
        signup.minutes = None
    record(actor, f"signup.{to}", signup, {"shift_id": signup.shift_id})
    db.session.commit()
    return signup


def add_walk_in(actor, shift: Shift, person) -> tuple[Signup, bool]:
    """Someone who came without signing up: present. The room decides, not the form: a full shift takes
    her too, one place more (returned True, for the lead to see)."""
    if not can_lead(actor, shift):
        raise NotAllowed()
    shift = lock(SHIFT_PLACES, shift.id)
    if shift.state != ShiftState.SCHEDULED:
        raise ShiftNotOn()
    beyond = shift.taken >= shift.capacity
    signup = walk_in(SHIFT_PLACES, shift, person.id, over=True)
    signup.signed_up_by_id = actor.id
    db.session.flush()
    record(actor, "signup.walk_in", signup, {"shift_id": shift.id, "beyond_places": beyond})
    db.session.commit()
    return signup, beyond


def set_hours(actor, signup: Signup, minutes: int) -> Signup:
    """The lead writes the hours someone really gave (the shift's planned hours until then)."""
    if not can_lead(actor, signup.shift):
        raise NotAllowed()
    if signup.state != PlaceState.ATTENDED:
        raise NotCame()
    if signup.approved_at is not None and not is_staff(actor):
        raise HoursApproved()
    if not 0 <= minutes <= 1440:
        raise DomainError(_l("Write between 0 and 24 hours."))
    signup.minutes = minutes
    record(actor, "signup.hours", signup, {"shift_id": signup.shift_id, "minutes": minutes})
    db.session.commit()
    return signup


def minutes_of(signup: Signup) -> int:
    """Her hours in minutes: as written, else the shift's planned time."""
    if signup.minutes is not None:
        return signup.minutes
    return int((signup.shift.ends_at - signup.shift.starts_at).total_seconds() // 60)


def approve_hours(staff, shift: Shift) -> int:
    """Staff approve the hours of everyone who came to a shift (those not approved yet). Returns how many."""
    if not is_staff(staff):
        raise NotAllowed()
    if shift.state != ShiftState.SCHEDULED:
        raise ShiftNotOn()
    if not shift.is_past:
        raise StateChanged(_l("Hours are approved once the shift has begun."))
    now = utcnow()
    pending = db.session.scalars(select(Signup).where(Signup.shift_id == shift.id,
                                                      Signup.state == PlaceState.ATTENDED,
                                                      Signup.approved_at.is_(None)).order_by(Signup.id)).all()
    for s in pending:
        s.minutes = minutes_of(s)
        s.approved_at, s.approved_by_id = now, staff.id
        record(staff, "signup.hours_approved", s, {"shift_id": shift.id, "minutes": s.minutes})
    db.session.commit()
    return len(pending)
