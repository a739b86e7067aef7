"""Signed single-use links: forged, altered or foreign tokens are refused before anything is looked up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from refundguard.capture import links
from refundguard.service.errors import NotFound


def test_a_token_names_its_request_and_expiry_and_only_its_key_accepts_it(tmp_path: Path) -> None:
    key = links.link_key(tmp_path)
    assert links.link_key(tmp_path) == key  # kept in the data directory, made once
    assert (tmp_path / links.KEY_FILE).stat().st_mode & 0o077 == 0  # readable by the owner only
    expires = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    token = links.make_token("cap_123", expires, key)
    named = links.read_token(token, key)
    assert named.request_id == "cap_123" and named.expires == expires
    assert links.make_token("cap_123", expires, key) != token  # random part: two links differ
    other = links.link_key(tmp_path / "other")
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token.replace(".", ""), "x" * 300, "",
                token.split(".")[0] + "." + links.make_token("cap_999", expires, key).split(".")[1]):
        with pytest.raises(NotFound):
            links.read_token(bad, key)
    with pytest.raises(NotFound):
        links.read_token(token, other)


def test_a_configured_secret_is_used_as_is(tmp_path: Path) -> None:
    secret = "s" * 40
    assert links.link_key(tmp_path, secret) == secret.encode()
    assert not (tmp_path / links.KEY_FILE).exists()
    token = links.make_token("cap_1", datetime.now(UTC) + timedelta(hours=1), secret.encode())
    assert links.read_token(token, secret.encode()).request_id == "cap_1"


def test_nonces_and_codes_are_fresh() -> None:
    assert len({links.new_nonce() for _ in range(200)}) == 200
    assert links.digest("a") != links.digest("b") and len(links.digest("a")) == 64
