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
    with op.batch_alter_table('password_reset_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=10), server_default='reset', nullable=False))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('discreet', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), server_default='queued', nullable=False))
        batch_op.add_column(sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('provider_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_provider_id'), ['provider_id'], unique=False)
    op.execute("UPDATE outbox SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.execute("UPDATE outbox SET status = 'failed' WHERE sent_at IS NULL AND attempts >= 5")


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_provider_id'))
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('provider_id')
        batch_op.drop_column('next_try_at')
        batch_op.drop_column('status')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('discreet')
        batch_op.drop_column('phone_confirmed_at')
    with op.batch_alter_table('password_reset_codes', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('purpose')
