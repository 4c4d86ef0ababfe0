"""SQLite under writers at once: reading first and then writing must wait its turn, never fail.

A transaction that SQLite began DEFERRED reads from a snapshot; when it then writes after another
connection has committed, SQLite answers "database is locked" at once (SQLITE_BUSY_SNAPSHOT) and the busy
timeout does not help: on SQLite, a burst of reset attempts gave 500s. portal/web/sqlite.py now begins a
transaction at its first write, with BEGIN IMMEDIATE, so the write waits for the lock instead.
"""
import threading

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from tests.factories import UserFactory


def test_people_saving_at_the_same_moment_all_succeed(app, database):
    if not database.startswith("sqlite"):
        pytest.skip("PostgreSQL's READ COMMITTED never had this fault")
    ids = [UserFactory().id for _ in range(6)]
    db.session.remove()
    barrier = threading.Barrier(len(ids), timeout=10)
    errors = []

    def read_then_write(user_id):
        with app.app_context():
            try:
                user = db.session.scalar(select(User).where(User.id == user_id))  # a read first
                barrier.wait()  # every one has read before any writes
                user.name = f"Renamed {user_id}"
                db.session.commit()
            except Exception as e:  # any failure is the finding
                errors.append(f"{type(e).__name__}: {e}")
            finally:
                db.session.remove()
    threads = [threading.Thread(target=read_then_write, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(db.session.scalars(select(User.name)).all()) == sorted(f"Renamed {i}" for i in ids)


def test_a_member_leaving_while_her_leader_accepts_her_ends_one_way(app, database):
    """The same row changed by two people at once: one change wins, the other is told (no 500), and never
    both (before, on SQLite, both were saved: she had left, and was accepted, and her leader kept rights)."""
    from portal.audit import AuditLog
    from portal.organisations import services
    from portal.organisations.models import Membership, MemberState
    from portal.web import DomainError
    from tests.factories import MembershipFactory, OrganisationFactory
    org = OrganisationFactory()
    m = MembershipFactory(organisation=org, state=MemberState.PENDING)
    ids = {"leader": org.created_by.id, "member": m.user_id, "m": m.id}
    db.session.remove()
    barrier = threading.Barrier(2, timeout=10)
    outcomes = []

    def act(who):
        with app.app_context():
            try:
                membership = db.session.get(Membership, ids["m"])
                actor = db.session.get(User, ids[who])
                membership.organisation, membership.user  # noqa: B018  (loaded before the race)
                barrier.wait()
                if who == "leader":
                    services.accept_member(actor, membership)
                else:
                    services.remove_member(actor, membership)
                outcomes.append((who, "done"))
            except DomainError:
                db.session.rollback()
                outcomes.append((who, "told"))
            except Exception as e:  # any other failure is the finding
                outcomes.append((who, type(e).__name__))
            finally:
                db.session.remove()
    for _ in range(5):
        outcomes.clear()
        threads = [threading.Thread(target=act, args=(w,)) for w in ("leader", "member")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(o for _, o in outcomes) == ["done", "told"], outcomes
        state = db.session.scalar(select(Membership.state).where(Membership.id == ids["m"]))
        winner = next(w for w, o in outcomes if o == "done")
        assert state == (MemberState.ACTIVE if winner == "leader" else MemberState.REMOVED)
        db.session.execute(Membership.__table__.update().where(Membership.id == ids["m"])
                           .values(state=MemberState.PENDING))
        db.session.commit()
    changes = db.session.scalar(select(db.func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "memberships", AuditLog.action.in_(["membership.accepted", "membership.left"])))
    assert changes == 5
