"""The hash formulas of the audit chains. Pure: no I/O.

An entry's global hash is ``sha256(prev_hash || canonical JSON of the entry)`` with its global ``seq``; its
tenant hash is the same over the tenant's own sequence number and the previous entry *of that tenant*. Both
cover the claim facts snapshot when the entry has one (entries written before facts were chained have none,
and hash exactly as they did then).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
#: name of the global chain in checkpoints (tenant names never contain ``*``)
GLOBAL = "*"


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text: the one serialisation every hash is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _content(*, at: datetime, actor: str, action: str, subject_type: str, subject_id: str, details: str,
             facts: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"at": at.isoformat(timespec="microseconds"), "actor": actor, "action": action,
                            "subject_type": subject_type, "subject_id": subject_id, "details": details}
    if facts is not None:
        body["facts"] = facts
    return body


def entry_hash(prev_hash: str, *, seq: int, at: datetime, tenant: str | None, actor: str, action: str,
               subject_type: str, subject_id: str, details: str, facts: str | None = None) -> str:
    """The entry's link in the global chain."""
    body = {"seq": seq, "tenant": tenant, **_content(at=at, actor=actor, action=action, subject_type=subject_type,
                                                      subject_id=subject_id, details=details, facts=facts)}
    return hashlib.sha256((prev_hash + canonical(body)).encode("utf-8")).hexdigest()


def tenant_hash(prev_hash: str, *, tenant: str, tenant_seq: int, at: datetime, actor: str, action: str,
                subject_type: str, subject_id: str, details: str, facts: str | None = None) -> str:
    """The entry's link in its tenant's chain."""
    body = {"chain": tenant, "tenant_seq": tenant_seq,
            **_content(at=at, actor=actor, action=action, subject_type=subject_type, subject_id=subject_id,
                       details=details, facts=facts)}
    return hashlib.sha256((prev_hash + canonical(body)).encode("utf-8")).hexdigest()


def report_digest_of_text(report_text: str) -> str:
    """SHA-256 of a stored report's canonical JSON: the digest the evidence bundle prints for it."""
    return hashlib.sha256(canonical(json.loads(report_text)).encode("utf-8")).hexdigest()
