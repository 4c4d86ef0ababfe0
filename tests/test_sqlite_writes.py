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
