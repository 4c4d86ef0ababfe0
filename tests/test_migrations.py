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
