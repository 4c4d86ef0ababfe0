"""Campaigns: their texts by language, shifts (places held through portal/capacity.py), volunteers' sign-ups
with their hours, the shifts' waiting lists, endorsements by organisations, media consent, and
how each volunteer wants the campaigns' reminders

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('campaign_channel', sa.String(length=10), nullable=True))
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_campaigns_dates')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('code', name=op.f('uq_campaigns_code'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_state'), ['state'], unique=False)

    op.create_table('campaign_endorsements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('committed', sa.Integer(), nullable=False),
    sa.Column('endorsed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('committed >= 0', name=op.f('ck_campaign_endorsements_committed')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_endorsements_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['endorsed_by_id'], ['users.id'], name=op.f('fk_campaign_endorsements_endorsed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_campaign_endorsements_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_endorsements')),
    sa.UniqueConstraint('campaign_id', 'organisation_id', name=op.f('uq_campaign_endorsements_campaign_id'))
    )
    with op.batch_alter_table('campaign_endorsements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_endorsements_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_endorsements_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('campaign_media_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('photos', sa.Boolean(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('pseudonym', sa.String(length=40), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_media_consents_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaign_media_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_media_consents')),
    sa.UniqueConstraint('campaign_id', 'user_id', name=op.f('uq_campaign_media_consents_campaign_id'))
    )
    with op.batch_alter_table('campaign_media_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_media_consents_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_media_consents_user_id'), ['user_id'], unique=False)

    op.create_table('campaign_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_texts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_texts')),
    sa.UniqueConstraint('campaign_id', 'locale', name=op.f('uq_campaign_texts_campaign_id'))
    )
    with op.batch_alter_table('campaign_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_texts_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('map_url', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('bring', sa.String(length=200), nullable=False),
    sa.Column('bring_note', sa.String(length=200), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_shifts_capacity')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_shifts_times')),
    sa.CheckConstraint('taken >= 0 AND taken <= capacity', name=op.f('ck_shifts_places')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_shifts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_shifts_lead_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shifts_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shifts_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shifts_remind_at'), ['remind_at'], unique=False)
        batch_op.create_index('ix_shifts_state_starts_at', ['state', 'starts_at', 'campaign_id', 'role', 'language'], unique=False)

    op.create_table('shift_signups',
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('signed_up_by_id', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('minutes IS NULL OR (minutes >= 0 AND minutes <= 1440)', name=op.f('ck_shift_signups_minutes')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_shift_signups_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_shift_signups_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_shift_signups_shift_id_shifts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_up_by_id'], ['users.id'], name=op.f('fk_shift_signups_signed_up_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shift_signups_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_signups')),
    sa.UniqueConstraint('shift_id', 'user_id', name=op.f('uq_shift_signups_shift_id'))
    )
    with op.batch_alter_table('shift_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_signups_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_signups_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_signups_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_signups_user_id'), ['user_id'], unique=False)

    op.create_table('shift_waitlist',
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_shift_waitlist_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_shift_waitlist_shift_id_shifts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shift_waitlist_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_waitlist')),
    sa.UniqueConstraint('shift_id', 'user_id', name=op.f('uq_shift_waitlist_shift_id'))
    )
    with op.batch_alter_table('shift_waitlist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_waitlist_offer_expires_at'), ['offer_expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_waitlist_shift_id'), ['shift_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_waitlist_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_shift_waitlist_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('shift_waitlist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_waitlist_user_id'))
        batch_op.drop_index(batch_op.f('ix_shift_waitlist_state'))
        batch_op.drop_index(batch_op.f('ix_shift_waitlist_shift_id'))
        batch_op.drop_index(batch_op.f('ix_shift_waitlist_offer_expires_at'))

    op.drop_table('shift_waitlist')
    with op.batch_alter_table('shift_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_signups_user_id'))
        batch_op.drop_index(batch_op.f('ix_shift_signups_state'))
        batch_op.drop_index(batch_op.f('ix_shift_signups_shift_id'))
        batch_op.drop_index(batch_op.f('ix_shift_signups_organisation_id'))

    op.drop_table('shift_signups')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_shifts_state_starts_at')
        batch_op.drop_index(batch_op.f('ix_shifts_remind_at'))
        batch_op.drop_index(batch_op.f('ix_shifts_lead_id'))
        batch_op.drop_index(batch_op.f('ix_shifts_campaign_id'))

    op.drop_table('shifts')
    with op.batch_alter_table('campaign_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_texts_campaign_id'))

    op.drop_table('campaign_texts')
    with op.batch_alter_table('campaign_media_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_media_consents_user_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_media_consents_campaign_id'))

    op.drop_table('campaign_media_consents')
    with op.batch_alter_table('campaign_endorsements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_endorsements_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_endorsements_campaign_id'))

    op.drop_table('campaign_endorsements')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_state'))

    op.drop_table('campaigns')
    # ALTER TABLE ... DROP COLUMN, not a batch rebuild of users (the audit log refuses what a rebuild does).
    op.drop_column('users', 'campaign_channel')
