"""index for the trainings catalogue: scheduled sessions by start, with the organisation they are for

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # The catalogue reads the next Sundays' sessions and then the rest each in this index's order, and
    # counts them from the index alone (portal/trainings/queries.py, where the index is declared).
    op.create_index("ix_training_sessions_state_starts_at", "training_sessions",
                    ["state", "starts_at", "organisation_id"])


def downgrade():
    op.drop_index("ix_training_sessions_state_starts_at", table_name="training_sessions")
