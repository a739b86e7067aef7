"""Three platforms on loopback (own databases, keys and API keys) and an OPRF operator process.

Abuse adjudicated at A shows at B and C after one sync; the buyer is the same person under three platform ids and
three spellings of one phone number. A revocation at A leaves B and C. An appeal at B of A's entry is forwarded to A,
contested in A's feed and left out at C until A rejects it. A query needs an open claim; every query is audited;
merchants never see the finding; the operator refuses a member over its rate and its log holds no identifier.
The same flow runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from refundguard.ledger import signing
from refundguard.ledger.bundle import verify_attachment
from refundguard.ledger.config import LedgerConfig, OperatorLink, Peer
from refundguard.ledger.models import LedgerIdentity
from refundguard.ledger.pseudonyms.oprf import Evaluator
from refundguard.report.pdf import render_bundle, render_html
from refundguard.service.audit.models import AuditEntry
from refundguard.web.stored import load_case
from tests.ledger.helpers import Node, finding, signing_key
from tests.pg_server import postgres_server  # noqa: F401 - fixture
from tests.service.svc_helpers import free_port

REFUNDGUARD = Path(sys.executable).with_name("refundguard")
PHONE = "13800138000"


class Operator:
    def __init__(self, root: Path, members: dict[str, str], rate: float, burst: int) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.log = root / "operator.log"
        key_file = root / "oprf.key"
        self.public_key = Evaluator(signing.read_secret(key_file, create=True)).public_key
        lines = [f'key_file = "{key_file}"', f"rate_per_minute = {rate}", f"burst = {burst}"]
        lines += [f'[[members]]\nplatform = "{name}"\npublic_key = "{key}"' for name, key in members.items()]
        (root / "operator.toml").write_text("\n".join(lines) + "\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([str(REFUNDGUARD), "ledger", "operator", "serve", "--config",
                                      str(root / "operator.toml"), "--port", str(self.port), "--log-level", "info"],
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 40
        while True:
            try:
                if httpx.get(self.url + "/v1/oprf/key", timeout=1).json()["public_key"] == self.public_key:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("operator did not start: " + self.log.read_text()[-2000:])
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


@pytest.fixture(params=["sqlite", "postgres"])
def network(request: pytest.FixtureRequest, tmp_path: Path):
    names = ("a", "b", "c")
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        urls = {n: server.create_database(f"ledger_{n}_{os.getpid()}_{time.time_ns() % 10**9}") for n in names}
    else:
        urls = {n: f"sqlite:///{tmp_path / n / 'rg.db'}" for n in names}
    nodes = {n: Node(n, tmp_path / n, free_port(), urls[n], signing_key(tmp_path / n / "keys")) for n in names}
    operator = Operator(tmp_path / "operator", {n: node.key.public_hex for n, node in nodes.items()}, rate=6, burst=10)
    try:
        for name, node in nodes.items():
            node.start(LedgerConfig(
                mode="network", platform=name, key_dir=node.root / "keys", appeal_window_days=0,
                public_url=node.url, operator=OperatorLink(url=operator.url, public_key=operator.public_key),
                peers=[Peer(platform=o.name, url=o.url, public_key=o.key.public_hex)
                       for o in nodes.values() if o is not node]))
        yield nodes["a"], nodes["b"], nodes["c"], operator
    finally:
        for node in nodes.values():
            node.stop()
        operator.stop()


def prior(node: Node, claim_id: str) -> httpx.Response:
    return node.call("GET", f"/v1/ledger/claims/{claim_id}", "reviewer")


def adjudicate(a: Node, buyer: str) -> str:
    """A claim at ``a`` decided as abuse and published; returns the entry id."""
    claim = a.claim(buyer, amount=500)
    assert claim["state"] == "awaiting_merchant", claim
    a.decide(claim["id"])
    a.sync()
    holdings = a.call("GET", "/v1/ledger/me", headers=link(a, buyer)).json()
    published = [x for x in holdings["adjudications"] if x["claim_id"] == claim["id"]]
    assert published and published[0]["status"] == "published", holdings
    return published[0]["entry_id"]


def link(node: Node, buyer: str) -> dict[str, str]:
    r = node.call("POST", "/v1/ledger/buyer-links", "platform", json={"buyer_id": buyer})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.mark.slow
def test_three_platforms_share_adjudicated_abuse(network, tmp_path):
    a, b, c, operator = network
    a.register("ua-1", phone=PHONE)
    b.register("ub-7", phone="+86 138-0013-8000")
    c.register("uc-3", phone="008613800138000", id_number="11010519491231002x")
    with a.app.state.db.session() as s_a, b.app.state.db.session() as s_b:
        pa = s_a.scalar(select(LedgerIdentity.pseudonym).where(LedgerIdentity.buyer_id == "ua-1"))
        pb = s_b.scalar(select(LedgerIdentity.pseudonym).where(LedgerIdentity.buyer_id == "ub-7"))
    assert pa == pb and len(pa) == 64  # one person, one pseudonym, whatever the platform or the spelling

    # ---- abuse adjudicated at A shows at B and C after one sync
    entry_1 = adjudicate(a, "ua-1")
    for node in (b, c):
        synced = {r["peer"]: r for r in node.sync()["synced"]}
        assert synced["a"]["ok"] and synced["a"]["applied"] >= 1, synced
    claim_b = b.claim("ub-7", amount=500)
    found = finding(b.report(claim_b["id"]))
    assert found and found["details"]["count"] == 1 and found["details"]["platforms"] == ["a"], found
    assert found["details"]["totals"] == {"CNY": 500.0} and found["image"] is None
    assert finding(b.report(claim_b["id"], role="merchant")) is None  # shown to reviewers, not merchants
    assert "ledger" not in b.report(claim_b["id"], role="merchant")["checks"]
    assert prior(b, claim_b["id"]).json()["count"] == 1
    claim_c = c.claim("uc-3", amount=500)
    assert finding(c.report(claim_c["id"]))["details"]["entries"][0]["entry_id"] == entry_1

    # ---- the bundle at C: cross-platform amount, the signed record attached and verifiable
    with c.app.state.db.session() as session:
        from refundguard.service.claims.models import Claim

        stored = load_case(session=session, store=c.app.state.store, claim=session.get(Claim, claim_c["id"]),
                           limits=c.app.state.settings.limits)
        html = render_html(stored.report, stored.images, stored.facts)
        pdf = render_bundle(stored.report, stored.images, stored.facts)
    assert stored.facts.ledger.entries[0].verified and not stored.facts.ledger.entries[0].own
    assert "Cross-platform cumulative adjudicated amount" in html and "¥500.00" in html
    assert all(r["ok"] for r in verify_attachment({"records": stored.facts.ledger.records}))
    (tmp_path / "bundle.pdf").write_bytes(pdf)
    subprocess.run([shutil.which("pdfdetach") or "pdfdetach", "-saveall", "-o", str(tmp_path),
                    str(tmp_path / "bundle.pdf")], check=True, capture_output=True, timeout=60)
    checked = subprocess.run([str(REFUNDGUARD), "ledger", "verify-records", str(tmp_path / "ledger-records.json")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "ok  a #" in checked.stdout, checked.stdout + checked.stderr
    attached = json.loads((tmp_path / "ledger-records.json").read_text())
    attached["records"][0]["record"]["body"]["amount"] = 5.0  # an edited copy fails the check
    (tmp_path / "edited.json").write_text(json.dumps(attached))
    edited = subprocess.run([str(REFUNDGUARD), "ledger", "verify-records", str(tmp_path / "edited.json")],
                            capture_output=True, text=True, timeout=60)
    assert edited.returncode == 1 and "BAD" in edited.stdout

    # ---- no fishing: a query needs an open claim of this platform
    b.decide(claim_b["id"], outcome="approved", abuse=False)
    refused = prior(b, claim_b["id"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "claim_not_open"
    assert prior(b, claim_c["id"]).status_code == 404  # C's claim is not B's
    assert b.call("GET", f"/v1/ledger/claims/{claim_c['id']}", "merchant").status_code == 403
    with b.app.state.db.session() as session:
        queries = session.scalars(select(AuditEntry).where(AuditEntry.action == "ledger.query")).all()
    assert len(queries) >= 2 and all(PHONE not in q.details for q in queries)
    assert b.call("GET", "/v1/audit/verify", "admin").json()["ok"]

    # ---- revocation at A disappears from B and C
    r = a.call("POST", f"/v1/ledger/entries/{entry_1}/revoke", "admin",
               json={"reason": "court_decision", "note": "court ruled the damage real"})
    assert r.status_code == 200, r.text
    b.sync(), c.sync()
    claim_c2 = c.claim("uc-3", amount=500)
    report = c.report(claim_c2["id"])
    assert finding(report) is None and report["checks"]["ledger"]["status"] == "ran"
    held = b.call("GET", "/v1/ledger/me", headers=link(b, "ub-7")).json()
    assert held["entries"] == []  # revoked: erased at B, no longer linked to the buyer at all
    with b.app.state.db.session() as session:
        from refundguard.ledger.models import LedgerEntry, LedgerRecord

        gone = session.get(LedgerEntry, ("a", entry_1))
        record = session.get(LedgerRecord, ("a", gone.record_seq))
    assert (gone.status, gone.amount, record.body) == ("revoked", None, None)  # only the signed hashes remain

    # ---- an appeal at B of A's entry: forwarded, contested everywhere, then rejected by A and counted again
    entry_2 = adjudicate(a, "ua-1")
    b.sync(), c.sync()
    assert prior(c, claim_c2["id"]).json()["count"] == 1
    r = b.call("POST", "/v1/ledger/me/appeals", headers=link(b, "ub-7"),
               json={"issuer": "a", "entry_id": entry_2, "statement": "我没有伪造照片 / I did not edit the photo"})
    assert r.status_code == 201, r.text
    claim_b2 = b.claim("ub-7", amount=500, seed=9)
    assert finding(b.report(claim_b2["id"])) is None  # excluded at B at once
    b.sync()  # forwards the appeal to A, which contests the entry in its feed
    listed = a.call("GET", "/v1/ledger/appeals", "reviewer").json()
    assert (listed["total"], listed["limit"], listed["offset"]) == (1, 100, 0)  # a page, like every list route
    appeals_at_a = listed["items"]
    assert [(x["origin"], x["entry_id"]) for x in appeals_at_a] == [("b", entry_2)]
    c.sync()
    assert prior(c, claim_c2["id"]).json()["count"] == 0  # contested: left out at C too
    r = a.call("POST", f"/v1/ledger/appeals/{appeals_at_a[0]['id']}/decision", "reviewer",
               json={"upheld": False, "reason": "the edit is proven by the listing photo"})
    assert r.status_code == 200, r.text
    c.sync(), b.sync()
    assert prior(c, claim_c2["id"]).json()["count"] == 1
    assert prior(b, claim_b2["id"]).json()["count"] == 1
    mine = b.call("GET", "/v1/ledger/me", headers=link(b, "ub-7")).json()
    assert [x["status"] for x in mine["appeals"]] == ["rejected"]

    # ---- the operator refuses a member over its rate, and its log holds no identifier
    statuses: list[int] = []
    for i in range(40):  # at 6 a minute with a burst of 10 the bucket runs dry within a dozen, however slow the host
        statuses.append(c.call("PUT", f"/v1/ledger/buyers/flood-{i}", "platform",
                               json={"phone": f"1390000{i:04d}"}).status_code)
        if statuses[-1] == 429:
            break
    assert 429 in statuses and statuses[0] == 200, statuses
    r = c.call("PUT", "/v1/ledger/buyers/flood-x", "platform", json={"phone": "13900009999"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    log = operator.log.read_text()
    assert "member a: evaluated 1 element(s)" in log and "over its rate" in log
    for secret in (PHONE, "8613800138000", "11010519491231002", "1390000", pa):
        assert secret not in log
