"""Record and verify the audit chain.

Each entry's hash is ``sha256(prev_hash || canonical JSON of the entry)``; the head row holds the newest
sequence number and hash. Editing an entry breaks its hash, removing one breaks the sequence or the
``prev_hash`` link, and removing the newest entries no longer matches the head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.service.audit.models import AuditEntry, AuditHead
from refundguard.service.db import utcnow

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, *, seq: int, at: datetime, tenant: str | None, actor: str, action: str,
               subject_type: str, subject_id: str, details: str) -> str:
    body = canonical({"seq": seq, "at": at.isoformat(timespec="microseconds"), "tenant": tenant, "actor": actor,
                      "action": action, "subject_type": subject_type, "subject_id": subject_id,
                      "details": details})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def record(*, session: Session, actor: str, action: str, subject_type: str, subject_id: str,
           tenant: str | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (the head row is locked until it commits)."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    at = utcnow()
    text = canonical(details or {})
    seq = head.seq + 1
    digest = entry_hash(head.hash, seq=seq, at=at, tenant=tenant, actor=actor, action=action,
                        subject_type=subject_type, subject_id=subject_id, details=text)
    entry = AuditEntry(seq=seq, at=at, tenant=tenant, actor=actor, action=action, subject_type=subject_type,
                       subject_id=subject_id, details=text, prev_hash=head.hash, hash=digest)
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


def for_subject(*, session: Session, subject_id: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject_id == subject_id)
                                .order_by(AuditEntry.seq)))


@dataclass
class Verification:
    ok: bool
    entries: int
    head: str
    problems: list[str] = field(default_factory=list)


def verify(*, session: Session, max_problems: int = 20) -> Verification:
    """Walk the chain from the first entry and report every break (up to ``max_problems``)."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(500):
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (next present is {entry.seq})")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq} does not link to the entry before it")
        digest = entry_hash(entry.prev_hash, seq=entry.seq, at=entry.at, tenant=entry.tenant, actor=entry.actor,
                            action=entry.action, subject_type=entry.subject_type, subject_id=entry.subject_id,
                            details=entry.details)
        if digest != entry.hash:
            problems.append(f"entry {entry.seq} was altered (hash mismatch)")
        prev = entry.hash
        expected_seq = entry.seq + 1
        if len(problems) >= max_problems:
            break
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if len(problems) < max_problems and (head_seq != expected_seq - 1 or head_hash != prev):
        problems.append(f"the chain ends at entry {expected_seq - 1} but the head names entry {head_seq}: "
                        "entries were removed or the head was altered")
    return Verification(ok=not problems, entries=count, head=head_hash, problems=problems)
