"""Audit entries, the global chain head and the head of each tenant's chain.

Every entry sits in two hash chains: the global one (``seq``, ``prev_hash``, ``hash``; the operator verifies it)
and its tenant's (``tenant_seq``, ``tenant_prev_hash``, ``tenant_hash``; a tenant verifies its own without
seeing any other tenant's entries). ``facts`` is the snapshot of the claim the entry is about, as it stood
when the entry was written (see :mod:`refundguard.service.audit.facts`); both hashes cover it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from refundguard.service.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_tenant_chain", "tenant", "tenant_seq", unique=True),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tenant: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    facts: Mapped[str | None] = mapped_column(Text)
    tenant_seq: Mapped[int | None] = mapped_column(Integer)
    tenant_prev_hash: Mapped[str | None] = mapped_column(String(64))
    tenant_hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """A single row (id 1) naming the newest entry; it makes removing the last entry detectable."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditTenantHead(Base):
    """The newest entry of one tenant's chain."""

    __tablename__ = "audit_tenant_heads"

    tenant: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
