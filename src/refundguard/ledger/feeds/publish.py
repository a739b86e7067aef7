"""Appending to this platform's own feed: one signed record per call, in the caller's transaction.

The head row of the own feed is locked (``SELECT … FOR UPDATE``; SQLite transactions are serial) so appends from
several processes form one chain.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.ledger import signing
from refundguard.ledger.feeds import state
from refundguard.ledger.models import LedgerHead, LedgerRecord
from refundguard.ledger.records import GENESIS, canonical, make_record
from refundguard.service.db import utcnow


def ensure_head(session: Session, *, issuer: str, public_key: str) -> LedgerHead:
    head = session.get(LedgerHead, issuer)
    if head is None:
        head = LedgerHead(issuer=issuer, seq=0, hash=GENESIS, public_key=public_key)
        session.add(head)
        session.flush()
    elif head.public_key != public_key:
        head.public_key = public_key
    return head


def append(session: Session, *, key: signing.SigningKey, issuer: str, kind: str, body: dict[str, Any],
           today: date | None = None) -> dict[str, Any]:
    """Sign and append one record to ``issuer``'s own feed and apply it to the entries held here."""
    head = session.execute(select(LedgerHead).where(LedgerHead.issuer == issuer).with_for_update()
                           ).scalar_one_or_none()
    if head is None:
        head = ensure_head(session, issuer=issuer, public_key=key.public_hex)
    now = utcnow()
    record = make_record(key, issuer=issuer, seq=head.seq + 1, prev=head.hash, kind=kind, at=now, body=body)
    session.add(LedgerRecord(issuer=issuer, seq=record["seq"], prev=record["prev"], kind=kind, at=record["at"],
                             body_sha256=record["body_sha256"], hash=record["hash"], sig=record["sig"],
                             body=canonical(record["body"]).decode(), entry_id=record["body"]["entry_id"]))
    head.seq, head.hash = record["seq"], record["hash"]
    session.flush()
    state.apply(session, issuer=issuer, seq=record["seq"], kind=kind, body=record["body"],
                today=today or now.date(), record_hash=record["hash"])
    session.flush()
    return record
