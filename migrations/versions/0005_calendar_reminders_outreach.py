"""trainings: reminder times, calendar feeds, outreach requests, course prerequisites

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 02:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_training_sessions_remind_at'), ['remind_at'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('course_prerequisites',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('requires_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_prerequisites_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requires_id'], ['courses.id'], name=op.f('fk_course_prerequisites_requires_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'requires_id', name=op.f('pk_course_prerequisites'))
    )

    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_feeds_token'))
    )

    op.create_table('outreach_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('programme', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('sunday_1', sa.Date(), nullable=False),
    sa.Column('sunday_2', sa.Date(), nullable=False),
    sa.Column('sunday_3', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('decline_reason', sa.String(length=20), nullable=True),
    sa.Column('decline_note', sa.String(length=500), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('expected > 0', name=op.f('ck_outreach_requests_expected')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_outreach_requests_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_outreach_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_outreach_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_outreach_requests_session_id_training_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_requests'))
    )
    with op.batch_alter_table('outreach_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_requests_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_requests_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('outreach_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outreach_requests_state'))
        batch_op.drop_index(batch_op.f('ix_outreach_requests_organisation_id'))
    op.drop_table('outreach_requests')
    op.drop_table('calendar_feeds')
    op.drop_table('course_prerequisites')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_remind_at'))
        batch_op.drop_column('version')
        batch_op.drop_column('remind_at')
