"""Feed records: their canonical form, chain hash, signature, and the checks a member makes before applying them.

A platform's feed is the sequence of records it issued, numbered from 1. Each record names the hash of the one
before it (``prev``; the first names :data:`GENESIS`) and carries its body's SHA-256; the record hash covers
the header (issuer, seq, prev, kind, time, body hash) and the issuer signs that hash with Ed25519. A member
accepts a record only when the signature verifies under the issuer's *configured* key, the number follows the
last one it holds, ``prev`` is the hash it holds, and the body (when present) matches its hash and its schema.

The body of an entry is erased once the entry is revoked or expired (PIPL: delete what is no longer needed);
the record stays, with ``body: null``, so the chain still verifies for a member that syncs later.

Pure: no I/O, no database.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from refundguard.ledger import signing

GENESIS = "0" * 64
HEX64 = r"^[0-9a-f]{64}$"
KINDS = ("entry", "revocation", "contest", "reinstate")
REVOCATION_REASONS = ("appeal_upheld", "court_decision", "expired", "issuer_withdrawn")
EntryId = Annotated[str, Field(pattern=r"^e_[0-9a-f]{20}$")]


class FeedError(Exception):
    """A feed or page that must be refused; ``code`` says why (stable, for status pages and tests)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def canonical(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EntryBody(_Body):
    """An adjudicated outcome: never a score, never a name, photo, address or raw identifier."""

    entry_id: EntryId
    pseudonyms: list[Annotated[str, Field(pattern=HEX64)]] = Field(min_length=1, max_length=4)
    outcome: Annotated[str, Field(pattern=r"^[a-z_]{3,40}$")]
    amount: float = Field(ge=0, le=1e9)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    decided_on: str
    category: Annotated[str, Field(max_length=64)] | None = None
    evidence_sha256: Annotated[str, Field(pattern=HEX64)]
    expires_on: str

    @field_validator("amount", mode="before")
    @classmethod
    def _number(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("amount must be a finite number")
        return float(value)

    @field_validator("decided_on", "expires_on")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        date.fromisoformat(value)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("dates are YYYY-MM-DD")
        return value


class RevocationBody(_Body):
    entry_id: EntryId
    reason: Literal["appeal_upheld", "court_decision", "expired", "issuer_withdrawn"]


class ContestBody(_Body):
    """The buyer appealed: members leave the entry out of every answer until the issuer resolves it."""

    entry_id: EntryId


class ReinstateBody(_Body):
    """The appeal was rejected: the entry counts again."""

    entry_id: EntryId
    reason: Literal["appeal_rejected"]


BODIES: dict[str, type[_Body]] = {"entry": EntryBody, "revocation": RevocationBody, "contest": ContestBody,
                                  "reinstate": ReinstateBody}


def header(*, issuer: str, seq: int, prev: str, kind: str, at: str, body_sha256: str) -> dict[str, Any]:
    return {"issuer": issuer, "seq": seq, "prev": prev, "kind": kind, "at": at, "body_sha256": body_sha256}


def record_hash(head: dict[str, Any]) -> str:
    return sha256_hex(canonical(head))


def make_record(key: signing.SigningKey, *, issuer: str, seq: int, prev: str, kind: str, at: datetime,
                body: dict[str, Any]) -> dict[str, Any]:
    """A signed record (validated against its kind's schema first)."""
    parsed = BODIES[kind].model_validate(body)
    clean = parsed.model_dump(mode="json")
    head = header(issuer=issuer, seq=seq, prev=prev, kind=kind, at=at.isoformat(timespec="seconds"),
                  body_sha256=sha256_hex(canonical(clean)))
    digest = record_hash(head)
    return {**head, "hash": digest, "sig": key.sign(signing.RECORD, bytes.fromhex(digest)), "body": clean}


_RECORD_KEYS = {"issuer", "seq", "prev", "kind", "at", "body_sha256", "hash", "sig", "body"}


def _content(record: Any, *, issuer: str, seq: int, prev: str) -> tuple[str, dict[str, Any] | None, str | None]:
    """Everything about a record but its signature: ``(hash, validated body or None, canonical body text)``."""
    if not isinstance(record, dict) or set(record) != _RECORD_KEYS:
        raise FeedError("malformed_record", f"record {seq}: not a feed record (fields {sorted(_RECORD_KEYS)})")
    for name in ("issuer", "prev", "kind", "at", "body_sha256", "hash", "sig"):
        if not isinstance(record[name], str) or len(record[name]) > 200:
            raise FeedError("malformed_record", f"record {seq}: field {name} must be a short string")
    if isinstance(record["seq"], bool) or not isinstance(record["seq"], int):
        raise FeedError("malformed_record", f"record {seq}: seq must be an integer")
    if record["issuer"] != issuer:
        raise FeedError("unknown_signer", f"record {seq} names issuer {record['issuer'][:64]!r}, not {issuer!r}")
    if record["seq"] != seq:
        raise FeedError("gap", f"expected record {seq}, got {record['seq']}")
    if record["kind"] not in KINDS:
        raise FeedError("malformed_record", f"record {seq}: unknown kind {record['kind'][:32]!r}")
    try:
        datetime.fromisoformat(record["at"])
    except ValueError:
        raise FeedError("malformed_record", f"record {seq}: 'at' is not an ISO time") from None
    head = header(issuer=issuer, seq=seq, prev=record["prev"], kind=record["kind"], at=record["at"],
                  body_sha256=record["body_sha256"])
    digest = record_hash(head)
    if digest != record["hash"]:
        raise FeedError("edited_record", f"record {seq}: its hash does not match its content (edited)")
    if record["prev"] != prev:
        raise FeedError("fork", f"record {seq} links to {record['prev'][:16]}…, but record {seq - 1} held here "
                                f"is {prev[:16]}… (the feed was forked or rewritten)")
    body = record["body"]
    if body is None:
        if record["kind"] != "entry":
            raise FeedError("malformed_record", f"record {seq}: only an entry's body may be erased")
        return digest, None, None
    try:
        text = canonical(body)
    except (TypeError, ValueError):
        raise FeedError("malformed_record", f"record {seq}: the body is not plain JSON") from None
    if sha256_hex(text) != record["body_sha256"]:
        raise FeedError("edited_record", f"record {seq}: its body does not match the signed body hash (edited)")
    try:
        BODIES[record["kind"]].model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise FeedError("malformed_record", f"record {seq}: body {where}: {first.get('msg')}") from None
    return digest, body, text.decode()


def _signed(record: Any, digest: str, public_key: str) -> bool:
    sig = record.get("sig") if isinstance(record, dict) else None
    return isinstance(sig, str) and signing.verify(public_key, signing.RECORD, bytes.fromhex(digest), sig)


def check_record(record: Any, *, issuer: str, public_key: str, seq: int, prev: str) -> dict[str, Any] | None:
    """Verify one record that should be number ``seq`` after ``prev`` in ``issuer``'s feed.

    Returns the validated body (``None`` for an erased entry body); raises :class:`FeedError` otherwise.
    """
    return check_records([record], issuer=issuer, public_key=public_key, seq=seq, prev=prev)[0][0]


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="rg-verify")
    return _POOL


def check_records(records: list[Any], *, issuer: str, public_key: str, seq: int, prev: str
                  ) -> list[tuple[dict[str, Any] | None, str | None]]:
    """Verify records ``seq, seq+1, …`` after ``prev``: ``(body, canonical body text)`` for each, or the first
    :class:`FeedError` in feed order. A record's signature is checked before any other fault of it is reported (a
    fork is only a fork when the peer signed it); signatures are checked on a few threads (OpenSSL releases the GIL).
    """
    checked: list[tuple[str, dict[str, Any] | None, str | None]] = []
    failure: FeedError | None = None
    for offset, record in enumerate(records):
        try:
            checked.append(_content(record, issuer=issuer, seq=seq + offset, prev=prev))
        except FeedError as exc:
            failure = exc
            break
        prev = record["hash"]
    digests = [c[0] for c in checked]
    if failure is not None and failure.code in ("edited_record", "fork") \
            and isinstance(records[len(checked)], dict) and isinstance(records[len(checked)].get("hash"), str):
        digests.append(records[len(checked)]["hash"])  # the faulty record's own signature is checked first
    if len(digests) > 64:
        valid = list(_pool().map(_signed, records[:len(digests)], digests, [public_key] * len(digests),
                                 chunksize=64))
    else:
        valid = [_signed(r, d, public_key) for r, d in zip(records, digests, strict=False)]
    for offset, ok in enumerate(valid):
        if not ok:
            raise FeedError("bad_signature", f"record {seq + offset}: the signature does not verify under "
                                             f"{issuer}'s key")
    if failure is not None:
        raise failure
    return [(body, text) for _, body, text in checked]


def page_statement(*, issuer: str, after: int, count: int, head_seq: int, head_hash: str, nonce: str,
                   generated_at: str) -> bytes:
    """What a page signature covers: who served it, for which request (``after``, ``nonce``), and the head."""
    return canonical({"issuer": issuer, "after": after, "count": count, "head_seq": head_seq,
                      "head_hash": head_hash, "nonce": nonce, "generated_at": generated_at})
