"""The OPRF operator's HTTP surface: members authenticated by signature, rate-limited, hostile requests refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from refundguard.ledger import auth, signing
from refundguard.ledger.config import Member
from refundguard.ledger.operator.app import OperatorConfig, create_operator_app, load_operator_config
from refundguard.ledger.operator.ratelimit import TokenBuckets
from refundguard.ledger.pseudonyms import oprf
from refundguard.ledger.pseudonyms.client import EVALUATE_PATH

MEMBER = signing.SigningKey.from_seed(bytes([3]) * 32)


@pytest.fixture
def operator(tmp_path: Path):
    app = create_operator_app(OperatorConfig(key_file=tmp_path / "oprf.key", rate_per_minute=1, burst=3,
                                             members=[Member(platform="shop-a", public_key=MEMBER.public_hex)]))
    with TestClient(app) as client:
        yield client, app.state.evaluator.public_key


def post(client: TestClient, payload: object, *, key: signing.SigningKey = MEMBER, member: str = "shop-a",
         content_type: str = "application/json", headers: dict | None = None, now: float | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signed = headers or auth.sign_request(key, member, "POST", EVALUATE_PATH, body, now=now)
    return client.post(EVALUATE_PATH, content=body, headers={"Content-Type": content_type, **signed})


def blinded(*messages: bytes) -> tuple[oprf.Blinded, dict]:
    b = oprf.blind(list(messages))
    return b, {"blinded": [base64.b64encode(e).decode() for e in b.elements]}


def test_a_member_gets_verifiable_evaluations(operator):
    client, public_key = operator
    assert client.get("/v1/oprf/key").json()["public_key"] == public_key
    state, payload = blinded(b"phone:+8613800138000", b"id:CN:11010519491231002X")
    r = post(client, payload)
    assert r.status_code == 200, r.text
    evaluated = [base64.b64decode(x) for x in r.json()["evaluated"]]
    assert len(oprf.finalize(state, evaluated, public_key)) == 2


def test_refusals_are_clear(operator):
    client, _ = operator
    _, payload = blinded(b"x")
    stranger = signing.SigningKey.from_seed(bytes([4]) * 32)
    cases = [
        (post(client, payload, headers={"X-Other": "1"}), 401, "unsigned"),
        (post(client, payload, key=stranger, member="shop-z"), 403, "unknown_member"),
        (post(client, payload, key=stranger), 401, "bad_signature"),
        (post(client, payload, now=1_000_000), 401, "stale_request"),
        (post(client, payload, content_type="text/plain"), 415, "unsupported_media_type"),
        (post(client, b"{" + b"x" * 20_000), 413, "payload_too_large"),
        (post(client, b"not json"), 422, "invalid_request"),
        (post(client, {"blinded": "abc"}), 422, "invalid_request"),
        (post(client, {"blinded": [base64.b64encode(bytes(32)).decode()]}), 422, "invalid_element"),
        (post(client, {"blinded": []}), 422, "invalid_request"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
        assert response.json()["error"]["message"]["zh"]


def test_a_replayed_request_is_refused(operator):
    client, _ = operator
    _, payload = blinded(b"x")
    body = json.dumps(payload).encode()
    headers = auth.sign_request(MEMBER, "shop-a", "POST", EVALUATE_PATH, body)
    assert post(client, body, headers=headers).status_code == 200
    again = post(client, body, headers=headers)
    assert again.status_code == 401 and again.json()["error"]["code"] == "replayed_request"


def test_a_member_over_its_rate_is_refused(operator):
    client, _ = operator
    codes = [post(client, blinded(b"x")[1]).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert "retry later" in post(client, blinded(b"x")[1]).json()["error"]["message"]["en"]


def test_token_buckets_refill_at_the_rate_and_cap_at_the_burst():
    buckets = TokenBuckets(rate_per_minute=60, burst=2)
    assert buckets.take("m", 2, now=0.0) and not buckets.take("m", 1, now=0.5)
    assert buckets.take("m", 1, now=1.5) and not buckets.take("m", 2, now=100.0 - 98.4)
    assert buckets.take("m", 2, now=1000.0) and not buckets.take("m", 1, now=1000.0)
    assert buckets.take("other", 2, now=0.0)


def test_operator_config_file(tmp_path: Path):
    (tmp_path / "op.toml").write_text(f'key_file = "k.key"\nrate_per_minute = 10\n[[members]]\nplatform = "a"\n'
                                      f'public_key = "{MEMBER.public_hex}"\n')
    config = load_operator_config(tmp_path / "op.toml")
    assert config.key_file == tmp_path / "k.key" and config.members[0].platform == "a"
    (tmp_path / "bad.toml").write_text("rate_per_minute = -1\n")
    from refundguard.errors import ConfigError

    with pytest.raises(ConfigError):
        load_operator_config(tmp_path / "bad.toml")
