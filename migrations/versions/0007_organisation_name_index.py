"""index for finding organisations by a part of their name (trigrams on PostgreSQL)

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Declared in portal/organisations/models.py, where the reasons are.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_organisations_name_lower ON organisations USING gin (lower(name) gin_trgm_ops)")
    else:
        op.execute("CREATE INDEX ix_organisations_name_lower ON organisations (lower(name))")


def downgrade():
    op.drop_index("ix_organisations_name_lower", table_name="organisations")
