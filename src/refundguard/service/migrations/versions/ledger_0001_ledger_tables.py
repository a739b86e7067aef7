"""Ledger tables (issue #18): feed records and heads, entries and their pseudonym keys, buyer identities
(pseudonyms only), adjudications waiting for the appeal window, appeals.

Revision ID: ledger_0001
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'ledger_0001'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_adjudications',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('claim_id', sa.String(length=40), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('publish_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('claim_id', name='uq_ledger_adjudications_claim')
    )
    with op.batch_alter_table('ledger_adjudications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_adjudications_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_adjudications_publish_after'), ['publish_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_adjudications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_adjudications_tenant'), ['tenant'], unique=False)

    op.create_table('ledger_appeals',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=True),
    sa.Column('buyer_id', sa.String(length=128), nullable=True),
    sa.Column('origin', sa.String(length=64), nullable=False),
    sa.Column('origin_appeal_id', sa.String(length=32), nullable=True),
    sa.Column('adjudication_id', sa.String(length=32), nullable=True),
    sa.Column('issuer', sa.String(length=64), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('forward_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_appeals_adjudication_id'), ['adjudication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_appeals_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_appeals_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_appeals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_appeals_tenant'), ['tenant'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('issuer', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=32), nullable=True),
    sa.Column('record_seq', sa.Integer(), nullable=False),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('issuer', 'entry_id', name='pk_ledger_entries')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_expires_on'), ['expires_on'], unique=False)

    op.create_table('ledger_entry_keys',
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    sa.Column('issuer', sa.String(length=64), nullable=False),
    sa.Column('entry_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('pseudonym', 'issuer', 'entry_id', name='pk_ledger_entry_keys')
    )
    with op.batch_alter_table('ledger_entry_keys', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entry_keys_entry', ['issuer', 'entry_id'], unique=False)

    op.create_table('ledger_heads',
    sa.Column('issuer', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_code', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('issuer')
    )
    op.create_table('ledger_identities',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'buyer_id', 'kind', name='pk_ledger_identities')
    )
    with op.batch_alter_table('ledger_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_identities_pseudonym'), ['pseudonym'], unique=False)

    op.create_table('ledger_records',
    sa.Column('issuer', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('prev', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('sig', sa.String(length=128), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('issuer', 'seq', name='pk_ledger_records')
    )
    with op.batch_alter_table('ledger_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_records_entry_id'), ['entry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ledger_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_records_entry_id'))

    op.drop_table('ledger_records')
    with op.batch_alter_table('ledger_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_identities_pseudonym'))

    op.drop_table('ledger_identities')
    op.drop_table('ledger_heads')
    with op.batch_alter_table('ledger_entry_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_keys_entry')

    op.drop_table('ledger_entry_keys')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_expires_on'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('ledger_appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_appeals_tenant'))
        batch_op.drop_index(batch_op.f('ix_ledger_appeals_status'))
        batch_op.drop_index(batch_op.f('ix_ledger_appeals_entry_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_appeals_buyer_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_appeals_adjudication_id'))

    op.drop_table('ledger_appeals')
    with op.batch_alter_table('ledger_adjudications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_adjudications_tenant'))
        batch_op.drop_index(batch_op.f('ix_ledger_adjudications_status'))
        batch_op.drop_index(batch_op.f('ix_ledger_adjudications_publish_after'))
        batch_op.drop_index(batch_op.f('ix_ledger_adjudications_buyer_id'))

    op.drop_table('ledger_adjudications')
