"""The buyer's side (PIPL Arts. 44-47): see what the ledger holds, appeal, export, and erasure after expiry.

Buyers have no API key. The platform, which knows its buyer, asks for an access link (``POST /v1/ledger/buyer-links``)
and gives it to the buyer; the link carries a token signed with this service's secret, bound to the tenant and the
buyer id, valid for ``buyer_link_hours``. With it the buyer reads ``/v1/ledger/me`` (JSON) or ``/ledger/me``
(a page), appeals, exports everything as JSON, and asks for erasure of what is past its retention.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from refundguard.ledger.models import LedgerAdjudication, LedgerAppeal, LedgerEntry, LedgerEntryKey, LedgerIdentity
from refundguard.service.audit import service as audit
from refundguard.service.db import utcnow
from refundguard.service.errors import Unauthorized

if TYPE_CHECKING:
    from refundguard.ledger.runtime import Ledger

PREFIX = "bt_"


class BuyerLinks:
    """Signed, expiring buyer access tokens (HMAC-SHA256 under a local secret)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: bytes) -> str:
        return hmac.new(self._secret, b"refundguard-ledger/buyer/v1\n" + payload, hashlib.sha256).hexdigest()[:40]

    def issue(self, tenant: str, buyer_id: str, hours: float, *, now: float | None = None) -> tuple[str, int]:
        expires = int((time.time() if now is None else now) + hours * 3600)
        payload = json.dumps({"t": tenant, "b": buyer_id, "e": expires}, separators=(",", ":")).encode()
        text = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{PREFIX}{text}.{self._mac(payload)}", expires

    def read(self, token: str | None) -> tuple[str, str]:
        """``(tenant, buyer_id)`` of a valid token, or :class:`Unauthorized`."""
        bad = Unauthorized("this access link is invalid or has expired; ask the platform for a new one",
                           "访问链接无效或已过期，请向平台申请新的链接")
        if not token or not token.startswith(PREFIX) or len(token) > 600 or "." not in token:
            raise bad
        text, mac = token[len(PREFIX):].rsplit(".", 1)
        try:
            payload = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(payload)
        except ValueError:
            raise bad from None
        if not hmac.compare_digest(mac, self._mac(payload)) or not isinstance(data, dict) \
                or not isinstance(data.get("e"), int) or data["e"] < time.time():
            raise bad
        return str(data["t"]), str(data["b"])


def holdings(session: Session, ledger: Ledger, *, tenant: str, buyer_id: str) -> dict[str, Any]:
    """Everything the ledger holds about the buyer, as this platform sees it."""
    identities = session.scalars(select(LedgerIdentity).where(LedgerIdentity.tenant == tenant,
                                                              LedgerIdentity.buyer_id == buyer_id)).all()
    pseudonyms = [i.pseudonym for i in identities]
    adjudications = session.scalars(select(LedgerAdjudication).where(
        LedgerAdjudication.tenant == tenant, LedgerAdjudication.buyer_id == buyer_id)
        .order_by(LedgerAdjudication.decided_at)).all()
    keyed = select(LedgerEntryKey).where(LedgerEntryKey.pseudonym.in_(pseudonyms),
                                         LedgerEntryKey.issuer == LedgerEntry.issuer,
                                         LedgerEntryKey.entry_id == LedgerEntry.entry_id).exists()
    entries = session.scalars(select(LedgerEntry).where(keyed).order_by(LedgerEntry.decided_on)).all() \
        if pseudonyms else []
    appeals = session.scalars(select(LedgerAppeal).where(LedgerAppeal.tenant == tenant,
                                                         LedgerAppeal.buyer_id == buyer_id)
                              .order_by(LedgerAppeal.created_at)).all()
    open_appeals = {(a.issuer, a.entry_id) for a in appeals if a.status == "open"}
    return {
        "platform": ledger.config.platform,
        "buyer_id": buyer_id,
        "purpose": "Sharing adjudicated refund abuse (forged or reused evidence) between platforms, so that a "
                   "reviewer sees a buyer's adjudicated history when a new claim is handled. / 在平台间共享经裁定的"
                   "退款滥用记录（伪造或重复使用凭证），使审核员处理新申请时能看到已裁定的记录。",
        "retention": {"appeal_window_days": ledger.config.appeal_window_days,
                      "expiry_months": ledger.config.expiry_months},
        "identifiers": [{"kind": i.kind, "pseudonym": i.pseudonym, "registered_at": i.created_at.isoformat()}
                        for i in identities],
        "adjudications": [{"id": a.id, "claim_id": a.claim_id, "outcome": a.outcome, "amount": a.amount,
                           "currency": a.currency, "decided_at": a.decided_at.isoformat(),
                           "publish_after": a.publish_after.isoformat(), "status": a.status, "entry_id": a.entry_id}
                          for a in adjudications],
        "entries": [{"issuer": e.issuer, "entry_id": e.entry_id, "outcome": e.outcome, "amount": e.amount,
                     "currency": e.currency, "decided_on": e.decided_on.isoformat() if e.decided_on else None,
                     "expires_on": e.expires_on.isoformat(), "status": e.status,
                     "appealed_here": (e.issuer, e.entry_id) in open_appeals,
                     "counts_in_answers": e.status == "active" and (e.issuer, e.entry_id) not in open_appeals}
                    for e in entries],
        "appeals": [{"id": a.id, "adjudication_id": a.adjudication_id, "issuer": a.issuer, "entry_id": a.entry_id,
                     "statement": a.statement, "status": a.status, "filed_at": a.created_at.isoformat(),
                     "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
                     "resolution": a.resolution} for a in appeals],
    }


def erase(session: Session, ledger: Ledger, *, tenant: str, buyer_id: str, today: date | None = None
          ) -> dict[str, Any]:
    """Erase what is past its retention; say what is kept, and until when (entries still standing are kept)."""
    today = today or utcnow().date()
    held = holdings(session, ledger, tenant=tenant, buyer_id=buyer_id)
    standing = [e for e in held["entries"] if e["status"] in ("active", "contested")]
    pending = [a for a in held["adjudications"] if a["status"] in ("waiting", "appealed")]
    erased: dict[str, int] = {}
    closed = session.execute(delete(LedgerAppeal).where(
        LedgerAppeal.tenant == tenant, LedgerAppeal.buyer_id == buyer_id, LedgerAppeal.status != "open"))
    erased["closed_appeals"] = closed.rowcount or 0
    done = session.execute(delete(LedgerAdjudication).where(
        LedgerAdjudication.tenant == tenant, LedgerAdjudication.buyer_id == buyer_id,
        LedgerAdjudication.status == "withdrawn"))
    erased["withdrawn_adjudications"] = done.rowcount or 0
    if not standing and not pending:
        gone = session.execute(delete(LedgerIdentity).where(LedgerIdentity.tenant == tenant,
                                                            LedgerIdentity.buyer_id == buyer_id))
        erased["identifiers"] = gone.rowcount or 0
    audit.record(session=session, actor=f"buyer:{buyer_id}", action="ledger.erasure", subject_type="buyer",
                 subject_id=buyer_id[:64], tenant=tenant, details={"erased": erased, "kept_entries": len(standing),
                                                                   "kept_adjudications": len(pending)})
    return {"erased": erased,
            "kept": [{"issuer": e["issuer"], "entry_id": e["entry_id"], "until": e["expires_on"]} for e in standing]
            + [{"adjudication_id": a["id"], "until": "decided + appeal window, then as an entry"} for a in pending],
            "today": today.isoformat()}
