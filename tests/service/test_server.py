"""A real ``refundguard serve`` on 127.0.0.1: claims over HTTP, webhooks, crash recovery, audit tampering,
and a bounded schemathesis run against the published OpenAPI document."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from refundguard.service.auth.service import create_key
from refundguard.service.db import Database
from refundguard.service.webhooks import signing
from tests.service.svc_helpers import REFUNDGUARD, Server, photo, server_env, wait_state

SECRET = "whsec_test_0123456789abcdef"


class Receiver:
    """A webhook receiver on loopback that fails the first ``fail_first`` requests with HTTP 500."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = signing.verify(SECRET, timestamp=self.headers.get(signing.TIMESTAMP_HEADER),
                                    signature=self.headers.get(signing.SIGNATURE_HEADER), body=body)
                receiver.requests.append({"valid": ok, "delivery": self.headers.get(signing.DELIVERY_HEADER),
                                          "event": self.headers.get(signing.EVENT_HEADER),
                                          "body": json.loads(body)})
                status = 500 if len(receiver.requests) <= receiver.fail_first else (200 if ok else 400)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hook"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    data = tmp_path_factory.mktemp("live")
    server = Server(data=data, env=server_env(data))
    server.cli("db", "upgrade")
    keys = {"platform": server.cli("keys", "create", "--tenant", "acme", "--role", "platform").stdout.strip()}
    db = Database(server.env["REFUNDGUARD_DATABASE_URL"])
    with db.session() as session:
        for role in ("merchant", "reviewer", "admin"):
            keys[role] = create_key(session=session, tenant="acme", role=role,
                                    merchant_id="m1" if role == "merchant" else None)[0]
    db.dispose()
    server.start()
    yield server, keys
    server.stop()


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _create(url: str, key: str, seeds: range, size: tuple[int, int] = (320, 240), amount: str = "800",
            **headers: str) -> httpx.Response:
    files = [("photos", (f"p{s}.jpg", photo(s, *size), "image/jpeg")) for s in seeds]
    return httpx.post(url + "/v1/claims", headers=_h(key) | headers, files=files, timeout=60,
                      data={"merchant_id": "m1", "amount": amount, "buyer_id": "b-42", "order_id": "o-1",
                            "delivered_at": "2026-05-01T10:00:00+08:00"})


def test_claim_over_http_reaches_a_decision_state_and_webhooks_arrive_signed(live: tuple[Server, dict]) -> None:
    server, keys = live
    receiver = Receiver(fail_first=2)
    try:
        resp = httpx.post(server.url + "/v1/webhooks", headers=_h(keys["platform"]),
                          json={"url": receiver.url, "secret": SECRET})
        assert resp.status_code == 201 and resp.json()["secret"] == SECRET
        created = _create(server.url, keys["platform"], range(2), **{"Idempotency-Key": "k-1"})
        assert created.status_code == 201, created.text
        replay = _create(server.url, keys["platform"], range(2), **{"Idempotency-Key": "k-1"})
        assert replay.status_code == 200 and replay.json()["claim"]["id"] == created.json()["claim"]["id"]
        claim_id = created.json()["claim"]["id"]
        claim = wait_state(lambda p, headers: httpx.get(server.url + p, headers=headers), claim_id,
                           _h(keys["platform"]))
        assert claim["state"] == "awaiting_merchant" and claim["level"] in ("low", "review", "high")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            log = httpx.get(server.url + "/v1/webhooks/deliveries", headers=_h(keys["platform"])).json()["items"]
            if len(log) >= 3 and all(d["status"] == "delivered" for d in log):
                break
            time.sleep(0.2)
        events = sorted(d["event"] for d in log)
        assert events == ["claim.analysed", "claim.state_changed", "claim.state_changed"], events
        assert {d["status"] for d in log} == {"delivered"}, log
        assert sum(d["attempts"] for d in log) >= len(log) + 2  # the two failures were retried
        assert all(r["valid"] for r in receiver.requests)
        assert {r["body"]["data"]["claim_id"] for r in receiver.requests} == {claim_id}
        retried = [r["delivery"] for r in receiver.requests]
        assert len(retried) > len(set(retried))  # same delivery id across retries
        routed = [r["body"]["data"] for r in receiver.requests if r["event"] == "claim.state_changed"]
        assert {"from": "analysing", "to": "awaiting_merchant"}.items() <= next(
            d for d in routed if d["to"] == "awaiting_merchant").items()
    finally:
        receiver.close()


