"""Mutual Care and Support: referrals, her consents, key dates and notes, questions without names, requests for
her data (personal and case fields hold Fernet tokens: portal/crypto.py); the directory of partner services and
the beds referrals hold at its shelters

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('directory_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=150), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('languages', sa.String(length=100), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=30), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('eligibility', sa.String(length=500), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR (capacity >= 0 AND taken >= 0 AND taken <= capacity)', name=op.f('ck_directory_services_beds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_services'))
    )
    with op.batch_alter_table('directory_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_services_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_services_published'), ['published'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=10), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('form_key', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('categories', sa.String(length=120), nullable=False),
    sa.Column('programme', sa.String(length=10), nullable=True),
    sa.Column('urgency', sa.String(length=10), nullable=True),
    sa.Column('urgency_rank', sa.Integer(), nullable=False),
    sa.Column('termination_date', sa.Date(), nullable=True),
    sa.Column('stay_extended_until', sa.Date(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('caseworker_id', sa.Integer(), nullable=True),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('decline_reason', sa.String(length=20), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shredded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.Text(), nullable=True),
    sa.Column('contact', sa.Text(), nullable=True),
    sa.Column('story', sa.Text(), nullable=True),
    sa.Column('employer', sa.Text(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_key', sa.String(length=64), nullable=True),
    sa.Column('email_key', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['caseworker_id'], ['users.id'], name=op.f('fk_referrals_caseworker_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_referrals_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['partner_id'], ['directory_services.id'], name=op.f('fk_referrals_partner_id_directory_services'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referred_by_id'], ['users.id'], name=op.f('fk_referrals_referred_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_referrals_worker_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_referrals_code_hash')),
    sa.UniqueConstraint('ref', name=op.f('uq_referrals_ref')),
    sa.UniqueConstraint('referred_by_id', 'form_key', name=op.f('uq_referrals_referred_by_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_caseworker_id'), ['caseworker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_email_key'), ['email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_phone_key'), ['phone_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_referred_by_id'), ['referred_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_worker_id'), ['worker_id'], unique=False)

    # The open queue's order, read in order (portal/referrals/models.py, QUEUE_ORDER); its WHERE repeats the
    # query's own terms, as SQLite needs to use a partial index.
    open_states = sa.text("state IN ('accepted', 'assigned', 'referred', 'submitted', 'triaged')")
    op.create_index('ix_referrals_open_queue', 'referrals',
                    [sa.text('(deadline IS NULL)'), 'deadline', 'urgency_rank', 'submitted_at', 'id'],
                    unique=False, postgresql_where=open_states, sqlite_where=open_states)
    finished = sa.text("state IN ('closed', 'declined')")
    op.create_index('ix_referrals_finished', 'referrals', ['state', 'closed_at', 'id'], unique=False,
                    postgresql_where=finished, sqlite_where=finished)

    op.create_table('referral_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('to_mission', sa.Boolean(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('how', sa.String(length=20), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('taken_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['directory_services.id'], name=op.f('fk_referral_consents_partner_id_directory_services'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_consents_referral_id_referrals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['taken_by_id'], ['users.id'], name=op.f('fk_referral_consents_taken_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_consents'))
    )
    with op.batch_alter_table('referral_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_consents_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_dates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_dates_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_dates'))
    )
    with op.batch_alter_table('referral_dates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_dates_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_dates_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_referral_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_notes_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_notes'))
    )
    with op.batch_alter_table('referral_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_notes_referral_id'), ['referral_id'], unique=False)



    op.create_table('referral_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=10), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_referral_questions_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_referral_questions_asked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_referral_questions_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_questions')),
    sa.UniqueConstraint('ref', name=op.f('uq_referral_questions_ref'))
    )
    with op.batch_alter_table('referral_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_questions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_questions_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('referral_access_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('found', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_referral_access_requests_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_referral_access_requests_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_access_requests'))
    )
    with op.batch_alter_table('referral_access_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_access_requests_due_on'), ['due_on'], unique=False)

    op.create_table('directory_bed_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_directory_bed_holds_referral_id_referrals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['directory_services.id'], name=op.f('fk_directory_bed_holds_service_id_directory_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_bed_holds'))
    )
    with op.batch_alter_table('directory_bed_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_bed_holds_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_directory_bed_holds_service_id'), ['service_id'], unique=False)


def downgrade():
    with op.batch_alter_table('directory_bed_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_bed_holds_service_id'))
        batch_op.drop_index(batch_op.f('ix_directory_bed_holds_referral_id'))

    op.drop_table('directory_bed_holds')
    with op.batch_alter_table('referral_access_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_access_requests_due_on'))

    op.drop_table('referral_access_requests')
    with op.batch_alter_table('referral_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_questions_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_referral_questions_created_at'))

    op.drop_table('referral_questions')
    with op.batch_alter_table('referral_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_notes_referral_id'))

    op.drop_table('referral_notes')
    with op.batch_alter_table('referral_dates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_dates_referral_id'))
        batch_op.drop_index(batch_op.f('ix_referral_dates_day'))

    op.drop_table('referral_dates')
    with op.batch_alter_table('referral_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_consents_referral_id'))

    op.drop_table('referral_consents')
    op.drop_index('ix_referrals_open_queue', table_name='referrals')
    op.drop_index('ix_referrals_finished', table_name='referrals')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_worker_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_referred_by_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_caseworker_id'))
        batch_op.drop_index(batch_op.f('ix_referrals_email_key'))
        batch_op.drop_index(batch_op.f('ix_referrals_phone_key'))

    op.drop_table('referrals')
    with op.batch_alter_table('directory_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_services_published'))
        batch_op.drop_index(batch_op.f('ix_directory_services_kind'))

    op.drop_table('directory_services')
