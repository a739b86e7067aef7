"""Ledger endpoints for the platform's own API keys (under ``/v1/ledger``).

- ``PUT /buyers/{buyer_id}``: register a buyer's phone and/or ID number (platform keys). They are normalised,
  turned into pseudonyms and dropped: only the pseudonyms are stored, nothing is logged.
- ``POST /buyer-links``: a signed, expiring access link for the buyer (platform keys).
- ``GET /claims/{claim_id}``: the buyer's standing entries, for an open claim only (reviewer keys; audited).
- ``GET /appeals``, ``POST /appeals/{id}/decision``: appeals this platform resolves (reviewer keys).
- ``POST /entries/{entry_id}/revoke``: revoke an own entry, e.g. after a court decision (admin keys).
- ``GET /status``, ``POST /sync``: feeds, peers and the last sync of each (reviewer/admin; admin to sync).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from refundguard.ledger import adjudication, appeals, identifiers, lookup, signing
from refundguard.ledger.models import LedgerAdjudication, LedgerAppeal, LedgerEntry, LedgerHead, LedgerIdentity
from refundguard.ledger.pseudonyms import PseudonymError
from refundguard.ledger.routes.common import ledger_of, pseudonym_error, require
from refundguard.service.audit import service as audit
from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.claims.schemas import Ident
from refundguard.service.errors import Conflict, NotFound
from refundguard.service.paging import Limit, Offset, Page

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


class BuyerIdentifiers(BaseModel):
    """A buyer's identifiers; give at least one. They are never stored or logged, only their pseudonyms."""

    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, Field(max_length=40)] | None = None
    id_number: Annotated[str, Field(max_length=40)] | None = None
    id_country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "CN"


class BuyerRegistered(BaseModel):
    buyer_id: str
    registered: list[str]


@router.put("/buyers/{buyer_id}", response_model=BuyerRegistered)
def register_buyer(buyer_id: Ident, body: BuyerIdentifiers, request: Request, session: DbSession,
                   principal: CurrentPrincipal) -> BuyerRegistered:
    """Register (or replace) the buyer's identifiers for ledger matching."""
    require(principal, "ledger.register_buyer")
    session.commit()  # no transaction (on SQLite: no write lock) held while the operator is asked
    ledger = ledger_of(request)
    found = identifiers.normalise(phone_number=body.phone, id_value=body.id_number, id_country=body.id_country,
                                  default_region=ledger.config.default_region)
    try:
        pseudonyms = ledger.pseudonyms(found)
    except PseudonymError as exc:
        raise pseudonym_error(exc) from None
    for item, pseudonym in zip(found, pseudonyms, strict=True):
        row = session.get(LedgerIdentity, (principal.tenant, buyer_id, item.kind))
        if row is None:
            session.add(LedgerIdentity(tenant=principal.tenant, buyer_id=buyer_id, kind=item.kind, pseudonym=pseudonym))
        else:
            row.pseudonym = pseudonym
    audit.record(session=session, actor=principal.actor, action="ledger.buyer_registered", subject_type="buyer",
                 subject_id=buyer_id, tenant=principal.tenant, details={"kinds": [i.kind for i in found]})
    session.commit()
    return BuyerRegistered(buyer_id=buyer_id, registered=[i.kind for i in found])


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyer_id: Ident


class LinkOut(BaseModel):
    token: str
    url: str
    api: str
    expires_at: int


@router.post("/buyer-links", response_model=LinkOut)
def buyer_link(body: LinkIn, request: Request, principal: CurrentPrincipal) -> LinkOut:
    """A link the platform gives its buyer to see, export and appeal what the ledger holds on them."""
    require(principal, "ledger.buyer_link")
    ledger = ledger_of(request)
    token, expires = ledger.links.issue(principal.tenant, body.buyer_id, ledger.config.buyer_link_hours)
    base = ledger.config.public_url.rstrip("/")
    return LinkOut(token=token, url=f"{base}/ledger/me?token={token}", api=f"{base}/v1/ledger/me",
                   expires_at=expires)


