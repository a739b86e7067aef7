"""Member authentication: requests between members (and to the operator) are signed with the sender's Ed25519 key.

Headers: ``X-Ledger-Member`` (the sender's platform name), ``X-Ledger-Time`` (Unix seconds), ``X-Ledger-Nonce``
(random) and ``X-Ledger-Signature``: the signature of the method, path with query, time, nonce and body SHA-256.
The receiver knows each member's public key from its configuration (membership = configured keys), refuses a time
outside its tolerance and a nonce it has already seen inside that window (replay).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping

from refundguard.ledger import signing
from refundguard.ledger.records import canonical, sha256_hex


class AuthError(Exception):
    def __init__(self, code: str, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def statement(*, member: str, method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return canonical({"member": member, "method": method.upper(), "target": target, "time": timestamp,
                      "nonce": nonce, "body_sha256": sha256_hex(body)})


def sign_request(key: signing.SigningKey, member: str, method: str, target: str, body: bytes = b"",
                 *, now: float | None = None) -> dict[str, str]:
    """Headers that authenticate a request to ``target`` (path and query, e.g. ``/v1/ledger/feed?after=3``)."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    text = statement(member=member, method=method, target=target, timestamp=timestamp, nonce=nonce, body=body)
    return {"X-Ledger-Member": member, "X-Ledger-Time": timestamp, "X-Ledger-Nonce": nonce,
            "X-Ledger-Signature": key.sign(signing.REQUEST, text)}


class NonceCache:
    """Nonces seen within the clock tolerance (bounded; the oldest fall out first)."""

    def __init__(self, size: int = 100_000) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, nonce: str, expires: float) -> bool:
        """Record ``nonce``; False when it was already seen and has not expired."""
        now = time.time()
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now or len(self._seen) >= self._size):
                self._seen.popitem(last=False)
            if nonce in self._seen:
                return False
            self._seen[nonce] = expires
            return True


def verify_request(headers: Mapping[str, str], *, method: str, target: str, body: bytes,
                   members: Mapping[str, str], tolerance_s: int, nonces: NonceCache) -> str:
    """The authenticated member's name, or :class:`AuthError`."""
    member = headers.get("x-ledger-member", "")
    timestamp = headers.get("x-ledger-time", "")
    nonce = headers.get("x-ledger-nonce", "")
    signature = headers.get("x-ledger-signature", "")
    if not (member and timestamp and nonce and signature):
        raise AuthError("unsigned", "member request without X-Ledger-Member/-Time/-Nonce/-Signature headers")
    key = members.get(member)
    if key is None:
        raise AuthError("unknown_member", f"{member[:64]!r} is not a configured member", status=403)
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        raise AuthError("stale_request", "X-Ledger-Time is outside the allowed clock difference")
    if len(nonce) > 64:
        raise AuthError("bad_nonce", "X-Ledger-Nonce is too long")
    text = statement(member=member, method=method, target=target, timestamp=timestamp, nonce=nonce, body=body)
    if not signing.verify(key, signing.REQUEST, text, signature):
        raise AuthError("bad_signature", f"the request signature does not verify under {member}'s key")
    if not nonces.add(f"{member}:{nonce}", int(timestamp) + tolerance_s):
        raise AuthError("replayed_request", "this request was already received (replay)")
    return member
