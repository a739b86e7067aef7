"""Ledger tables, in the service's database (migration ``ledger_0001``).

- ``ledger_records``: every feed record held, this platform's own and each peer's, exactly as signed;
- ``ledger_heads``: per issuer, the newest record held and (for peers) the state of the last sync;
- ``ledger_entries`` + ``ledger_entry_keys``: the entries as they stand now (active, contested, revoked,
  expired), indexed by buyer pseudonym for lookups;
- ``ledger_identities``: this platform's buyers' pseudonyms (never the phone or ID number itself);
- ``ledger_adjudications``: this platform's abuse decisions waiting for the appeal window;
- ``ledger_appeals``: buyers' appeals, received here or forwarded by another member.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from refundguard.service.db import Base, UTCDateTime, utcnow


class LedgerRecord(Base):
    __tablename__ = "ledger_records"
    __table_args__ = (PrimaryKeyConstraint("issuer", "seq", name="pk_ledger_records"),)

    issuer: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, autoincrement=False)
    prev: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[str] = mapped_column(String(40))
    body_sha256: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    sig: Mapped[str] = mapped_column(String(128))
    #: canonical JSON of the body; NULL once an entry's data is erased (the chain still verifies)
    body: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerHead(Base):
    """The newest record held per issuer; for a peer also how the last sync went."""

    __tablename__ = "ledger_heads"

    issuer: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str | None] = mapped_column(String(64))
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a validly signed record that contradicts the chain held (proof of a fork), as JSON
    evidence: Mapped[str | None] = mapped_column(Text)


class LedgerEntry(Base):
    """An entry as it stands now. ``status``: active | contested | revoked | expired."""

    __tablename__ = "ledger_entries"
    __table_args__ = (PrimaryKeyConstraint("issuer", "entry_id", name="pk_ledger_entries"),)

    issuer: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    decided_on: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str | None] = mapped_column(String(64))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(32))
    record_seq: Mapped[int] = mapped_column(Integer)
    #: hash of the record that issued the entry (kept here so a lookup reads one table besides the keys)
    record_hash: Mapped[str] = mapped_column(String(64))


class LedgerEntryKey(Base):
    """One pseudonym of an entry's buyer (an entry has one per identifier: phone, ID number)."""

    __tablename__ = "ledger_entry_keys"
    __table_args__ = (PrimaryKeyConstraint("pseudonym", "issuer", "entry_id", name="pk_ledger_entry_keys"),
                      Index("ix_ledger_entry_keys_entry", "issuer", "entry_id"))

    pseudonym: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[str] = mapped_column(String(32))


class LedgerIdentity(Base):
    """A buyer's pseudonym for one kind of identifier at this platform."""

    __tablename__ = "ledger_identities"
    __table_args__ = (PrimaryKeyConstraint("tenant", "buyer_id", "kind", name="pk_ledger_identities"),)

    tenant: Mapped[str] = mapped_column(String(64))
    buyer_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerAdjudication(Base):
    """A reviewer's abuse decision at this platform. ``status``: waiting | appealed | published | withdrawn."""

    __tablename__ = "ledger_adjudications"
    __table_args__ = (UniqueConstraint("claim_id", name="uq_ledger_adjudications_claim"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    claim_id: Mapped[str] = mapped_column(String(40))
    buyer_id: Mapped[str] = mapped_column(String(128), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    category: Mapped[str | None] = mapped_column(String(64))
    evidence_sha256: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    publish_after: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="waiting")
    entry_id: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class LedgerAppeal(Base):
    """A buyer's appeal against an adjudication (before publication) or an entry (own or a peer's).

    ``status``: open | upheld | rejected. ``origin`` is the member that received it (this platform or the peer
    that forwarded it); ``forwarded_at`` is set once an appeal about a peer's entry reached that peer.
    """

    __tablename__ = "ledger_appeals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str | None] = mapped_column(String(64), index=True)
    buyer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    origin: Mapped[str] = mapped_column(String(64))
    origin_appeal_id: Mapped[str | None] = mapped_column(String(32))
    adjudication_id: Mapped[str | None] = mapped_column(String(32), index=True)
    issuer: Mapped[str | None] = mapped_column(String(64))
    entry_id: Mapped[str | None] = mapped_column(String(32), index=True)
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(Text)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forward_error: Mapped[str | None] = mapped_column(Text)
