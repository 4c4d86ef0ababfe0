"""The waiting list: joining, leaving, taking an offered seat (portal/capacity.py's wait_for, stop_waiting and
take_offer with the trainings' rules in `places.SEATS`), her place in the line; expired offers."""
from __future__ import annotations

from portal.accounts.models import User
from portal.capacity import pass_expired, stop_waiting, take_offer, wait_for
from portal.capacity import position as places_position
from portal.organisations.models import Organisation
from portal.trainings.models import Booking, TrainingSession, WaitlistEntry
from portal.trainings.services.places import SEATS


def join_waitlist(actor, ts: TrainingSession, person: User, org: Organisation | None = None) -> WaitlistEntry:
    return wait_for(SEATS, actor, ts, person, org)


def leave_waitlist(actor, entry: WaitlistEntry) -> WaitlistEntry:
    return stop_waiting(SEATS, actor, entry)


def accept_offer(actor, entry: WaitlistEntry) -> Booking:
    """She takes the seat held for her: the seat was counted when it was offered."""
    return take_offer(SEATS, actor, entry)


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
