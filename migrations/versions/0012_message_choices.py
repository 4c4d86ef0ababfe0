"""Her choices of how messages reach her (issue 15): per topic a channel or none (message_choices), and the day
she agreed to WhatsApp (users.whatsapp_since). The campaigns' own choice (users.campaign_channel) becomes her
choice for the topic "campaigns". A WhatsApp message keeps its template and parameters (outbox.template).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'message_choices',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_choices_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'topic', name=op.f('pk_message_choices')),
    )
    op.execute("INSERT INTO message_choices (user_id, topic, channel) "
               "SELECT id, 'campaigns', campaign_channel FROM users WHERE campaign_channel IS NOT NULL")
    # Plain ALTER TABLE, never a batch rebuild of users (the append-only audit log refuses it: see 0011).
    op.drop_column('users', 'campaign_channel')
    op.add_column('users', sa.Column('whatsapp_since', sa.DateTime(timezone=True), nullable=True))
    op.add_column('outbox', sa.Column('template', sa.Text(), nullable=True))


def downgrade():
    op.drop_column('outbox', 'template')
    op.drop_column('users', 'whatsapp_since')
    op.add_column('users', sa.Column('campaign_channel', sa.String(length=10), nullable=True))
    # What the campaigns' choice could hold then: SMS, e-mail or none (WhatsApp becomes the usual way).
    op.execute("UPDATE users SET campaign_channel = (SELECT channel FROM message_choices WHERE "
               "message_choices.user_id = users.id AND topic = 'campaigns' AND channel IN ('sms', 'email', 'none'))")
    op.drop_table('message_choices')
