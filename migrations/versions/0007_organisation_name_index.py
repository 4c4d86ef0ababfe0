"""index for finding organisations by a part of their name (trigrams on PostgreSQL)

Revision ID: 0007
Revises: 0006
"""
import logging

from alembic import op
from sqlalchemy import text

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Declared in portal/organisations/models.py, where the reasons are.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _trigrams(bind):
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_organisations_name_lower ON organisations USING gin (lower(name) gin_trgm_ops)")
    else:
        op.execute("CREATE INDEX ix_organisations_name_lower ON organisations (lower(name))")


def _trigrams(bind) -> bool:
    """pg_trgm is there, or may be made here (PostgreSQL 13+ lets a role with CREATE on the database make
    this trusted extension). If not, an ordinary index: the staff's search still works, only slower."""
    if bind.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    if bind.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")) and bind.scalar(text(
            "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            " OR (current_setting('server_version_num')::int >= 130000"
            "     AND has_database_privilege(current_user, current_database(), 'CREATE'))")):
        return True
    logging.getLogger("alembic").warning(
        "pg_trgm cannot be created by this role: organisations get an ordinary index on lower(name); "
        "ask the database's administrator to run CREATE EXTENSION pg_trgm, then recreate the index")
    return False


def downgrade():
    op.drop_index("ix_organisations_name_lower", table_name="organisations")