@router.get("/claims/{claim_id}")
def claim_prior_abuse(claim_id: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """The buyer's standing adjudicated entries on every member, for an open claim of this platform."""
    require(principal, "ledger.query")
    result = lookup.prior_abuse(session, tenant=principal.tenant, claim_id=claim_id, actor=principal.actor)
    session.commit()
    if not result.registered:
        claim = lookup.open_claim(session, tenant=principal.tenant, claim_id=claim_id)
        raise lookup.NotRegistered(claim.buyer_id or "")
    return {"claim_id": claim_id, **result.to_dict()}


class AppealRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    origin: str
    adjudication_id: str | None
    issuer: str | None
    entry_id: str | None
    buyer_id: str | None
    statement: str
    status: str
    forwarded_at: Any = None
    forward_error: str | None = None
    resolution: str | None = None


@router.get("/appeals", response_model=Page[AppealRead])
def list_appeals(request: Request, session: DbSession, principal: CurrentPrincipal,
                 status: Annotated[Literal["open", "upheld", "rejected"], Query()] = "open",
                 limit: Limit = 100, offset: Offset = 0) -> Page[AppealRead]:
    """Appeals about this platform's adjudications and entries (and those it forwarded to their issuers), oldest
    first, one page at a time like every list of the API."""
    require(principal, "ledger.appeals")
    own = ledger_of(request).config.platform
    query = select(LedgerAppeal).where(
        LedgerAppeal.status == status,
        (LedgerAppeal.tenant == principal.tenant) | (LedgerAppeal.issuer == own))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(LedgerAppeal.created_at, LedgerAppeal.id).offset(offset).limit(limit))
    return Page[AppealRead](items=[AppealRead.model_validate(r) for r in rows], total=total, limit=limit,
                            offset=offset)


class AppealDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: bool
    reason: Annotated[str, Field(min_length=1, max_length=5000)]


@router.post("/appeals/{appeal_id}/decision", response_model=AppealRead)
def decide_appeal(appeal_id: str, body: AppealDecision, request: Request, session: DbSession,
                  principal: CurrentPrincipal) -> AppealRead:
    """Uphold (the entry is revoked everywhere, or the adjudication withdrawn) or reject an appeal."""
    require(principal, "ledger.appeals")
    appeal = appeals.resolve(session, ledger_of(request), appeal_id=appeal_id, upheld=body.upheld,
                             reason=body.reason, actor=principal.actor)
    session.commit()
    return AppealRead.model_validate(appeal)


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["court_decision", "issuer_withdrawn", "appeal_upheld"]
    note: Annotated[str, Field(min_length=1, max_length=2000)]


@router.post("/entries/{entry_id}/revoke")
def revoke_entry(entry_id: str, body: RevokeIn, request: Request, session: DbSession,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    """Revoke one of this platform's entries; every member drops it at its next sync."""
    require(principal, "ledger.revoke")
    ledger = ledger_of(request)
    entry = session.get(LedgerEntry, (ledger.config.platform, entry_id)) if len(entry_id) <= 32 else None
    if entry is None:
        raise NotFound(f"no entry {entry_id[:40]} issued by {ledger.config.platform}",
                       f"{ledger.config.platform} 未发布条目 {entry_id[:40]}")
    if entry.status in ("revoked", "expired"):
        raise Conflict(f"entry is already {entry.status}", f"条目已{entry.status}", code="already_revoked")
    adjudication.revoke(session, ledger, entry_id, reason=body.reason, actor=principal.actor)
    audit.record(session=session, actor=principal.actor, action="ledger.revocation_note", subject_type="ledger_entry",
                 subject_id=entry_id, tenant=principal.tenant, details={"note": body.note})
    session.commit()
    return {"entry_id": entry_id, "status": "revoked", "reason": body.reason}


@router.get("/status")
def status(request: Request, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """This platform's feed and key, every peer's head and last sync (errors included)."""
    require(principal, "ledger.status")
    ledger = ledger_of(request)
    heads = {h.issuer: h for h in session.scalars(select(LedgerHead))}
    own = heads.get(ledger.config.platform)
    waiting = session.scalar(select(func.count()).select_from(LedgerAdjudication).where(
        LedgerAdjudication.status.in_(("waiting", "appealed")))) or 0
    return {
        "platform": ledger.config.platform, "mode": ledger.config.mode, "public_key": ledger.key.public_hex,
        "fingerprint": signing.fingerprint(ledger.key.public_hex), "feed": {"seq": own.seq if own else 0,
                                                                           "hash": own.hash if own else None},
        "adjudications_waiting": int(waiting),
        "peers": [{"platform": p.platform, "url": p.url, "fingerprint": signing.fingerprint(p.public_key),
                   "seq": heads[p.platform].seq if p.platform in heads else 0,
                   "synced_at": heads[p.platform].synced_at if p.platform in heads else None,
                   "error_code": heads[p.platform].error_code if p.platform in heads else None,
                   "error": heads[p.platform].error if p.platform in heads else None}
                  for p in ledger.config.peers],
    }


@router.post("/sync")
def sync_now(request: Request, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """Run one round now: publish due entries, expire, forward appeals, pull every peer."""
    require(principal, "ledger.sync")
    session.commit()  # the round uses its own transactions
    out = ledger_of(request).tick()
    synced = out.get("synced")
    return {"published": out.get("published"), "forwarded": out.get("forwarded"),
            "synced": [r.__dict__ for r in synced] if isinstance(synced, list) else synced}
