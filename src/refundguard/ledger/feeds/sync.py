"""Pulling each peer's feed: fetch a page, verify all of it, apply all of it in one transaction, repeat.

A page is refused whole, with a stable code, when it is not what this member asked for or not what the peer signed:

============================  ==================================================================================
``peer_unreachable``          no HTTP answer; ``peer_http_error``: a status other than 200
``wrong_content_type``        not ``application/json``
``oversized_page``            more bytes than ``max_page_bytes`` or more records than ``page_records``
``malformed_page``            not JSON, or fields missing or of the wrong type
``unknown_signer``            the page or a record is signed by another key than the configured one
``bad_signature``             a page or record signature that does not verify
``replayed_page``             the page answers another request (nonce, ``after``) or is too old
``rollback``                  the peer's head is behind the record held here
``fork``                      the peer's chain disagrees with the records held here
``edited_record``             a record whose content does not match its signed hash
``gap`` / ``malformed_record``  records missing or not valid records
============================  ==================================================================================

The error, and for a fork the contradicting signed record as evidence, is kept on the peer's head row.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from refundguard.ledger import auth, signing
from refundguard.ledger.config import LedgerConfig, Peer
from refundguard.ledger.feeds import state
from refundguard.ledger.models import LedgerEntry, LedgerEntryKey, LedgerHead, LedgerRecord
from refundguard.ledger.records import GENESIS, FeedError, check_records, page_statement
from refundguard.service.db import Database, utcnow

log = logging.getLogger("refundguard.ledger.sync")
FEED_PATH = "/v1/ledger/feed"
MAX_PAGES_PER_RUN = 10_000


#: a verified record: the record as served, its validated body (None when erased), its canonical body text
Verified = tuple[dict[str, Any], dict[str, Any] | None, str | None]


@dataclass
class SyncResult:
    peer: str
    ok: bool
    applied: int
    head: int
    code: str | None = None
    error: str | None = None


class PeerFetcher:
    """Signed, size-limited GETs of a peer's feed pages."""

    def __init__(self, config: LedgerConfig, key: signing.SigningKey,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.config, self.key = config, key
        self.client = httpx.Client(timeout=config.peer_timeout_s, transport=transport, follow_redirects=False)

    def fetch(self, peer: Peer, after: int, nonce: str) -> Any:
        query = urlencode({"after": after, "limit": self.config.page_records, "nonce": nonce})
        target = f"{FEED_PATH}?{query}"
        headers = auth.sign_request(self.key, self.config.platform, "GET", target)
        try:
            with self.client.stream("GET", peer.url + target, headers=headers) as response:
                if response.status_code != 200:
                    raise FeedError("peer_http_error", f"{peer.platform} answered HTTP {response.status_code}")
                ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype != "application/json":
                    raise FeedError("wrong_content_type", f"{peer.platform} sent {ctype or 'no content type'!r}, "
                                                          "not application/json")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.config.max_page_bytes:
                    raise FeedError("oversized_page", f"page of {declared} bytes is over the "
                                                      f"{self.config.max_page_bytes}-byte limit")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.config.max_page_bytes:
                        raise FeedError("oversized_page", f"page over the {self.config.max_page_bytes}-byte limit")
        except httpx.HTTPError as exc:
            raise FeedError("peer_unreachable", f"{peer.platform} unreachable: {type(exc).__name__}") from None
        try:
            return json.loads(bytes(body))
        except ValueError:
            raise FeedError("malformed_page", f"{peer.platform} sent a page that is not JSON") from None

    def close(self) -> None:
        self.client.close()


def _field(page: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = page.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise FeedError("malformed_page", f"page field {name!r} is missing or of the wrong type")
    return value


def verify_page(page: Any, *, peer: Peer, after: int, nonce: str, held_seq: int, held_hash: str,
                config: LedgerConfig, now: datetime) -> list[Verified]:
    """Every record of ``page`` with its validated body, or :class:`FeedError`. Nothing is written."""
    if not isinstance(page, dict):
        raise FeedError("malformed_page", "the page is not a JSON object")
    issuer = _field(page, "issuer", str)
    if issuer != peer.platform or _field(page, "key", str) != peer.public_key:
        raise FeedError("unknown_signer", f"page signed as {issuer[:64]!r} with a key that is not the configured "
                                          f"key of {peer.platform}")
    records = _field(page, "records", list)
    if len(records) > config.page_records:
        raise FeedError("oversized_page", f"{len(records)} records, more than the {config.page_records} accepted")
    head = _field(page, "head", dict)
    head_seq, head_hash = _field(head, "seq", int), _field(head, "hash", str)
    count, generated_at = _field(page, "count", int), _field(page, "generated_at", str)
    statement = page_statement(issuer=issuer, after=_field(page, "after", int), count=count, head_seq=head_seq,
                               head_hash=head_hash, nonce=_field(page, "nonce", str), generated_at=generated_at)
    if not signing.verify(peer.public_key, signing.PAGE, statement, _field(page, "signature", str)):
        raise FeedError("bad_signature", f"the page signature does not verify under {peer.platform}'s key")
    if page["nonce"] != nonce or page["after"] != after:
        raise FeedError("replayed_page", "the page answers another request (nonce or position): replayed")
    try:
        served = datetime.fromisoformat(generated_at)
    except ValueError:
        raise FeedError("malformed_page", "generated_at is not an ISO time") from None
    if served.tzinfo is None or abs((now - served).total_seconds()) > config.clock_tolerance_s:
        raise FeedError("replayed_page", f"the page was generated at {generated_at}, outside the clock tolerance")
    if count != len(records):
        raise FeedError("malformed_page", f"the page says {count} records but holds {len(records)}")
    if head_seq < held_seq:
        raise FeedError("rollback", f"{peer.platform}'s feed ends at record {head_seq}, but record {held_seq} is "
                                    "held here: the feed was rolled back")
    if head_seq == held_seq and head_hash != held_hash:
        raise FeedError("fork", f"{peer.platform}'s record {head_seq} differs from the one held here (fork)")
    if head_seq > held_seq and not records:
        raise FeedError("gap", f"the head is record {head_seq} but the page holds none after {held_seq}")
    checked = check_records(records, issuer=issuer, public_key=peer.public_key, seq=held_seq + 1, prev=held_hash)
    seq, prev = held_seq + len(records), records[-1]["hash"] if records else held_hash
    if seq > head_seq or (seq == head_seq and prev != head_hash):
        raise FeedError("fork", f"the records served do not end at the signed head {head_seq}")
    return [(record, body, text) for record, (body, text) in zip(records, checked, strict=True)]


def apply_page(session: Session, *, issuer: str, held_seq: int,
               records: list[Verified], today: date) -> int:
    """Write a verified page in the caller's transaction; the head must still be at ``held_seq``."""
    head = session.execute(select(LedgerHead).where(LedgerHead.issuer == issuer).with_for_update()).scalar_one()
    if head.seq != held_seq:
        raise FeedError("concurrent_sync", f"{issuer}'s feed moved from {held_seq} to {head.seq} meanwhile")
    rows: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    keys: list[dict[str, Any]] = []
    now = utcnow()

    def flush() -> None:
        for model, batch in ((LedgerRecord, rows), (LedgerEntry, entries), (LedgerEntryKey, keys)):
            if batch:
                session.execute(insert(model), batch)
                batch.clear()

    for record, body, text in records:
        rows.append({"issuer": issuer, "seq": record["seq"], "prev": record["prev"], "kind": record["kind"],
                     "at": record["at"], "body_sha256": record["body_sha256"], "hash": record["hash"],
                     "sig": record["sig"], "body": text,
                     "entry_id": None if body is None else body["entry_id"], "received_at": now})
        if body is None:
            continue
        if record["kind"] == "entry":
            expires = date.fromisoformat(body["expires_on"])
            entries.append({"issuer": issuer, "entry_id": body["entry_id"], "outcome": body["outcome"],
                            "amount": body["amount"], "currency": body["currency"],
                            "decided_on": date.fromisoformat(body["decided_on"]), "category": body.get("category"),
                            "evidence_sha256": body["evidence_sha256"], "expires_on": expires,
                            "status": "active" if expires > today else "expired", "status_reason": None,
                            "record_seq": record["seq"], "record_hash": record["hash"]})
            keys.extend({"pseudonym": p, "issuer": issuer, "entry_id": body["entry_id"]}
                        for p in dict.fromkeys(body["pseudonyms"]))
        else:
            flush()
            state.apply(session, issuer=issuer, seq=record["seq"], kind=record["kind"], body=body, today=today,
                        record_hash=record["hash"])
    flush()
    if records:
        head.seq, head.hash = records[-1][0]["seq"], records[-1][0]["hash"]
    head.synced_at, head.error_code, head.error, head.error_at = now, None, None, None
    session.flush()
    return len(records)


def _held(db: Database, peer: Peer) -> tuple[int, str]:
    with db.session() as session:
        head = session.get(LedgerHead, peer.platform)
        if head is None:
            head = LedgerHead(issuer=peer.platform, seq=0, hash=GENESIS, public_key=peer.public_key)
            session.add(head)
        elif head.public_key != peer.public_key:
            head.public_key = peer.public_key
        return head.seq, head.hash


def _refused(db: Database, peer: Peer, exc: FeedError, evidence: Any = None) -> None:
    with db.session() as session:
        head = session.get(LedgerHead, peer.platform)
        if head is not None:
            head.error_code, head.error, head.error_at = exc.code, exc.message[:2000], utcnow()
            if evidence is not None:
                head.evidence = json.dumps(evidence, ensure_ascii=False)[:100_000]


def sync_peer(db: Database, fetcher: PeerFetcher, peer: Peer, *, max_pages: int = MAX_PAGES_PER_RUN) -> SyncResult:
    """Pull ``peer`` until its head (or ``max_pages``); a refused page stops the run and is recorded."""
    applied = 0
    held_seq, held_hash = _held(db, peer)
    for _ in range(max_pages):
        nonce = secrets.token_hex(16)
        page: Any = None
        try:
            page = fetcher.fetch(peer, held_seq, nonce)
            now = datetime.now(UTC)
            records = verify_page(page, peer=peer, after=held_seq, nonce=nonce, held_seq=held_seq,
                                  held_hash=held_hash, config=fetcher.config, now=now)
            with db.session() as session:
                applied += apply_page(session, issuer=peer.platform, held_seq=held_seq, records=records,
                                      today=now.date())
        except FeedError as exc:
            evidence = page.get("records", [None])[0] if exc.code == "fork" and isinstance(page, dict) \
                and isinstance(page.get("records"), list) and page["records"] else None
            log.warning("sync from %s refused (%s): %s", peer.platform, exc.code, exc.message)
            _refused(db, peer, exc, evidence)
            return SyncResult(peer.platform, False, applied, held_seq, exc.code, exc.message)
        if not records:
            break
        held_seq, held_hash = records[-1][0]["seq"], records[-1][0]["hash"]
        if held_seq >= page["head"]["seq"]:
            break
    return SyncResult(peer.platform, True, applied, held_seq)
