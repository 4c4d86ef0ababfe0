"""Signing up for shifts, for oneself (one or several in one go) or for members, giving a place back ("my day
off was cancelled" close to the start, with no mark), the waiting list with its timed offers: portal/capacity.py's
actions with the campaigns' rules in `places.SHIFT_PLACES` (never more than the places, never two places at
once)."""
from __future__ import annotations

from dataclasses import dataclass

from portal.campaigns.models import Shift, ShiftWait, Signup
from portal.campaigns.services.places import SHIFT_PLACES
from portal.capacity import hold_for, hold_or_wait, let_go, pass_expired, stop_waiting, take_back, take_offer, wait_for
from portal.capacity import position as places_position
from portal.organisations.models import Organisation


def sign_up(actor, shift: Shift, person, org: Organisation | None = None) -> Signup:
    """A place in the shift for `person`, or ShiftFull (and nothing changes)."""
    return hold_for(SHIFT_PLACES, actor, shift, person, org)


@dataclass
class Outcome:
    """What happened to one sign-up of several: "signed_up", "waiting" (with her number in line) or
    "refused" (with the reason, in her language)."""
    shift: Shift
    person: object
    result: str
    position: int | None = None
    reason: str = ""


def _try(actor, shift, person, org) -> Outcome:
    result, detail = hold_or_wait(SHIFT_PLACES, actor, shift, person, org)
    if result == "booked":
        return Outcome(shift, person, "signed_up")
    if result == "waiting":
        return Outcome(shift, person, "waiting", position=detail)
    return Outcome(shift, person, "refused", reason=detail)


def sign_up_many(actor, shifts: list[Shift], person) -> list[Outcome]:
    """She signs up for several shifts in one go, earliest first: each one signed up, or on its waiting list
    when full, or refused with the reason (a shift that clashes with one she just took, say)."""
    return [_try(actor, shift, person, None) for shift in sorted(shifts, key=lambda s: (s.starts_at, s.id))]


def sign_up_members(actor, shift: Shift, people: list, org: Organisation) -> list[Outcome]:
    """A leader signs up members of her organisation for one shift: each one as sign_up_many says."""
    return [_try(actor, shift, person, org) for person in people]


def cancel_signup(actor, signup: Signup) -> Signup:
    """Until 48 hours before the start: cancelled. After that, until the start: released ("my day off was
    cancelled"), with no mark against her. The place goes to the waiting list at once."""
    return let_go(SHIFT_PLACES, actor, signup)


def undo_cancel(actor, signup: Signup) -> Signup:
    """Within minutes of giving it back, the place is hers again if nobody has it (capacity.take_back)."""
    return take_back(SHIFT_PLACES, actor, signup)


def join_waitlist(actor, shift: Shift, person, org: Organisation | None = None) -> ShiftWait:
    return wait_for(SHIFT_PLACES, actor, shift, person, org)


def leave_waitlist(actor, entry: ShiftWait) -> ShiftWait:
    return stop_waiting(SHIFT_PLACES, actor, entry)


def accept_offer(actor, entry: ShiftWait) -> Signup:
    """She takes the place held for her (counted when it was offered), if she is free at that time."""
    return take_offer(SHIFT_PLACES, actor, entry)


def position(entry: ShiftWait) -> int:
    return places_position(SHIFT_PLACES, entry)


def apply_expired_offers(shift_id: int | None = None) -> int:
    return pass_expired(SHIFT_PLACES, shift_id)


def expire_offers_job() -> str | None:
    n = apply_expired_offers()
    return f"Campaigns: {n} expired offers passed on." if n else None
