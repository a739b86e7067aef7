"""Claim and analysis tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from refundguard.service.db import Base, UTCDateTime, utcnow


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("tenant", "idempotency_key", name="uq_claims_tenant_idempotency"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    merchant_id: Mapped[str] = mapped_column(String(128), index=True)
    buyer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    order_id: Mapped[str | None] = mapped_column(String(128))
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(8), default="CNY")
    reason: Mapped[str | None] = mapped_column(Text)
    order_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(32), index=True, default="created")
    level: Mapped[str | None] = mapped_column(String(16))
    risk: Mapped[float | None] = mapped_column(Float)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    merchant_responded: Mapped[bool] = mapped_column(Boolean, default=False)
    merchant_statement: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    abuse_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: an open or past request for more evidence: from whom (buyer | merchant), what, and its status
    #: (requested | received | expired); its deadline is ``deadline`` while the claim awaits it
    evidence_from: Mapped[str | None] = mapped_column(String(16))
    evidence_request: Mapped[str | None] = mapped_column(Text)
    evidence_status: Mapped[str | None] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ClaimAnalysis(Base):
    """One run of the engine on a claim; ``report`` is :func:`refundguard.report.json.to_dict` as JSON text."""

    __tablename__ = "claim_analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    job_id: Mapped[str | None] = mapped_column(String(40))
    risk: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16))
    references: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the report's canonical JSON (the digest the evidence bundle prints); bound in the audit chain
    report_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReuseRecorded(Base):
    """A claim photo (``region`` empty) or damage region already added to the reuse index for this claim, so
    that analysing the claim again does not index the same photo twice."""

    __tablename__ = "reuse_recorded"
    __table_args__ = (UniqueConstraint("claim_id", "sha256", "region", name="uq_reuse_recorded"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(String(40), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AnalysisJob(Base):
    """A persisted analysis job; queued and expired running jobs are re-queued on startup."""

    __tablename__ = "analysis_jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")  # queued|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    with_references: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