def test_reviewer_decision_over_http_and_audit_verify_detects_tampering(live: tuple[Server, dict]) -> None:
    server, keys = live
    claim_id = _create(server.url, keys["platform"], range(10, 11)).json()["claim"]["id"]
    wait_state(lambda p, headers: httpx.get(server.url + p, headers=headers), claim_id, _h(keys["platform"]))
    resp = httpx.post(server.url + f"/v1/claims/{claim_id}/decision", headers=_h(keys["reviewer"]),
                      json={"outcome": "approved", "reason": "damage consistent across photos"})
    assert resp.status_code == 200 and resp.json()["state"] == "decided"
    ok = server.cli("audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    with sqlite3.connect(server.db_path) as conn:
        conn.execute("UPDATE audit_entries SET details = replace(details, 'approved', 'rejected') "
                     "WHERE action = 'claim.decided'")
    broken = server.cli("audit", "verify", check=False)
    assert broken.returncode == 1 and "BROKEN" in broken.stdout and "altered" in broken.stdout
    report = httpx.get(server.url + "/v1/audit/verify", headers=_h(keys["admin"])).json()
    assert report["ok"] is False


def test_schemathesis_finds_no_server_error(live: tuple[Server, dict], tmp_path: Path) -> None:
    server, keys = live
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(schemathesis), "run", server.url + "/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance",  # every status a route answers is documented
         "--max-examples", "3", "--max-time", "40", "--phases", "examples,fuzzing", "--seed", "7", "--no-shrink",
         "--workers", "1", "--generation-database", "none", "--request-timeout", "20", "--no-color",
         "--exclude-operation-id", "create_claim_v1_claims_post",  # runs full analyses; covered above (22 left)
         "--include-path-regex", "^/(v1/|healthz)",  # the JSON API (web pages have their own tests)
         # one regex (a second --exclude-path-regex replaces the first): the ledger has its own run
         # (tests/ledger/test_ledger_schemathesis.py), and revoke/rotate would revoke the very key the fuzzer uses
         # (tests/service/test_sessions_keys.py covers them)
         "--exclude-path-regex", "^/v1/(ledger|admin/keys/.+/(revoke|rotate)$)",
         "-H", f"Authorization: Bearer {keys['admin']}"],
        capture_output=True, text=True, timeout=150, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Tested: 22" in result.stdout and " passed" in result.stdout, result.stdout[-3000:]
    assert "Authentication failed" not in result.stdout and "Rate limited" not in result.stdout, result.stdout[-3000:]


def test_sigkill_mid_analysis_requeues_the_claim_on_restart(server_factory: Callable[..., Server]) -> None:
    server = server_factory(REFUNDGUARD_SERVICE_LOCAL_WORKERS="1")
    server.cli("db", "upgrade")
    key = server.cli("keys", "create", "--tenant", "acme", "--role", "platform").stdout.strip()
    server.start()
    resp = _create(server.url, key, range(20, 24), size=(800, 600))
    assert resp.status_code == 201, resp.text
    claim_id, job_id = resp.json()["claim"]["id"], resp.json()["job_id"]

    def job_status() -> str:
        with sqlite3.connect(server.db_path) as conn:
            return conn.execute("SELECT status FROM analysis_jobs WHERE id = ?", (job_id,)).fetchone()[0]

    deadline = time.monotonic() + 30
    while job_status() != "running" and time.monotonic() < deadline:
        time.sleep(0.005)
    server.kill()  # SIGKILL while the analysis runs
    assert job_status() == "running"
    with sqlite3.connect(server.db_path) as conn:
        assert conn.execute("SELECT state FROM claims WHERE id = ?", (claim_id,)).fetchone()[0] == "analysing"
    server.start()
    claim = wait_state(lambda p, headers: httpx.get(server.url + p, headers=headers), claim_id, _h(key))
    assert claim["state"] == "awaiting_merchant"
    assert job_status() == "done"
    audit = httpx.get(server.url + f"/v1/claims/{claim_id}/audit", headers=_h(key)).json()["items"]
    actions = [e["action"] for e in audit]
    assert "job.requeued" in actions and actions.count("claim.analysed") == 1
    assert server.cli("audit", "verify").returncode == 0
    assert REFUNDGUARD.exists()
