"""Messages that arrive (issue 15). A number is hers once she types back a code sent to it:
users.phone_confirmed_at, and the one-time codes (the password reset's table) gain a purpose and the number
a code was sent to. The outbox records what became of each message: its status (queued, sent, delivered,
failed), when to try again after a temporary failure, and the gateway's id for it (its status callback
names the message by it). users.discreet: her messages and calendar say nothing of what they are about.

Numbers given before this are not confirmed: no one proved them. Their owners are asked to confirm on their
account page and home page; until then messages go to their e-mail, if any, and none to the number.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN, never a "batch" rebuild: on SQLite a rebuild of users would set the
    # audit rows' actor to NULL on the way, which the append-only audit log refuses (tests/test_migrations).
    op.add_column('password_reset_codes', sa.Column('purpose', sa.String(length=10), server_default='reset',
                                                    nullable=False))
    op.add_column('password_reset_codes', sa.Column('phone', sa.String(length=20), nullable=True))
    op.add_column('users', sa.Column('phone_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('discreet', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('outbox', sa.Column('status', sa.String(length=12), server_default='queued', nullable=False))
    op.add_column('outbox', sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('outbox', sa.Column('provider_id', sa.String(length=64), nullable=True))
    op.add_column('outbox', sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_outbox_provider_id'), 'outbox', ['provider_id'], unique=False)
    op.execute("UPDATE outbox SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.execute("UPDATE outbox SET status = 'failed' WHERE sent_at IS NULL AND attempts >= 5")


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), for the same reason.
    op.drop_index(op.f('ix_outbox_provider_id'), table_name='outbox')
    for column in ('delivered_at', 'provider_id', 'next_try_at', 'status'):
        op.drop_column('outbox', column)
    for column in ('discreet', 'phone_confirmed_at'):
        op.drop_column('users', column)
    for column in ('phone', 'purpose'):
        op.drop_column('password_reset_codes', column)
