"""Webhook signatures: ``HMAC-SHA256(secret, f"{timestamp}.{body}")``.

Headers sent with every delivery:

- ``X-RefundGuard-Timestamp``: Unix seconds when this attempt was signed.
- ``X-RefundGuard-Signature``: ``v1=<lowercase hex digest>``.
- ``X-RefundGuard-Event``: the event name (e.g. ``claim.state_changed``).
- ``X-RefundGuard-Delivery``: the delivery id (the same across retries: use it to drop duplicates).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-RefundGuard-Timestamp"
SIGNATURE_HEADER = "X-RefundGuard-Signature"
EVENT_HEADER = "X-RefundGuard-Event"
DELIVERY_HEADER = "X-RefundGuard-Delivery"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, *, timestamp: str | None, signature: str | None, body: bytes, tolerance_s: int = 300,
           now: float | None = None) -> bool:
    """Check a received delivery: a valid signature over this body, signed within ``tolerance_s``."""
    if not timestamp or not signature:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature.strip())


def backoff(attempt: int, *, base_s: float, max_s: float) -> float:
    """Delay before retry number ``attempt`` (1-based): ``base * 2**(attempt-1)``, capped."""
    return float(min(max_s, base_s * (2 ** max(0, attempt - 1))))
