"""index for the staff queue: organisations by state, oldest first

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    # The queue walks this index and stops after a page, instead of sorting every organisation.
    op.create_index("ix_organisations_state_created", "organisations", ["state", "created_at", "id"])


def downgrade():
    op.drop_index("ix_organisations_state_created", table_name="organisations")
