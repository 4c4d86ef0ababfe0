"""The migrations make exactly the schema the models describe, on each database."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, text

from portal.extensions import db


# SQLite's reflection cannot read an index on an expression (lower(name)): SQLAlchemy and alembic say so and
# leave it out of the comparison; the test below checks that such indexes exist at least by name.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert not diff, f"models and migrations differ; write a migration: {diff}"


def test_the_migrations_make_the_indexes_on_expressions(app):
    wanted = {ix.name for table in db.metadata.tables.values() for ix in table.indexes
              if any(not isinstance(e, Column) for e in ix.expressions)}
    assert "ix_organisations_name_lower" in wanted
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            made = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'")))
        else:
            made = set(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")))
    assert wanted <= made


def test_every_migration_runs_on_a_database_that_holds_rows(tmp_path):
    """The migrations after the first run on a database with people, their audit rows and their messages, as a
    deployment's is. On SQLite, a "batch" change of a table rebuilds it: rebuilding users set the audit rows'
    actor to NULL on the way, which the append-only audit log refuses (0011 failed so on a copy of the bench
    database, and passed on the empty one the other tests migrate)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import create_engine

    from portal import create_app
    from portal.config import TestConfig
    url = f"sqlite:///{tmp_path / 'rows.db'}"
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade(revision="0001")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, name, phone, password_hash, locale, is_enabled, auth_version, created_at) "
                              "VALUES (1, 'Ana', '+85251234567', 'x', 'fil', 1, 1, '2026-11-01 10:00:00')"))
            conn.execute(text("INSERT INTO audit_log (actor_id, action, entity_type, entity_id, at) "
                              "VALUES (1, 'user.registered', 'users', 1, '2026-11-01 10:00:00')"))
            conn.execute(text("INSERT INTO outbox (user_id, channel, to_address, locale, kind, subject, body, "
                              "created_at, sent_at, attempts) VALUES (1, 'sms', '+85251234567', 'fil', "
                              "'org_approved', 's', 'b', '2026-11-01 10:00:00', '2026-11-01 10:01:00', 1)"))
        upgrade()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name, phone_confirmed_at, discreet FROM users")).all() == [
                ("Ana", None, 0)]
            assert conn.execute(text("SELECT actor_id FROM audit_log")).scalar() == 1
            assert conn.execute(text("SELECT status FROM outbox")).scalar() == "sent"
        downgrade(revision="0001")  # and back, with the rows still there
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log WHERE actor_id = 1")).scalar() == 1
        engine.dispose()
        db.engine.dispose()
