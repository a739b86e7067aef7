"""Buyers' appeals (PIPL: the right to object and to have errors corrected).

A buyer appeals an adjudication of this platform before it is published (it then waits for the appeal), or an entry
the ledger holds. An entry of this platform is contested at once: a ``contest`` record goes into the feed, and every
member leaves the entry out of its answers at its next sync. An entry of another member is left out of this
platform's answers at once and the appeal is forwarded, signed, to its issuer, which contests it in its feed.

Only the issuer resolves: upheld revokes the entry (``appeal_upheld``) or withdraws the adjudication; rejected
reinstates the entry or lets the adjudication be published.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.ledger import adjudication
from refundguard.ledger.feeds import publish
from refundguard.ledger.models import LedgerAdjudication, LedgerAppeal, LedgerEntry, LedgerEntryKey, LedgerIdentity
from refundguard.service.audit import service as audit
from refundguard.service.db import utcnow
from refundguard.service.errors import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from refundguard.ledger.runtime import Ledger

MAX_STATEMENT = 5000


def _new_id() -> str:
    return "apl_" + uuid.uuid4().hex[:20]


def _statement(text: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_STATEMENT:
        raise Invalid(f"the appeal needs a statement of 1-{MAX_STATEMENT} characters",
                      f"申诉须附 1-{MAX_STATEMENT} 个字符的说明")
    return text


def _open_exists(session: Session, *, adjudication_id: str | None = None, issuer: str | None = None,
                 entry_id: str | None = None) -> bool:
    query = select(LedgerAppeal.id).where(LedgerAppeal.status == "open")
    if adjudication_id:
        query = query.where(LedgerAppeal.adjudication_id == adjudication_id)
    else:
        query = query.where(LedgerAppeal.issuer == issuer, LedgerAppeal.entry_id == entry_id)
    return session.scalar(query.limit(1)) is not None


def buyer_holds(session: Session, *, tenant: str, buyer_id: str, issuer: str, entry_id: str) -> bool:
    """Whether the entry is keyed by one of this buyer's pseudonyms."""
    mine = select(LedgerIdentity.pseudonym).where(LedgerIdentity.tenant == tenant, LedgerIdentity.buyer_id == buyer_id)
    return session.scalar(select(LedgerEntryKey.entry_id).where(
        LedgerEntryKey.issuer == issuer, LedgerEntryKey.entry_id == entry_id,
        LedgerEntryKey.pseudonym.in_(mine)).limit(1)) is not None


def file_appeal(session: Session, ledger: Ledger, *, tenant: str, buyer_id: str, statement: str,
                adjudication_id: str | None = None, issuer: str | None = None,
                entry_id: str | None = None) -> LedgerAppeal:
    text = _statement(statement)
    own = ledger.config.platform
    if adjudication_id:
        row = session.get(LedgerAdjudication, adjudication_id)
        if row is None or row.tenant != tenant or row.buyer_id != buyer_id:
            raise NotFound("no such adjudication of yours", "未找到您的该项裁定")
        if row.status == "published" and row.entry_id:
            issuer, entry_id, adjudication_id = own, row.entry_id, None
        elif row.status not in ("waiting", "appealed"):
            raise Conflict(f"this adjudication is {row.status}; it cannot be appealed",
                           f"该裁定状态为 {row.status}，无法申诉", code="not_appealable")
    if adjudication_id:
        if _open_exists(session, adjudication_id=adjudication_id):
            raise Conflict("an appeal of this adjudication is already open", "该裁定已有进行中的申诉",
                           code="appeal_open")
        appeal = LedgerAppeal(id=_new_id(), tenant=tenant, buyer_id=buyer_id, origin=own,
                              adjudication_id=adjudication_id, statement=text)
        session.add(appeal)
        row.status = "appealed"
    else:
        if not issuer or not entry_id:
            raise Invalid("name the adjudication or the entry (issuer and entry id)",
                          "请指明裁定或条目（发布方与条目编号）")
        entry = session.get(LedgerEntry, (issuer, entry_id))
        if entry is None or entry.status in ("revoked", "expired") \
                or not buyer_holds(session, tenant=tenant, buyer_id=buyer_id, issuer=issuer, entry_id=entry_id):
            raise NotFound("no such entry about you in the ledger", "账本中未找到关于您的该条目")
        if _open_exists(session, issuer=issuer, entry_id=entry_id):
            raise Conflict("an appeal of this entry is already open", "该条目已有进行中的申诉", code="appeal_open")
        appeal = LedgerAppeal(id=_new_id(), tenant=tenant, buyer_id=buyer_id, origin=own, issuer=issuer,
                              entry_id=entry_id, statement=text)
        session.add(appeal)
        if issuer == own and entry.status == "active":
            publish.append(session, key=ledger.key, issuer=own, kind="contest", body={"entry_id": entry_id})
    session.flush()
    audit.record(session=session, actor=f"buyer:{buyer_id}", action="ledger.appeal_filed", subject_type="ledger_appeal",
                 subject_id=appeal.id, tenant=tenant,
                 details={"adjudication": appeal.adjudication_id, "issuer": appeal.issuer, "entry_id": appeal.entry_id})
    return appeal


