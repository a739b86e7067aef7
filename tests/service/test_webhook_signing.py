"""Webhook signatures and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac

from refundguard.service.webhooks import signing

BODY = b'{"event":"claim.state_changed","data":{"claim_id":"clm_1"}}'


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.sign("s3cret", 1700000000, BODY) == "v1=" + expected


def test_verify_accepts_fresh_and_rejects_tampered_or_stale() -> None:
    sig = signing.sign("s3cret", 1700000000, BODY)
    assert signing.verify("s3cret", timestamp="1700000000", signature=sig, body=BODY, now=1700000010)
    assert not signing.verify("other", timestamp="1700000000", signature=sig, body=BODY, now=1700000010)
    assert not signing.verify("s3cret", timestamp="1700000000", signature=sig, body=BODY + b" ", now=1700000010)
    assert not signing.verify("s3cret", timestamp="1700000001", signature=sig, body=BODY, now=1700000010)
    assert not signing.verify("s3cret", timestamp="1700000000", signature=sig, body=BODY, now=1700000000 + 301)
    assert not signing.verify("s3cret", timestamp="soon", signature=sig, body=BODY, now=1700000000)
    assert not signing.verify("s3cret", timestamp=None, signature=sig, body=BODY)


def test_backoff_doubles_and_is_capped() -> None:
    delays = [signing.backoff(n, base_s=2, max_s=20) for n in range(1, 6)]
    assert delays == [2, 4, 8, 16, 20]
