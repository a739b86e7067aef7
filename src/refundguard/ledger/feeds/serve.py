"""Serving a page of this platform's own feed to a member: the records after ``after`` and a signed envelope.

The envelope signature covers the issuer, the request (``after`` and the member's ``nonce``), the number of records,
the feed head and the time: a member refuses a page for another request (replayed), an older head (rollback) or a
head that contradicts what it holds (fork).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.ledger import signing
from refundguard.ledger.models import LedgerHead, LedgerRecord
from refundguard.ledger.records import GENESIS, page_statement
from refundguard.service.db import utcnow


def record_dict(row: LedgerRecord) -> dict[str, Any]:
    return {"issuer": row.issuer, "seq": row.seq, "prev": row.prev, "kind": row.kind, "at": row.at,
            "body_sha256": row.body_sha256, "hash": row.hash, "sig": row.sig,
            "body": None if row.body is None else json.loads(row.body)}


def page(session: Session, *, key: signing.SigningKey, issuer: str, after: int, limit: int,
         nonce: str) -> dict[str, Any]:
    head = session.get(LedgerHead, issuer)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    rows = session.scalars(select(LedgerRecord).where(LedgerRecord.issuer == issuer, LedgerRecord.seq > after,
                                                      LedgerRecord.seq <= head_seq)
                           .order_by(LedgerRecord.seq).limit(limit)).all()
    generated_at = utcnow().isoformat(timespec="seconds")
    statement = page_statement(issuer=issuer, after=after, count=len(rows), head_seq=head_seq, head_hash=head_hash,
                               nonce=nonce, generated_at=generated_at)
    return {"issuer": issuer, "key": key.public_hex, "after": after, "count": len(rows),
            "head": {"seq": head_seq, "hash": head_hash}, "nonce": nonce, "generated_at": generated_at,
            "signature": key.sign(signing.PAGE, statement), "records": [record_dict(r) for r in rows]}
