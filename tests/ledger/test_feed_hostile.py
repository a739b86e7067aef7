"""A member pulling a hostile peer over loopback: forged signatures, edited entries, rolled-back and forked feeds,
unknown signers, wrong content types, oversized and malformed pages, replayed pages — each refused with its code,
and nothing of a refused page applied."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from refundguard.ledger import signing
from refundguard.ledger.config import LedgerConfig, OperatorLink, Peer
from refundguard.ledger.models import LedgerEntry, LedgerHead, LedgerRecord
from refundguard.ledger.records import GENESIS, make_record, page_statement
from tests.ledger.helpers import Node, serve, signing_key
from tests.service.svc_helpers import free_port

PEER_KEY = signing.SigningKey.from_seed(bytes([7]) * 32)
STRANGER = signing.SigningKey.from_seed(bytes([9]) * 32)


def body(n: int, amount: float = 50.0) -> dict[str, Any]:
    return {"entry_id": f"e_{n:020x}", "pseudonyms": [f"{n:064x}"], "outcome": "forged_evidence", "amount": amount,
            "currency": "CNY", "decided_on": "2026-05-01", "category": None, "evidence_sha256": "ab" * 32,
            "expires_on": "2099-01-01"}


def build(n: int, key: signing.SigningKey = PEER_KEY, start: list[dict] | None = None, seed: int = 0) -> list[dict]:
    records = list(start or [])
    for seq in range(len(records) + 1, n + 1):
        prev = records[-1]["hash"] if records else GENESIS
        records.append(make_record(key, issuer="mallory", seq=seq, prev=prev, kind="entry",
                                   at=datetime.now(UTC), body=body(seq + seed)))
    return records


class HostilePeer:
    """Serves ``records`` as the feed of ``mallory``; ``mode`` changes how."""

    def __init__(self) -> None:
        self.records = build(3)
        self.mode = "good"
        self.captured: dict[str, Any] | None = None

    def page(self, after: int, limit: int, nonce: str, key: signing.SigningKey = PEER_KEY,
             records: list[dict] | None = None, head: tuple[int, str] | None = None) -> dict[str, Any]:
        chain = records if records is not None else self.records
        rows = [r for r in chain if r["seq"] > after][:limit]
        head_seq, head_hash = head or ((chain[-1]["seq"], chain[-1]["hash"]) if chain else (0, GENESIS))
        at = datetime.now(UTC).isoformat(timespec="seconds")
        text = page_statement(issuer="mallory", after=after, count=len(rows), head_seq=head_seq, head_hash=head_hash,
                              nonce=nonce, generated_at=at)
        return {"issuer": "mallory", "key": key.public_hex, "after": after, "count": len(rows),
                "head": {"seq": head_seq, "hash": head_hash}, "nonce": nonce, "generated_at": at,
                "signature": key.sign(signing.PAGE, text), "records": copy.deepcopy(rows)}

    async def feed(self, request: Request) -> Response:
        q = request.query_params
        after, limit, nonce = int(q["after"]), int(q["limit"]), q["nonce"]
        mode = self.mode
        if mode == "http_500":
            return JSONResponse({"error": "boom"}, status_code=500)
        if mode == "wrong_content_type":
            return Response(json.dumps(self.page(after, limit, nonce)), media_type="text/html")
        if mode == "not_json":
            return Response(b"{not json", media_type="application/json")
        if mode == "json_list":
            return JSONResponse([1, 2, 3])
        if mode == "oversized":
            return JSONResponse({**self.page(after, limit, nonce), "padding": "x" * 200_000})
        if mode == "too_many_records":
            return JSONResponse(self.page(after, 10_000, nonce, records=build(60, start=self.records)))
        if mode == "unknown_key":
            return JSONResponse(self.page(after, limit, nonce, key=STRANGER))
        if mode == "replay":
            return JSONResponse(self.captured)
        page = self.page(after, limit, nonce)
        if mode == "capture":
            self.captured = page
        elif mode == "forged_signature":
            prev = self.records[after - 1]["hash"]
            page["records"][0] = make_record(STRANGER, issuer="mallory", seq=after + 1, prev=prev, kind="entry",
                                             at=datetime.now(UTC), body=body(after + 1))
        elif mode == "edited_entry":
            page["records"][0]["body"]["amount"] = 1.0
        elif mode == "half_bad":
            page["records"][1]["body"]["amount"] = 1.0
        elif mode == "rollback":
            page = self.page(after, limit, nonce, records=self.records[:2])
        elif mode == "fork":
            other = build(5, start=self.records[:2], seed=100)
            page = self.page(after, limit, nonce, records=other)
        return JSONResponse(page)


@pytest.fixture
def member(tmp_path: Path):
    peer = HostilePeer()
    fake = serve(Starlette(routes=[Route("/v1/ledger/feed", peer.feed)]))
    keys = tmp_path / "b" / "keys"
    node = Node("b", tmp_path / "b", free_port(), f"sqlite:///{tmp_path / 'b.db'}", signing_key(keys))
    config = LedgerConfig(mode="network", platform="b", key_dir=tmp_path / "b" / "keys", max_page_bytes=64 * 1024,
                          page_records=50, operator=OperatorLink(url="http://127.0.0.1:9", public_key="00" * 32),
                          peers=[Peer(platform="mallory", url=fake.url, public_key=PEER_KEY.public_hex)])
    node.start(config)
    yield node, peer
    node.stop()
    fake.stop()


def held(node: Node) -> tuple[int, int, int]:
    with node.app.state.db.session() as session:
        head = session.get(LedgerHead, "mallory")
        records = session.scalar(select(func.count()).select_from(LedgerRecord).where(LedgerRecord.issuer == "mallory"))
        entries = session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.issuer == "mallory"))
        return head.seq if head else 0, int(records or 0), int(entries or 0)


def sync(node: Node) -> dict:
    results = node.ledger.sync()
    assert len(results) == 1
    return results[0].__dict__


HOSTILE = [("forged_signature", "bad_signature"), ("edited_entry", "edited_record"), ("rollback", "rollback"),
           ("fork", "fork"), ("unknown_key", "unknown_signer"), ("wrong_content_type", "wrong_content_type"),
           ("oversized", "oversized_page"), ("too_many_records", "oversized_page"), ("not_json", "malformed_page"),
           ("json_list", "malformed_page"), ("half_bad", "edited_record"), ("http_500", "peer_http_error")]


def test_hostile_pages_are_refused_whole_and_named(member):
    node, peer = member
    assert sync(node)["ok"] and held(node) == (3, 3, 3)
    peer.records = build(5, start=peer.records)
    for mode, code in HOSTILE:
        peer.mode = mode
        result = sync(node)
        assert (result["ok"], result["code"]) == (False, code), (mode, result)
        assert held(node) == (3, 3, 3), f"{mode}: something was applied"
    status = node.call("GET", "/v1/ledger/status", "admin").json()
    assert status["peers"][0]["error_code"] == "peer_http_error"
    peer.mode = "good"
    assert sync(node)["ok"] and held(node) == (5, 5, 5)


def test_a_fork_keeps_the_contradicting_signed_record_as_evidence(member):
    node, peer = member
    sync(node)
    peer.mode = "fork"
    peer.records = build(5, start=peer.records)
    assert sync(node)["code"] == "fork"
    with node.app.state.db.session() as session:
        evidence = json.loads(session.get(LedgerHead, "mallory").evidence)
    # record 4 is validly signed by mallory and links to a record 3 that is not the one mallory served before
    assert evidence["seq"] == 4 and evidence["prev"] != peer.records[2]["hash"]


def test_a_replayed_page_is_refused(member):
    node, peer = member
    peer.mode = "capture"
    sync(node)  # the page for after=0 is captured
    peer.records = build(5, start=peer.records)
    peer.mode = "replay"
    result = sync(node)
    assert result["code"] == "replayed_page" and held(node) == (3, 3, 3)


def test_feed_endpoint_refuses_unsigned_unknown_and_replayed_requests(member):
    node, _ = member
    assert node.call("GET", "/v1/ledger/feed?after=0&nonce=" + "a" * 32).status_code == 401
    from refundguard.ledger import auth

    target = "/v1/ledger/feed?after=0&limit=10&nonce=" + "b" * 32
    stranger = auth.sign_request(STRANGER, "stranger", "GET", target)
    assert node.call("GET", target, headers=stranger).status_code == 403
    signed = auth.sign_request(PEER_KEY, "mallory", "GET", target)
    first = node.call("GET", target, headers=signed)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    again = node.call("GET", target, headers=signed)
    assert again.status_code == 401 and again.json()["error"]["code"] == "replayed_request"
    tampered = auth.sign_request(PEER_KEY, "mallory", "GET", target)
    assert node.call("GET", target.replace("limit=10", "limit=11"), headers=tampered).status_code == 401


def test_forwarded_appeals_refuse_hostile_bodies(member):
    from refundguard.ledger import auth

    node, _ = member
    path = "/v1/ledger/member/appeals"

    def send(body: bytes, content_type: str = "application/json"):
        headers = {"Content-Type": content_type, **auth.sign_request(PEER_KEY, "mallory", "POST", path, body)}
        return node.call("POST", path, content=body, headers=headers)

    assert send(b'{"appeal_id": "x"}', "text/plain").status_code == 415
    assert send(b"{" + b" " * 20_000 + b"}").status_code == 413
    assert send(b"[not json").status_code == 422
    assert send(b"[1, 2]").status_code == 422
    missing = send(json.dumps({"appeal_id": "apl_1", "entry_id": "e_" + "0" * 20, "statement": "x"}).encode())
    assert missing.status_code == 404 and missing.json()["error"]["message"]["zh"]
    unsigned = node.call("POST", path, content=b"{}", headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401


def test_celery_beat_runs_the_ledger_round(monkeypatch):
    from refundguard.ledger.tasks import TASK_NAME
    from refundguard.service.jobs import make_celery

    monkeypatch.setenv("REFUNDGUARD_LEDGER_SCHEDULE", "celery")
    monkeypatch.setenv("REFUNDGUARD_LEDGER_SYNC_INTERVAL_S", "120")
    app = make_celery("redis://127.0.0.1:1/0")
    assert TASK_NAME in app.tasks
    entry = app.conf.beat_schedule["refundguard-ledger"]
    assert entry["task"] == TASK_NAME and entry["schedule"] == 120
