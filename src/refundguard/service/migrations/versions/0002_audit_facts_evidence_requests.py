"""Tenant audit chains with bound claim facts; report digests; evidence requests; reuse-index bookkeeping.

- ``audit_entries`` gains ``facts`` (the claim snapshot an entry binds) and its place in its tenant's chain
  (``tenant_seq``, ``tenant_prev_hash``, ``tenant_hash``); ``audit_tenant_heads`` holds each tenant chain's head.
  Existing entries are linked into their tenant's chain in their global order, with the same formula the
  service uses (their global hashes are not touched, so the global chain verifies as before).
- ``claim_analyses.report_sha256``: the SHA-256 of each stored report's canonical JSON (computed for existing rows).
- ``claims.evidence_from`` / ``evidence_request`` / ``evidence_status``: a request for more evidence is a state
  of its own now. Claims left ``decided`` with ``more_evidence_requested`` (no deadline, off the queue) go back to
  ``in_review`` with the request marked expired, so a reviewer sees them.
- ``reuse_recorded``: which photos and damage regions of a claim are already in the reuse index.

Revision ID: 0002_audit_facts
Revises: ledger_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0002_audit_facts'
down_revision = 'ledger_0001'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
LEGACY_REVIEW_HOURS = 72


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tenant_hash(prev: str, *, tenant: str, tenant_seq: int, row: sa.Row) -> str:
    # frozen copy of refundguard.service.audit.chain.tenant_hash for entries without facts
    body = {"chain": tenant, "tenant_seq": tenant_seq, "at": _aware(row.at).isoformat(timespec="microseconds"),
            "actor": row.actor, "action": row.action, "subject_type": row.subject_type,
            "subject_id": row.subject_id, "details": row.details}
    return hashlib.sha256((prev + _canonical(body)).encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('tenant_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tenant_prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('tenant_hash', sa.String(length=64), nullable=True))
    op.create_table('audit_tenant_heads',
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tenant')
    )
    with op.batch_alter_table('claim_analyses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence_from', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('evidence_request', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('evidence_status', sa.String(length=16), nullable=True))
    op.create_table('reuse_recorded',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('claim_id', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('claim_id', 'sha256', 'region', name='uq_reuse_recorded')
    )
    with op.batch_alter_table('reuse_recorded', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reuse_recorded_claim_id'), ['claim_id'], unique=False)

    conn = op.get_bind()
    entries = sa.table('audit_entries', sa.column('seq', sa.Integer), sa.column('at', sa.DateTime),
                       sa.column('tenant', sa.String), sa.column('actor', sa.String), sa.column('action', sa.String),
                       sa.column('subject_type', sa.String), sa.column('subject_id', sa.String),
                       sa.column('details', sa.Text), sa.column('tenant_seq', sa.Integer),
                       sa.column('tenant_prev_hash', sa.String), sa.column('tenant_hash', sa.String))
    heads: dict[str, tuple[int, str]] = {}
    rows = conn.execute(sa.select(entries).where(entries.c.tenant.is_not(None)).order_by(entries.c.seq)).all()
    for row in rows:
        seq, prev = heads.get(row.tenant, (0, GENESIS))
        digest = _tenant_hash(prev, tenant=row.tenant, tenant_seq=seq + 1, row=row)
        conn.execute(entries.update().where(entries.c.seq == row.seq)
                     .values(tenant_seq=seq + 1, tenant_prev_hash=prev, tenant_hash=digest))
        heads[row.tenant] = (seq + 1, digest)
    tenant_heads = sa.table('audit_tenant_heads', sa.column('tenant', sa.String), sa.column('seq', sa.Integer),
                            sa.column('hash', sa.String))
    for tenant, (seq, digest) in heads.items():
        conn.execute(tenant_heads.insert().values(tenant=tenant, seq=seq, hash=digest))
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_tenant_chain', ['tenant', 'tenant_seq'], unique=True)

    analyses = sa.table('claim_analyses', sa.column('id', sa.Integer), sa.column('report', sa.Text),
                        sa.column('report_sha256', sa.String))
    for aid, report in conn.execute(sa.select(analyses.c.id, analyses.c.report)).all():
        try:
            digest = hashlib.sha256(_canonical(json.loads(report)).encode("utf-8")).hexdigest()
        except ValueError:
            continue
        conn.execute(analyses.update().where(analyses.c.id == aid).values(report_sha256=digest))

    claims = sa.table('claims', sa.column('state', sa.String), sa.column('outcome', sa.String),
                      sa.column('deadline', sa.DateTime(timezone=True)), sa.column('evidence_from', sa.String),
                      sa.column('evidence_status', sa.String))
    due = datetime.now(UTC) + timedelta(hours=LEGACY_REVIEW_HOURS)
    if conn.dialect.name == "sqlite":
        due = due.replace(tzinfo=None)
    conn.execute(claims.update().where(claims.c.state == 'decided', claims.c.outcome == 'more_evidence_requested')
                 .values(state='in_review', outcome=None, deadline=due, evidence_from='buyer',
                         evidence_status='expired'))


def downgrade() -> None:
    with op.batch_alter_table('reuse_recorded', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reuse_recorded_claim_id'))
    op.drop_table('reuse_recorded')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('evidence_status')
        batch_op.drop_column('evidence_request')
        batch_op.drop_column('evidence_from')
    with op.batch_alter_table('claim_analyses', schema=None) as batch_op:
        batch_op.drop_column('report_sha256')
    op.drop_table('audit_tenant_heads')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_tenant_chain')
        batch_op.drop_column('tenant_hash')
        batch_op.drop_column('tenant_prev_hash')
        batch_op.drop_column('tenant_seq')
        batch_op.drop_column('facts')