def receive_forwarded(session: Session, ledger: Ledger, *, origin: str, payload: dict[str, Any]) -> LedgerAppeal:
    """An appeal another member received about one of this platform's entries (idempotent per origin appeal)."""
    origin_id, entry_id = payload.get("appeal_id"), payload.get("entry_id")
    if not isinstance(origin_id, str) or not isinstance(entry_id, str) or len(origin_id) > 32 or len(entry_id) > 32:
        raise Invalid("appeal_id and entry_id are required", "须提供 appeal_id 与 entry_id")
    text = _statement(payload.get("statement") if isinstance(payload.get("statement"), str) else "")
    existing = session.scalar(select(LedgerAppeal).where(LedgerAppeal.origin == origin,
                                                         LedgerAppeal.origin_appeal_id == origin_id))
    if existing is not None:
        return existing
    own = ledger.config.platform
    entry = session.get(LedgerEntry, (own, entry_id))
    if entry is None or entry.status in ("revoked", "expired"):
        raise NotFound(f"no entry {entry_id} of {own} to appeal", f"{own} 无可申诉的条目 {entry_id}")
    appeal = LedgerAppeal(id=_new_id(), origin=origin, origin_appeal_id=origin_id, issuer=own, entry_id=entry_id,
                          statement=text)
    session.add(appeal)
    if entry.status == "active":
        publish.append(session, key=ledger.key, issuer=own, kind="contest", body={"entry_id": entry_id})
    session.flush()
    audit.record(session=session, actor=f"member:{origin}", action="ledger.appeal_received",
                 subject_type="ledger_appeal", subject_id=appeal.id, tenant=None,
                 details={"entry_id": entry_id, "origin_appeal": origin_id})
    return appeal


def resolve(session: Session, ledger: Ledger, *, appeal_id: str, upheld: bool, reason: str, actor: str) -> LedgerAppeal:
    """The issuer's decision on an appeal of its own adjudication or entry."""
    appeal = session.get(LedgerAppeal, appeal_id) if len(appeal_id) <= 32 else None
    if appeal is None:
        raise NotFound(f"appeal {appeal_id[:40]} not found", f"未找到申诉 {appeal_id[:40]}")
    if appeal.status != "open":
        raise Conflict(f"appeal is already {appeal.status}", f"申诉已处理：{appeal.status}", code="appeal_closed")
    own = ledger.config.platform
    if appeal.issuer not in (None, own):
        raise Conflict(f"only the issuer {appeal.issuer} resolves this appeal; it was forwarded there",
                       f"该申诉只能由发布方 {appeal.issuer} 处理，已转交", code="not_issuer")
    reason = _statement(reason)
    if appeal.adjudication_id:
        row = session.get(LedgerAdjudication, appeal.adjudication_id)
        if row is not None and upheld:
            adjudication.withdraw(session, ledger, row, actor=actor, why="appeal upheld: " + reason)
        elif row is not None and row.status == "appealed":
            row.status, row.publish_after = "waiting", utcnow()
    elif appeal.entry_id:
        if upheld:
            adjudication.revoke(session, ledger, appeal.entry_id, reason="appeal_upheld", actor=actor)
        else:
            entry = session.get(LedgerEntry, (own, appeal.entry_id))
            others = session.scalar(select(LedgerAppeal.id).where(
                LedgerAppeal.issuer == own, LedgerAppeal.entry_id == appeal.entry_id, LedgerAppeal.status == "open",
                LedgerAppeal.id != appeal.id).limit(1))
            if entry is not None and entry.status == "contested" and others is None:
                publish.append(session, key=ledger.key, issuer=own, kind="reinstate",
                               body={"entry_id": appeal.entry_id, "reason": "appeal_rejected"})
    appeal.status = "upheld" if upheld else "rejected"
    appeal.resolved_at, appeal.resolved_by, appeal.resolution = utcnow(), actor, reason
    session.flush()
    audit.record(session=session, actor=actor, action="ledger.appeal_resolved", subject_type="ledger_appeal",
                 subject_id=appeal.id, tenant=appeal.tenant, details={"upheld": upheld, "reason": reason})
    return appeal


def to_forward(session: Session, ledger: Ledger, limit: int = 50) -> list[LedgerAppeal]:
    return list(session.scalars(select(LedgerAppeal).where(
        LedgerAppeal.status == "open", LedgerAppeal.origin == ledger.config.platform,
        LedgerAppeal.issuer.is_not(None), LedgerAppeal.issuer != ledger.config.platform,
        LedgerAppeal.forwarded_at.is_(None)).order_by(LedgerAppeal.created_at).limit(limit)))
