"""portal/capacity.py on its own: places taken, freed, offered and passed on, through the trainings' seats
(`SEATS`), as the campaigns' shift places and the shelter beds will use it."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal import capacity
from portal.capacity import WaitState
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.trainings.models import WaitlistEntry
from portal.trainings.services import SessionFull
from portal.trainings.services.places import SEATS
from tests.factories import SessionFactory, UserFactory


def _waiting(ts, n):
    people = [UserFactory() for _ in range(n)]
    for i, p in enumerate(people):
        db.session.add(WaitlistEntry(session_id=ts.id, user_id=p.id, state=WaitState.WAITING))
        db.session.flush()
    db.session.commit()
    return people


def test_places_are_taken_until_none_is_left(app):
    ts = SessionFactory(capacity=2)
    for _ in range(2):
        capacity.take(SEATS, capacity.lock(SEATS, ts.id))
        db.session.commit()
    row = capacity.lock(SEATS, ts.id)
    with pytest.raises(SessionFull):  # in the domain's words
        capacity.take(SEATS, row)
    db.session.rollback()
    assert db.session.get(type(ts), ts.id).taken == 2


def test_the_database_refuses_an_oversold_row_whatever_runs_above(app):
    ts = SessionFactory(capacity=1, taken=1)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE training_sessions SET taken = taken + 1 WHERE id = :id"), {"id": ts.id})
        db.session.commit()
    db.session.rollback()


def test_a_freed_place_goes_to_the_first_in_line_as_an_offer(app):
    ts = SessionFactory(capacity=1, taken=1)
    first, second = _waiting(ts, 2)
    row = capacity.lock(SEATS, ts.id)
    offered = capacity.free(SEATS, row)
    db.session.commit()
    assert offered.user_id == first.id and offered.state == WaitState.OFFERED
    assert db.session.get(type(ts), ts.id).taken == 1  # the place is held for her
    assert db.session.scalars(select(OutboxMessage.kind)).all() == ["seat_offered"]
    # Her offer expires: it passes to the next in line, still held.
    with time_machine.travel(offered.offer_expires_at + timedelta(minutes=1)):
        assert capacity.expire_offers(SEATS, capacity.lock(SEATS, ts.id)) == 1
        db.session.commit()
    states = dict(db.session.execute(select(WaitlistEntry.user_id, WaitlistEntry.state)).all())
    assert states == {first.id: WaitState.EXPIRED, second.id: WaitState.OFFERED}


def test_a_freed_place_with_no_one_waiting_is_counted_free(app):
    ts = SessionFactory(capacity=3, taken=2)
    assert capacity.free(SEATS, capacity.lock(SEATS, ts.id)) is None
    db.session.commit()
    assert db.session.get(type(ts), ts.id).taken == 1


def test_more_places_go_to_the_waiting_list_at_once(app):
    ts = SessionFactory(capacity=1, taken=1)
    _waiting(ts, 3)
    row = capacity.lock(SEATS, ts.id)
    row.capacity = 3
    db.session.flush()
    capacity.fill(SEATS, row)
    db.session.commit()
    assert db.session.get(type(ts), ts.id).taken == 3
    assert capacity.waiting(SEATS, db.session.get(type(ts), ts.id)) == 1


def test_an_offer_is_held_48_hours_less_as_the_start_nears_never_past_it(app):
    from portal.clock import utcnow
    now = utcnow()
    assert capacity.offer_deadline(now + timedelta(days=7), now) - now == timedelta(hours=48)
    assert capacity.offer_deadline(now + timedelta(hours=10), now) - now == timedelta(hours=5)
    assert capacity.offer_deadline(now + timedelta(minutes=30), now) == now + timedelta(minutes=30)


def test_an_offer_made_in_the_quiet_hours_is_held_from_eight(app):
    """Its message waits until 08:00 (notifications.services.quiet_hours): so does the clock of the hold."""
    from datetime import datetime

    from portal.clock import HK
    app.config["QUIET_HOURS"] = (21, 8)
    night, eight = datetime(2026, 12, 5, 22, 30, tzinfo=HK), datetime(2026, 12, 6, 8, 0, tzinfo=HK)
    assert capacity.offer_deadline(night + timedelta(days=7), night) == eight + timedelta(hours=48)
    assert capacity.offer_deadline(eight + timedelta(hours=10), night) == eight + timedelta(hours=5)
    early = datetime(2026, 12, 6, 7, 0, tzinfo=HK)  # starts before she can hear of it: held until the start
    assert capacity.offer_deadline(early, night) == early
    day = datetime(2026, 12, 6, 12, 0, tzinfo=HK)
    assert capacity.offer_deadline(day + timedelta(days=7), day) == day + timedelta(hours=48)


def test_locking_refuses_to_commit_a_callers_half_done_change(app):
    ts = SessionFactory()
    ts.venue = "changed but not saved"
    with pytest.raises(RuntimeError):
        capacity.lock(SEATS, ts.id)
    db.session.rollback()
