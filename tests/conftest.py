"""Fixtures: one app per test on each database, emptied after each test.

SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (.ci/run sets it).
The schema is made by the migrations, once per database per run.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, make_url, text

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
_TMP = Path(tempfile.mkdtemp(prefix="portal-tests-"))
# Under pytest-xdist (`make test` runs two processes) each worker has its own PostgreSQL database.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def database_url(name: str) -> str:
    if name == "postgresql":
        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", os.environ["TEST_DATABASE_URL"])
        return _worker_database(url) if WORKER else url
    return f"sqlite:///{_TMP / 'test.db'}"


def _worker_database(url: str) -> str:
    """`test` becomes `test_gw0`, `test_gw1`...: made on first use, next to the one CI provides."""
    base = make_url(url)
    name = f"{base.database}_{WORKER}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgresql(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database(request):
    """A migrated, empty database: the URL."""
    name = request.param
    url = database_url(name)
    if name == "postgresql":
        _reset_postgresql(url)
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()
    return url


class MemoryBytecodeCache(BytecodeCache):
    """Templates compiled once per test run, not once per test's app."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = MemoryBytecodeCache()


def make_app(url: str, **overrides):
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url, **overrides))
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    return app


def empty_tables():
    """Every table emptied between tests: the audit log too, with its guard against deletion (a trigger the
    app cannot pass) set aside for the moment, as the database's owner may."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    else:
        guards = db.session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")).all()
        for name, _sql in guards:
            db.session.execute(text(f"DROP TRIGGER {name}"))
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
        for _name, sql in guards:
            db.session.execute(text(sql))
    db.session.commit()


class Client(FlaskClient):
    """The test's app context is reused by each request (Flask pushes none of its own when one is
    active), so `g` would carry the signed-in user and the CSRF token from one request into the
    next: empty it, as a new request would find it."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database):
    app = make_app(database)
    app.test_client_class = Client
    from portal.notifications.services import MemorySender
    app.extensions["outbox.sender"] = MemorySender()
    with app.app_context():
        yield app
        db.session.remove()
        empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def crowd_app(database):
    """An app whose pool has a connection for each of 50 people acting at once (tests.helpers.at_once)."""
    app = make_app(database, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 55, "max_overflow": 0, "pool_timeout": 60})
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sent(app):
    """Messages the outbox sender sent, after send_pending()."""
    return app.extensions["outbox.sender"].sent


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count, self.statements = engine, 0, []

    def _count(self, conn, cursor, statement, *args):
        self.count += 1
        self.statements.append(statement)

    def __enter__(self):
        db.session.remove()  # a real request starts with an empty session, not the test's identity map
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(db.engine)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session):
    """Under `--dist loadgroup` pytest-xdist marks each grouped test by adding "@group" to its id; with
    pytest 9.2 that silently stopped working (pytest-xdist issue #1386), the crowd test then ran in both
    processes at once, and 110 connections to PostgreSQL, which allows 100, broke it. Fail loudly instead."""
    if getattr(session.config.option, "loadgroup", False):
        lost = [item.nodeid for item in session.items
                if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
        if lost:
            pytest.exit(f"pytest-xdist did not group {len(lost)} tests (first: {lost[0]}); "
                                    "check the pytest and pytest-xdist versions in pyproject.toml", returncode=4)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`make test`), the browser tests and the crowd test (50 threads booking at
    once) keep to one process, one after the other: Chromium next to the crowd starved it of CPU."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.xdist_group("heavy"))
