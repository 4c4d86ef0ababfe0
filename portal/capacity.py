"""Places that must never be oversold: training seats, campaign shift places, shelter beds.

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
4. **One way to hold a place.** A held place is a row of the domain's `holder` model (a booking, a
   sign-up; columns of `HeldPlace`) whose state moves along PLACE_TRANSITIONS: `claim()` a place for
   someone, `give_back()` (cancelled, or released: "my day off was cancelled"), `walk_in()`; the waiting
   list's `queue_up()`, `step_out()`, `accept()`, and `pass_expired()` for offers whose time is over.
5. **One way to act on a place.** `hold_for()`, `hold_or_wait()`, `let_go()`, `take_back()`, `wait_for()`,
   `stop_waiting()` and `take_offer()` are a person's whole actions (who may, the lock, the row's rules,
   a place elsewhere at that time, the change, its audit row, her message), with the domain's rules given
   in its `Places` (trainings: `trainings/services/places.SEATS`; campaigns:
   `campaigns/services/places.SHIFT_PLACES`). A domain keeps only what is its own.

How it is tested: tests/test_capacity.py takes and frees places of the trainings through this module
alone; tests/test_trainings_services.py sends 50 threads, each on its own connection, at one session of
10 seats, and tests/test_campaigns_services.py 50 at one shift of 8, 20 rounds each on each database
(exactly 10 booked and 40 waiting, 8 signed up and 42 waiting, every time); bench/overbook.py sends
500 bookings over HTTP (10 of 10 booked).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, String, event, func, select, update
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship

from portal.audit import record
from portal.clock import UTCDateTime, aware, utcnow
from portal.extensions import db
from portal.web import DomainError, NotAllowed, StateChanged

OFFER_HOLD = timedelta(hours=48)
MIN_OFFER_HOLD = timedelta(hours=1)
# A place given back can be taken back this long after, if it is still free (a tap she regrets).
UNDO_WINDOW = timedelta(minutes=10)


class PlaceGone(DomainError):
    message = _l("Your place can no longer be taken back: it has gone to the next person waiting. "
                 "You can join the waiting list.")


class UndoTooLate(DomainError):
    message = _l("The minutes to change your mind have passed. Book again if a place is free.")


class PlaceState(StrEnum):
    """A held place (a training's booking, a shift's sign-up)."""
    BOOKED = "booked"
    CANCELLED = "cancelled"   # given back before the deadline
    RELEASED = "released"     # "my day off was cancelled": after the deadline, no mark against her
    ATTENDED = "attended"
    NO_SHOW = "no_show"


# The one place that says how a held place may change (holder.can()).
PLACE_TRANSITIONS = {
    PlaceState.BOOKED: {PlaceState.CANCELLED, PlaceState.RELEASED, PlaceState.ATTENDED, PlaceState.NO_SHOW},
    PlaceState.CANCELLED: {PlaceState.BOOKED},
    PlaceState.RELEASED: {PlaceState.BOOKED},
    PlaceState.ATTENDED: {PlaceState.NO_SHOW},
    PlaceState.NO_SHOW: {PlaceState.ATTENDED},
}
HOLDS_PLACE = frozenset({PlaceState.BOOKED, PlaceState.ATTENDED, PlaceState.NO_SHOW})


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


class RowState(StrEnum):
    """A row that offers places (a training's session, a campaign's shift)."""
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


ROW_TRANSITIONS = {RowState.SCHEDULED: {RowState.CANCELLED}, RowState.CANCELLED: set()}


class OffersPlaces:
    """The columns of a row that offers places, mixed into the domain's model (which adds its CHECK constraint
    0 <= taken <= capacity): how many, how many taken (changed only here, by conditional updates), when."""
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def is_past(self) -> bool:
        return self.starts_at <= utcnow()


class HeldPlace:
    """The columns of a held place (a booking, a sign-up), one per person and row: mixed into the domain's
    model beside its `parent` column (the row's id) and `TRANSITIONS = PLACE_TRANSITIONS`."""
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Through which organisation it was taken (a leader for her member), if any: her leader's rights end
    # with the membership.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        index=True)
    state: Mapped[str] = mapped_column(String(20), default=PlaceState.BOOKED, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def user(cls):
        return relationship("User", foreign_keys=[cls.user_id], lazy="joined")

    @property
    def active(self) -> bool:
        return self.state in HOLDS_PLACE

    @property
    def undo_until(self) -> datetime | None:
        """Until when she may take back the place she has just given back (`take_back()`), or None."""
        if self.state in (PlaceState.CANCELLED, PlaceState.RELEASED) and self.changed_at is not None:
            until = aware(self.changed_at) + UNDO_WINDOW
            return until if until > utcnow() else None
        return None


class WaitingPlace:
    """The columns of a place on a waiting list, mixed in beside the `parent` column and
    `TRANSITIONS = WAIT_TRANSITIONS`."""
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default=WaitState.WAITING, index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @declared_attr
    def user(cls):
        return relationship("User", lazy="joined")


@dataclass(frozen=True)
class Places:
    """One kind of limited place, as a domain describes it.

    row: the model that offers the places (columns id, capacity, taken, starts_at).
    entry: its waiting list's model (user_id, state, joined_at, offer_expires_at, and `parent`, the row's
      id); its `can(to)` asks WAIT_TRANSITIONS.
    holder: the model of a held place (user_id, state, and `parent`), one per person and row; its
      `can(to)` asks PLACE_TRANSITIONS. None where places are held otherwise (a shelter's beds).
    already, already_waiting, not_full, offer_gone: the DomainErrors, in the domain's words, for a person
      who holds a place already, waits already, asks to wait while places are free, answers an offer gone.
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
    holder: type | None = None
    already: type[DomainError] = DomainError
    already_waiting: type[DomainError] = DomainError
    not_full: type[DomainError] = DomainError
    offer_gone: type[DomainError] = StateChanged
    # A domain that lets people take places through the actions below (hold_for, let_go, wait_for, stop_waiting,
    # take_offer) says its own rules here:
    holding: str = ""         # the audit name of a held place ("booking"), and of a place in line ("waitlist")
    waiting_as: str = ""
    by: str = ""              # the holder's column for who took the place (herself, her leader, staff)
    may_take: Callable | None = None    # (actor, person_id, org) -> bool: may take a place for her
    may_change: Callable | None = None  # (actor, person_id, org_id) -> bool: may change her place
    check: Callable | None = None       # (row, person, org, waiting) -> None, or a DomainError: the row's rules
    clash: Callable | None = None       # (row, person) -> None, or a DomainError: a place elsewhere then
    confirmed: Callable | None = None   # (person, row): her message that the place is hers
    queued: Callable | None = None      # (entry, row, number): her message that someone else put her in line
    late: Callable | None = None        # (row) -> bool: giving it back now is a release, no mark against her
    started: type[DomainError] = StateChanged  # the row has begun: a held place can no longer be given back

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


# --- held places and the waiting list, for domains with a `holder` ---

def held(places: Places, row_id: int, person_id: int):
    """Her holder row for this row (any state), or None."""
    return db.session.scalar(select(places.holder).where(getattr(places.holder, places.parent) == row_id,
                                                         places.holder.user_id == person_id))


def claim(places: Places, row, person_id: int, *, over: bool = False):
    """A place for her (`row` locked): her holder row, new or back to BOOKED. Refused (`places.already`) if
    she holds one; `places.full` if none is left, or if people wait (freed places go to them, as offers).
    `over`: a walk-in the room has space for: one place is added when none is left."""
    holder = held(places, row.id, person_id)
    if holder is not None and holder.state in HOLDS_PLACE:
        raise places.already()
    if not over and waiting(places, row) > 0:
        raise places.full()
    if over and row.taken >= row.capacity:
        model = places.row
        db.session.execute(update(model).where(model.id == row.id).values(capacity=model.capacity + 1))
    take(places, row)
    return _hold(places, holder, row.id, person_id)


def _hold(places: Places, holder, row_id: int, person_id: int):
    if holder is None:
        holder = places.holder(user_id=person_id, state=PlaceState.BOOKED, **{places.parent: row_id})
        db.session.add(holder)
    else:
        holder.move(PlaceState.BOOKED)
    return holder


def walk_in(places: Places, row, person_id: int, *, over: bool = False):
    """Someone who came without a place: a place taken for her (beyond the places with `over`), attended."""
    holder = claim(places, row, person_id, over=over)
    holder.move(PlaceState.ATTENDED)
    return holder


def give_back(places: Places, row, holder, *, released: bool):
    """She gives her place back (`row` locked): cancelled, or released when the domain says so (after the
    deadline: "my day off was cancelled", no mark against her). The place goes to the waiting list."""
    holder.move(PlaceState.RELEASED if released else PlaceState.CANCELLED)
    return free(places, row)


def queue_up(places: Places, row, person_id: int):
    """Her place at the end of the waiting list (`row` locked), when no place is free for her."""
    holder = held(places, row.id, person_id)
    if holder is not None and holder.state in HOLDS_PLACE:
        raise places.already()
    if row.taken < row.capacity and waiting(places, row) == 0:
        raise places.not_full()
    entry = db.session.scalar(select(places.entry).where(places._parent == row.id,
                                                         places.entry.user_id == person_id))
    if entry is None:
        entry = places.entry(user_id=person_id, state=WaitState.WAITING, **{places.parent: row.id})
        db.session.add(entry)
    elif entry.can(WaitState.WAITING):  # she left, or let an offer pass: back at the end of the line
        entry.move(WaitState.WAITING)
    else:
        raise places.already_waiting()
    entry.joined_at, entry.offer_expires_at = utcnow(), None
    return entry


def step_out(places: Places, row, entry) -> None:
    """She leaves the waiting list (`row` locked); a place held for her goes to the next in line."""
    held_for_her = entry.state == WaitState.OFFERED
    entry.move(WaitState.LEFT)
    entry.offer_expires_at = None
    if held_for_her:
        free(places, row)


def accept(places: Places, row, entry):
    """She takes the place held for her (`row` locked, offers passed on): counted when it was offered."""
    if not entry.can(WaitState.ACCEPTED):
        raise places.offer_gone()
    entry.move(WaitState.ACCEPTED)
    entry.offer_expires_at = None
    return _hold(places, held(places, row.id, entry.user_id), row.id, entry.user_id)


def position(places: Places, entry) -> int:
    """Her place in the line: 1 is next."""
    e = places.entry
    return 1 + db.session.scalar(select(func.count()).select_from(e).where(
        places._parent == getattr(entry, places.parent), e.state == WaitState.WAITING,
        (e.joined_at < entry.joined_at) | ((e.joined_at == entry.joined_at) & (e.id < entry.id))))


def positions(places: Places, entries: list) -> dict[int, int]:
    """`position()` of each listed entry that waits, by entry id, in one query (for a list)."""
    e = places.entry
    rows = sorted({getattr(x, places.parent) for x in entries if x.state == WaitState.WAITING})
    if not rows:
        return {}
    number = func.row_number().over(partition_by=places._parent, order_by=(e.joined_at, e.id))
    ranked = select(e.id, number.label("n")).where(places._parent.in_(rows), e.state == WaitState.WAITING).subquery()
    wanted = [x.id for x in entries if x.state == WaitState.WAITING]
    return dict(db.session.execute(select(ranked.c.id, ranked.c.n).where(ranked.c.id.in_(wanted))).all())


def org_lines(places: Places, org_id: int, members, *, options=()) -> tuple[list, list]:
    """What an organisation's members (`members`: a SELECT of their user ids) hold through it on rows to come,
    for their leader: (held places, soonest first; [(place in line, her number or None when a place is held
    for her)], soonest first). Three queries, whatever the number."""
    h, e, row = places.holder, places.entry, places.row
    now = utcnow()

    def coming(model, states):
        return db.session.scalars(select(model).join(row, getattr(model, places.parent) == row.id).where(
            model.organisation_id == org_id, model.user_id.in_(members), model.state.in_(states),
            row.starts_at > now).options(*options(model)).order_by(row.starts_at).limit(500)).unique().all()
    entries = coming(e, [WaitState.WAITING, WaitState.OFFERED])
    numbers = positions(places, entries)
    return coming(h, [PlaceState.BOOKED]), [(x, numbers.get(x.id)) for x in entries]


def pass_expired(places: Places, row_id: int | None = None) -> int:
    """Pass on every expired offer (of one row, or of all), each row in its own locked transaction. Called
    by the worker's periodic job and whenever a row or its list is read, so an expired offer never blocks a
    place."""
    query = select(places._parent).where(places.entry.state == WaitState.OFFERED,
                                          places.entry.offer_expires_at < utcnow())
    if row_id is not None:
        query = query.where(places._parent == row_id)
    n = 0
    for rid in db.session.scalars(query.distinct()).all():
        n += expire_offers(places, lock(places, rid))
        db.session.commit()
    return n


def concerned(places: Places, row) -> list:
    """The people to tell of a change of time or place: those holding a place (booked) and those a place is
    held for (offered), in that order."""
    booked = db.session.scalars(select(places.holder).where(getattr(places.holder, places.parent) == row.id,
                                                            places.holder.state == PlaceState.BOOKED)
                                .order_by(places.holder.id)).all()
    offered = db.session.scalars(select(places.entry).where(places._parent == row.id,
                                                            places.entry.state == WaitState.OFFERED)
                                 .order_by(places.entry.id)).all()
    return [h.user for h in booked] + [e.user for e in offered]


def close(places: Places, row) -> tuple[list, list]:
    """The row is cancelled (`row` locked): every booked place cancelled, everyone waiting or offered off
    the list, nothing taken. Returns (the holders cancelled, the entries taken off), for the domain to tell."""
    holders = db.session.scalars(select(places.holder).where(getattr(places.holder, places.parent) == row.id,
                                                             places.holder.state == PlaceState.BOOKED)
                                 .order_by(places.holder.id)).all()
    for h in holders:
        h.move(PlaceState.CANCELLED)
    entries = db.session.scalars(select(places.entry).where(
        places._parent == row.id, places.entry.state.in_([WaitState.WAITING, WaitState.OFFERED]))
        .order_by(places.entry.id)).all()
    for e in entries:
        e.move(WaitState.LEFT)
        e.offer_expires_at = None
    db.session.execute(update(places.row).where(places.row.id == row.id).values(taken=0))
    return holders, entries


# --- a person's actions on her place, whole: who may, the lock, the domain's rules, the change, its audit
# row and her message, in one transaction. The domains' services are these with their Places. ---

def hold_for(places: Places, actor, row, person, org=None):
    """A place for `person` (taken by herself, her organisation's leader through `org`, or staff), or
    `places.full` and nothing changes."""
    if not places.may_take(actor, person.id, org):
        raise NotAllowed()
    row = lock(places, row.id)
    expire_offers(places, row)
    places.check(row, person, org, False)
    places.clash(row, person)
    holder = claim(places, row, person.id)
    holder.organisation_id = org.id if org else None
    setattr(holder, places.by, actor.id)
    db.session.flush()
    record(actor, f"{places.holding}.booked", holder, {places.parent: row.id})
    places.confirmed(person, row)
    db.session.commit()
    return holder


def hold_or_wait(places: Places, actor, row, person, org=None) -> tuple[str, object]:
    """A place for her, or, when none is left, her place in line: ("booked", holder), ("waiting", her number
    in line) or ("refused", the reason in her language). For several people or rows in one go."""
    try:
        return "booked", hold_for(places, actor, row, person, org)
    except places.full:
        db.session.rollback()
        try:
            return "waiting", position(places, wait_for(places, actor, row, person, org))
        except DomainError as e:
            db.session.rollback()
            return "refused", str(e.message)
    except DomainError as e:
        db.session.rollback()
        return "refused", str(e.message)


def let_go(places: Places, actor, holder):
    """She gives her place back: cancelled; released when the domain says it is late ("my day off was
    cancelled", no mark against her); refused once the row has begun. The place goes to the waiting list."""
    if not places.may_change(actor, holder.user_id, holder.organisation_id):
        raise NotAllowed()
    row = lock(places, getattr(holder, places.parent))
    db.session.refresh(holder)
    if holder.can(PlaceState.CANCELLED) and row.starts_at <= utcnow():
        raise places.started()
    give_back(places, row, holder, released=places.late(row))  # a place offered on is told by places.offered
    record(actor, f"{places.holding}.{holder.state}", holder, {places.parent: row.id})
    db.session.commit()
    return holder


def take_back(places: Places, actor, holder):
    """She changes her mind within UNDO_WINDOW of giving her place back: hers again, if it is still free
    (not offered to the next in line, not taken), the row still on and not begun, and she holds no other place
    then. The row's booking rules are not asked again (a deadline passed in between does not stop her)."""
    if not places.may_change(actor, holder.user_id, holder.organisation_id):
        raise NotAllowed()
    row = lock(places, getattr(holder, places.parent))
    db.session.refresh(holder)
    if holder.state in HOLDS_PLACE:  # a second tap: it is hers already
        raise StateChanged()
    if holder.undo_until is None:
        raise UndoTooLate()
    if not places.still_offered(row):
        raise StateChanged()
    expire_offers(places, row)
    places.clash(row, holder.user)
    try:
        claim(places, row, holder.user_id)
    except places.full:
        raise PlaceGone() from None
    db.session.flush()
    record(actor, f"{places.holding}.taken_back", holder, {places.parent: row.id})
    db.session.commit()
    return holder


def wait_for(places: Places, actor, row, person, org=None):
    """Her place at the end of the row's waiting list."""
    if not places.may_take(actor, person.id, org):
        raise NotAllowed()
    row = lock(places, row.id)
    expire_offers(places, row)
    places.check(row, person, org, True)
    entry = queue_up(places, row, person.id)
    entry.organisation_id = org.id if org else None
    db.session.flush()
    record(actor, f"{places.waiting_as}.joined", entry, {places.parent: row.id})
    if places.queued and actor.id != person.id:  # her leader (or staff) put her in line: she is told, with her number
        places.queued(entry, row, position(places, entry))
    db.session.commit()
    return entry


def stop_waiting(places: Places, actor, entry):
    if not places.may_change(actor, entry.user_id, entry.organisation_id):
        raise NotAllowed()
    row = lock(places, getattr(entry, places.parent))
    db.session.refresh(entry)
    step_out(places, row, entry)
    record(actor, f"{places.waiting_as}.left", entry, {places.parent: row.id})
    db.session.commit()
    return entry


def take_offer(places: Places, actor, entry):
    """She takes the place held for her (counted when it was offered), if she holds no other then."""
    if not places.may_change(actor, entry.user_id, entry.organisation_id):
        raise NotAllowed()
    row = lock(places, getattr(entry, places.parent))
    expire_offers(places, row)
    db.session.refresh(entry)
    if not entry.can(WaitState.ACCEPTED):
        raise places.offer_gone()
    places.clash(row, entry.user)
    holder = accept(places, row, entry)
    holder.organisation_id = entry.organisation_id
    setattr(holder, places.by, actor.id)
    db.session.flush()
    record(actor, f"{places.waiting_as}.accepted", entry, {places.parent: row.id, places.holding + "_id": holder.id})
    places.confirmed(entry.user, row)
    db.session.commit()
    return holder


def waiting_counts(places: Places, row_ids: list[int]) -> dict[int, int]:
    """How many wait in line for each listed row (one query, for a list of rows)."""
    if not row_ids:
        return {}
    e = places.entry
    return dict(db.session.execute(select(places._parent, func.count()).where(
        places._parent.in_(row_ids), e.state == WaitState.WAITING).group_by(places._parent)).all())


def holdings(places: Places, person_id: int | None, row_ids: list[int]) -> dict[int, str]:
    """What the person holds in each listed row: "booked", "offered" or "waiting" (two queries, for a list)."""
    if person_id is None or not row_ids:
        return {}
    h, e = places.holder, places.entry
    parent = getattr(h, places.parent)
    out = {rid: "booked" for rid in db.session.scalars(select(parent).where(
        h.user_id == person_id, parent.in_(row_ids), h.state.in_(HOLDS_PLACE)))}
    for rid, state in db.session.execute(select(places._parent, e.state).where(
            e.user_id == person_id, places._parent.in_(row_ids), e.state.in_([WaitState.WAITING, WaitState.OFFERED]))):
        out.setdefault(rid, state)
    return out


def waiting(places: Places, row) -> int:
    return db.session.scalar(select(func.count()).select_from(places.entry).where(
        places._parent == row.id, places.entry.state == WaitState.WAITING))


def offer_deadline(starts_at: datetime, now: datetime) -> datetime:
    """48 hours, shorter as the start nears (half the time left, at least an hour), never past the start;
    counted from when the message can reach her: an offer made in the quiet hours is held from 08:00."""
    from portal.notifications.services import heard_from
    told = heard_from(now)
    left = aware(starts_at) - told
    hold = min(OFFER_HOLD, max(left / 2, MIN_OFFER_HOLD))
    return min(told + hold, aware(starts_at))
