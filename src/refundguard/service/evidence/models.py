"""The evidence table: which stored file is attached to which claim, in which role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from refundguard.service.db import Base, UTCDateTime, utcnow


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("claim_id", "sha256", "role", name="uq_evidence_claim_sha_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # claim | reference | video
    kind: Mapped[str] = mapped_column(String(16))  # photo | video | keyframe
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(String(255))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    frame_time: Mapped[str | None] = mapped_column(String(32))
    added_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
