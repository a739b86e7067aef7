"""The buyer's link and the session's one-time values.

A link reads ``/capture/<token>``; the token is ``<payload>.<mac>``: the payload (base64url) names the request
and the link's expiry, the MAC is HMAC-SHA256 over it with the server's link key. A token is checked without the
database first (a forged or altered one is refused at once, an expired one is 410), then against the request
row, which keeps only its SHA-256. The one-time code is drawn when the buyer starts the session, so it did not
exist before; the session nonce is returned once to the page and kept only as a hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from refundguard.checks._live.code import ALPHABET, CODE_LENGTH
from refundguard.service.errors import NotFound

KEY_FILE = "capture-link.key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def link_key(data_dir: Path, configured: str | None = None) -> bytes:
    """The HMAC key of the links: the configured one, else a random key kept in ``data_dir`` (made once, 0600)."""
    if configured:
        return configured.encode("utf-8")
    path = Path(data_dir) / KEY_FILE
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except (OSError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text("ascii").strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return key


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:20])


def make_token(request_id: str, expires: datetime, key: bytes) -> str:
    payload = _b64(f"{request_id}|{int(expires.timestamp())}|{secrets.token_hex(8)}".encode("ascii"))
    return f"{payload}.{_mac(key, payload)}"


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a well-signed token says: its request and when the link expires."""

    request_id: str
    expires: datetime


def read_token(token: str, key: bytes) -> LinkClaim:
    """The request a token names; :class:`NotFound` for anything not signed by this server."""
    invalid = NotFound("this capture link is not valid", "该拍摄链接无效")
    if not isinstance(token, str) or len(token) > 200 or token.count(".") != 1:
        raise invalid
    payload, mac = token.split(".")
    if not hmac.compare_digest(_mac(key, payload), mac):
        raise invalid
    try:
        request_id, expires, _ = _unb64(payload).decode("ascii").split("|")
        return LinkClaim(request_id, datetime.fromtimestamp(int(expires), UTC))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_code() -> str:
    """A one-time code of :data:`~refundguard.checks._live.code.CODE_LENGTH` characters from the alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def new_nonce() -> str:
    return secrets.token_urlsafe(24)
