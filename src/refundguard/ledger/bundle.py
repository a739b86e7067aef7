"""The ledger's part of the evidence bundle: the entries the analysis found, each with its signed record, checked
again when the bundle is made; and the offline check of the attached records (``refundguard ledger verify-records``).

The entries are those of the report's ``ledger.prior_abuse`` finding (the answer to the audited query made for the
open claim); reading their records by number is not a new query about the buyer.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from refundguard.ledger import signing
from refundguard.ledger.config import LedgerConfig
from refundguard.ledger.models import LedgerEntry, LedgerHead, LedgerRecord
from refundguard.ledger.records import FeedError, check_record
from refundguard.messages import Context, shown
from refundguard.report.pdf import CrossPlatform, LedgerEntryProof


def _record(row: LedgerRecord) -> dict[str, Any]:
    return {"issuer": row.issuer, "seq": row.seq, "prev": row.prev, "kind": row.kind, "at": row.at,
            "body_sha256": row.body_sha256, "hash": row.hash, "sig": row.sig,
            "body": None if row.body is None else json.loads(row.body)}


def verify_record(record: dict[str, Any], public_key: str) -> tuple[bool, str]:
    try:
        body = check_record(record, issuer=str(record.get("issuer")), public_key=public_key,
                            seq=record.get("seq") if isinstance(record.get("seq"), int) else -1,
                            prev=str(record.get("prev")))
    except FeedError as exc:
        return False, exc.message
    return True, "signature valid" + ("" if body is not None else " (entry data erased since)")


def cross_platform(session: Session, report: dict[str, Any] | None, *, own_platform: str) -> CrossPlatform:
    """The bundle section for a claim's newest report (reviewer and police views)."""
    finding = next((f for f in (report or {}).get("findings", []) if f.get("code") == "ledger.prior_abuse"), None)
    status = ((report or {}).get("checks") or {}).get("ledger") or {}
    if finding is None:
        if status.get("status") == "ran":
            return CrossPlatform(note_en="The ledger was asked for this claim: no standing entry for the buyer.",
                                 note_zh="已为本申请查询账本：该买家在账本中没有有效条目。")
        if status.get("status") == "failed":
            why_en = why_zh = str(status.get("error") or "")
        elif status:
            stored = status.get("why")
            why_en = shown(status.get("key"), status.get("params"), Context("en"), stored=stored)
            why_zh = shown(status.get("key"), status.get("params"), Context("zh"), stored=stored)
        else:
            why_en, why_zh = "the ledger check did not run", "账本检查未运行"
        return CrossPlatform(note_en=f"The ledger was not consulted: {why_en}.", note_zh=f"未查询账本：{why_zh}。")
    proofs, records = [], []
    keys = {h.issuer: h.public_key for h in session.query(LedgerHead)}
    for item in (finding.get("details") or {}).get("entries", [])[:200]:
        row = session.get(LedgerRecord, (item.get("issuer"), item.get("record_seq")))
        entry = session.get(LedgerEntry, (item.get("issuer"), item.get("entry_id")))
        key = keys.get(str(item.get("issuer"))) or ""
        ok = False
        if row is not None and key:
            record = _record(row)
            ok = verify_record(record, key)[0] and record["hash"] == item.get("record_hash")
            records.append({"record": record, "public_key": key})
        proofs.append(LedgerEntryProof(
            issuer=str(item.get("issuer")), entry_id=str(item.get("entry_id")), decided_on=item.get("decided_on"),
            outcome=item.get("outcome"), amount=item.get("amount"), currency=item.get("currency"),
            record_seq=int(item.get("record_seq") or 0), record_hash=str(item.get("record_hash") or ""),
            key_fingerprint=signing.fingerprint(key) if key else "—", verified=ok,
            status=entry.status if entry is not None else "unknown", own=item.get("issuer") == own_platform))
    return CrossPlatform(entries=proofs, records=records,
                         note_en="Entries found by the ledger when the claim was analysed; status as held now.",
                         note_zh="分析本申请时账本查到的条目；状态为生成本文件时的状态。")


def verify_attachment(data: Any) -> list[dict[str, Any]]:
    """Check every record of a ``ledger-records.json`` attachment against the public key given with it."""
    out = []
    items = data.get("records") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        record = item.get("record") if isinstance(item, dict) else None
        key = item.get("public_key") if isinstance(item, dict) else None
        if not isinstance(record, dict) or not isinstance(key, str):
            out.append({"ok": False, "issuer": "?", "seq": "?", "entry_id": "?", "detail": "not a record"})
            continue
        ok, detail = verify_record(record, key)
        out.append({"ok": ok, "issuer": record.get("issuer"), "seq": record.get("seq"),
                    "entry_id": (record.get("body") or {}).get("entry_id", "(erased)"),
                    "detail": f"{detail}; key {signing.fingerprint(key) if len(key) == 64 else '?'}"})
    return out


def section_for(session: Session, report: dict[str, Any] | None,
                config: LedgerConfig | None = None) -> CrossPlatform | None:
    """The section for a stored claim, or None when the ledger is disabled: the ledger attached to this database
    in this process, else ``config`` (the application's ``[ledger]`` settings), else the ledger environment."""
    from refundguard.errors import ConfigError
    from refundguard.ledger import hooks
    from refundguard.ledger.config import load_ledger_config

    ledger = hooks.for_session(session)
    if ledger is not None:
        return cross_platform(session, report, own_platform=ledger.config.platform)
    if config is None:
        try:
            config = load_ledger_config()
        except ConfigError:
            return None
    return cross_platform(session, report, own_platform=config.platform) if config.enabled else None
