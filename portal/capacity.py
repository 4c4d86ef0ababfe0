"""Places that must never be oversold: training seats today, campaign shift places and shelter beds next.

A domain describes its places once (`Places`: the row that offers them, its waiting list, what to tell
people) and takes, frees and offers them only through this module, in the spirit of pretix's locking.

What it guarantees:
1. **Never more taken than there are.** The count lives in the row that offers the places (`taken`,
   beside `capacity`). It changes only inside a transaction that first locks that row (`lock()`: BEGIN
   IMMEDIATE on SQLite, SELECT ... FOR UPDATE on PostgreSQL), and only by a conditional UPDATE
   (`taken = taken + 1 WHERE taken < capacity`); the domain's table also has a CHECK constraint
   (0 <= taken <= capacity), so the database refuses an oversold row whatever runs above it.
2. **Freed places go to the waiting list, in the same transaction.** A place freed while people wait is
   offered to the first in line (`free()`), held for her until a deadline (`offer_deadline()`: 48 hours,
   less as the start nears, at least an hour, never past the start); an offer that expired passes to the
   next (`expire_offers()`), which the domain calls whenever it locks the row, and the worker every round.
3. **One outcome for tries at once.** Everything between `lock()` and the commit is serialised per row.

How it is tested: tests/test_capacity.py takes and frees places of the trainings through this module
alone; tests/test_trainings_services.py sends 50 threads, each on its own connection, at one session of
10 seats, 20 rounds on each database (exactly 10 booked, 40 waiting, every time); bench/overbook.py sends
500 bookings over HTTP (10 of 10 booked).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Callable

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from portal.clock import aware, utcnow
from portal.extensions import db
from portal.web import DomainError, StateChanged

OFFER_HOLD = timedelta(hours=48)
MIN_OFFER_HOLD = timedelta(hours=1)


class WaitState(StrEnum):
    """A place on a waiting list (any domain's)."""
    WAITING = "waiting"
    OFFERED = "offered"     # a place is held for her until offer_expires_at
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    LEFT = "left"


# The one place that says which changes of a waiting-list entry are allowed (entry.can()).
WAIT_TRANSITIONS = {
    WaitState.WAITING: {WaitState.OFFERED, WaitState.LEFT},
    WaitState.OFFERED: {WaitState.ACCEPTED, WaitState.EXPIRED, WaitState.LEFT},
    WaitState.ACCEPTED: set(),
    WaitState.EXPIRED: {WaitState.WAITING},
    WaitState.LEFT: {WaitState.WAITING},
}


@dataclass(frozen=True)
class Places:
    """One kind of limited place, as a domain describes it.

    row: the model that offers the places (columns id, capacity, taken, starts_at).
    entry: its waiting list's model (state, joined_at, offer_expires_at, and `parent`, the row's id);
      its `can(to)` asks WAIT_TRANSITIONS.
    full: the DomainError to raise when no place is left (in the domain's words).
    still_offered: whether a freed place of this row may still be offered (not cancelled, not past).
    offered, expired: what to record and whom to tell, in the caller's transaction, when a place is
      offered to `entry`, or an offer to `entry` has expired.
    """
    row: type
    entry: type
    parent: str
    full: type[DomainError]
    still_offered: Callable[[object], bool]
    offered: Callable[[object, object], None]
    expired: Callable[[object, object], None]

    @property
    def _parent(self):
        return getattr(self.entry, self.parent)


def lock(places: Places, row_id: int):
    """Begin the transaction that may change this row's places, and return the row, read afresh. It commits
    the request's reads first, so it refuses to run over a change the caller has not committed (pending,
    or already flushed: reading an attribute flushes)."""
    session = db.session()
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        raise RuntimeError("capacity.lock() must begin the transaction: uncommitted changes are pending")
    db.session.commit()  # end the request's reads, so that the next transaction begins as asked
    db.session.connection(execution_options={"sqlite_immediate": True})
    row = db.session.scalar(select(places.row).where(places.row.id == row_id)
                            .with_for_update(of=places.row).execution_options(populate_existing=True))
    if row is None:
        raise StateChanged()
    return row


_WROTE = "portal.capacity.wrote"


@event.listens_for(Session, "after_flush")
def _wrote(session, _context):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _ended(session):
    session.info.pop(_WROTE, None)


def take(places: Places, row) -> None:
    """One place, or `places.full` (and nothing changes)."""
    model = places.row
    taken = db.session.execute(update(model).where(model.id == row.id, model.taken < model.capacity)
                               .values(taken=model.taken + 1)).rowcount
    if not taken:
        raise places.full()
    db.session.refresh(row)


def free(places: Places, row) -> object | None:
    """A place is free: the first in line gets an offer that holds it (returned); else the count goes down."""
    nxt = None
    if places.still_offered(row):
        nxt = db.session.scalar(select(places.entry).where(
            places._parent == row.id, places.entry.state == WaitState.WAITING)
            .order_by(places.entry.joined_at, places.entry.id).limit(1))
    if nxt is None:
        model = places.row
        db.session.execute(update(model).where(model.id == row.id, model.taken > 0).values(taken=model.taken - 1))
        return None
    if not nxt.can(WaitState.OFFERED):
        raise StateChanged()
    nxt.state = WaitState.OFFERED
    nxt.offer_expires_at = offer_deadline(row.starts_at, utcnow())
    places.offered(nxt, row)
    return nxt


def fill(places: Places, row) -> None:
    """Places free while people wait (more were added): each goes to the next in line as an offer."""
    while row.taken < row.capacity and waiting(places, row) > 0:
        take(places, row)
        free(places, row)  # the place just taken is offered to the first in line


def expire_offers(places: Places, row) -> int:
    """Pass on every offer of this row whose time is over; returns how many."""
    n = 0
    now = utcnow()
    while True:
        expired = db.session.scalars(select(places.entry).where(
            places._parent == row.id, places.entry.state == WaitState.OFFERED,
            places.entry.offer_expires_at < now)).all()
        if not expired:
            return n
        for entry in expired:
            if not entry.can(WaitState.EXPIRED):
                raise StateChanged()
            entry.state, entry.offer_expires_at = WaitState.EXPIRED, None
            places.expired(entry, row)
            n += 1
            free(places, row)
        db.session.flush()


def waiting(places: Places, row) -> int:
    return db.session.scalar(select(func.count()).select_from(places.entry).where(
        places._parent == row.id, places.entry.state == WaitState.WAITING))


def offer_deadline(starts_at: datetime, now: datetime) -> datetime:
    """48 hours, shorter as the start nears (half the time left, at least an hour), never past the start."""
    left = aware(starts_at) - now
    hold = min(OFFER_HOLD, max(left / 2, MIN_OFFER_HOLD))
    return min(now + hold, aware(starts_at))
