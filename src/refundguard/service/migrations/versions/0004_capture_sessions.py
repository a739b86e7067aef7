"""Live capture (issue #15): capture requests with their single session, the frames the page sent, and the
analysis-pass cache.

Revision ID: c15_capture
Revises: 0003_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c15_capture'
down_revision = '0003_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analysis_passes',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('analysis_passes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_passes_created_at'), ['created_at'], unique=False)

    op.create_table('capture_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('claim_id', sa.String(length=40), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('requested_role', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('turn', sa.String(length=8), nullable=False),
    sa.Column('marked', sa.Text(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=True),
    sa.Column('nonce_hash', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client', sa.Text(), nullable=True),
    sa.Column('frames_received', sa.Integer(), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=True),
    sa.Column('manifest_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('capture_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capture_requests_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_capture_requests_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_capture_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_capture_requests_tenant'), ['tenant'], unique=False)

    op.create_table('capture_frames',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_time_ms', sa.Float(), nullable=True),
    sa.Column('since_start_ms', sa.Float(), nullable=True),
    sa.Column('frame_time', sa.Float(), nullable=True),
    sa.Column('source_sha256', sa.String(length=64), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['capture_requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('capture_frames', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capture_frames_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('capture_frames', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capture_frames_request_id'))

    op.drop_table('capture_frames')
    with op.batch_alter_table('capture_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capture_requests_tenant'))
        batch_op.drop_index(batch_op.f('ix_capture_requests_status'))
        batch_op.drop_index(batch_op.f('ix_capture_requests_deadline'))
        batch_op.drop_index(batch_op.f('ix_capture_requests_claim_id'))

    op.drop_table('capture_requests')
    with op.batch_alter_table('analysis_passes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_passes_created_at'))

    op.drop_table('analysis_passes')
