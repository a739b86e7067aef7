"""Tamper-evident records (issue 13 §2): a claim row edited in the database, a history rewritten consistently
(entries edited and every later hash recomputed), and a rewound head are all caught by ``refundguard audit verify``
(exit 1) against a held checkpoint, and the evidence bundle then says "not intact". Verification is per tenant;
commands never create a missing database."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from refundguard.cli.app import app as cli
from refundguard.service.app import create_app
from refundguard.service.audit.chain import GENESIS, entry_hash, tenant_hash
from refundguard.service.audit.models import AuditEntry, AuditHead, AuditTenantHead
from refundguard.service.audit.signing import Checkpoint, load_public_key
from refundguard.service.config import load_app_config
from refundguard.service.db import Database
from tests.service.svc_helpers import Keys, make_keys, pdf_text, photo, wait_state

runner = CliRunner()


@dataclass
class Deployment:
    client: TestClient
    keys: Keys
    config: Path
    db_path: Path
    data: Path

    def cli(self, *args: str) -> tuple[int, str]:
        result = runner.invoke(cli, [*args, "--config", str(self.config)])
        return result.exit_code, result.output

    def claim(self, amount: str = "89", seed: int = 1, buyer: str = "buyer-9") -> str:
        resp = self.client.post("/v1/claims", headers=self.keys.h("platform"),
                                files=[("photos", (f"p{seed}.jpg", photo(seed), "image/jpeg"))],
                                data={"merchant_id": "m1", "amount": amount, "buyer_id": buyer, "order_id": "o-77"})
        assert resp.status_code == 201, resp.text
        claim_id = resp.json()["claim"]["id"]
        wait_state(self.client.get, claim_id, self.keys.h("platform"))
        return claim_id

    def reject_as_abuse(self, claim_id: str) -> None:
        resp = self.client.post(f"/v1/claims/{claim_id}/decision", headers=self.keys.h("reviewer"),
                                json={"outcome": "rejected", "reason": "crack drawn onto the listing photo",
                                      "abuse": True})
        assert resp.status_code == 200, resp.text


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    data = tmp_path / "data"
    db_path = tmp_path / "rg.db"
    config = tmp_path / "rg.toml"
    config.write_text(f'database_url = "sqlite:///{db_path}"\ndata_dir = "{data}"\n'
                      "[service]\nbackground = false\nlocal_workers = 1\n"
                      "[service.policy]\nauto_approve_max_amount = 0\n")  # every claim waits for a person
    cfg = load_app_config(config)
    application = create_app(cfg.settings, cfg.service, include_web=False)
    with TestClient(application) as client:
        yield Deployment(client, make_keys(application.state.db.session), config, db_path, data)


def _sql(db_path: Path, statement: str, **params: object) -> None:
    db = Database(f"sqlite:///{db_path}", create=False)
    with db.session() as session:
        session.execute(text(statement), params)
    db.dispose()


def rewrite_history(db_path: Path, claim_id: str, amount: float) -> None:
    """What someone who can write the database does to make a changed amount verify: change the row and every
    snapshot of it in the chain, then recompute every later hash of both chains and both heads."""
    db = Database(f"sqlite:///{db_path}", create=False)
    with db.session() as session:
        session.execute(text("UPDATE claims SET amount = :a WHERE id = :c"), {"a": amount, "c": claim_id})
        prev, tenant_prev = GENESIS, {}
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            if e.subject_id == claim_id and e.facts:
                facts = json.loads(e.facts)
                facts["amount"] = amount
                e.facts = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                if e.action == "claim.created":
                    details = json.loads(e.details)
                    details["amount"] = amount
                    e.details = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            e.prev_hash = prev
            e.hash = entry_hash(prev, seq=e.seq, at=e.at, tenant=e.tenant, actor=e.actor, action=e.action,
                                subject_type=e.subject_type, subject_id=e.subject_id, details=e.details, facts=e.facts)
            prev = e.hash
            if e.tenant is not None:
                e.tenant_prev_hash = tenant_prev.get(e.tenant, GENESIS)
                e.tenant_hash = tenant_hash(e.tenant_prev_hash, tenant=e.tenant, tenant_seq=e.tenant_seq, at=e.at,
                                            actor=e.actor, action=e.action, subject_type=e.subject_type,
                                            subject_id=e.subject_id, details=e.details, facts=e.facts)
                tenant_prev[e.tenant] = e.tenant_hash
        session.get(AuditHead, 1).hash = prev
        for tenant, digest in tenant_prev.items():
            session.get(AuditTenantHead, tenant).hash = digest
    db.dispose()


def rewind_head(db_path: Path) -> None:
    """Remove the newest entry and point both heads at the entry before it."""
    db = Database(f"sqlite:///{db_path}", create=False)
    with db.session() as session:
        newest = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
        before = session.get(AuditEntry, newest.seq - 1)
        tenant_before = session.scalar(select(AuditEntry).where(AuditEntry.tenant == newest.tenant,
                                                                AuditEntry.tenant_seq == newest.tenant_seq - 1))
        session.delete(newest)
        session.get(AuditHead, 1).seq, session.get(AuditHead, 1).hash = before.seq, before.hash
        head = session.get(AuditTenantHead, newest.tenant)
        head.seq, head.hash = tenant_before.tenant_seq, tenant_before.tenant_hash
    db.dispose()


def _keep_checkpoint(dep: Deployment, tmp_path: Path) -> Path:
    """The tenant fetches a checkpoint over the API and keeps it."""
    resp = dep.client.get("/v1/audit/checkpoint", headers=dep.keys.h("platform"))
    assert resp.status_code == 200, resp.text
    held = tmp_path / "held.json"
    held.write_text(json.dumps(resp.json()))
    return held


def _witness(dep: Deployment) -> Path:
    return dep.data / "keys" / "audit-checkpoints.json"


def test_an_edited_claim_row_is_caught_and_the_bundle_says_not_intact(deployment: Deployment, tmp_path: Path) -> None:
    claim_id = deployment.claim(amount="89")
    deployment.reject_as_abuse(claim_id)
    code, output = deployment.cli("audit", "verify")
    assert code == 0 and "intact" in output, output
    _sql(deployment.db_path, "UPDATE claims SET amount = 8900 WHERE id = :c", c=claim_id)
    code, output = deployment.cli("audit", "verify")
    assert code == 1 and "BROKEN" in output
    assert f"claim {claim_id}: amount is 8900.0 in the database but 89.0 in the audit chain" in " ".join(output.split())
    pdf = tmp_path / "b.pdf"
    code, output = deployment.cli("bundle", claim_id, "--out", str(pdf))
    assert code == 0, output
    flat = " ".join(pdf_text(pdf).split())
    assert "not intact" in flat and "amount is 8900.0 in the database" in flat
    assert "Signed checkpoint (keep it)" not in flat  # a broken chain is never signed


@pytest.mark.parametrize("where", ["evidence", "report", "decision"])
def test_edited_evidence_report_and_decision_rows_are_caught(deployment: Deployment, where: str) -> None:
    claim_id = deployment.claim()
    deployment.reject_as_abuse(claim_id)
    statement = {
        "evidence": "UPDATE evidence SET sha256 = :fake WHERE claim_id = :c",
        "report": "UPDATE claim_analyses SET report = replace(report, '\"risk\"', '\"risk_\"') WHERE claim_id = :c",
        "decision": "UPDATE claims SET outcome = 'approved', abuse_confirmed = 0 WHERE id = :c",
    }[where]
    _sql(deployment.db_path, statement, c=claim_id, fake="f" * 64)
    code, output = deployment.cli("audit", "verify", "--json")
    assert code == 1
    problems = " ".join(json.loads(output)["problems"])
    expected = {"evidence": "evidence files differ from the chain", "report": "stored report of analysis",
                "decision": "outcome is 'approved' in the database but 'rejected'"}[where]
    assert expected in problems, problems


def test_a_recomputed_chain_fails_against_any_held_checkpoint(deployment: Deployment, tmp_path: Path) -> None:
    claim_id = deployment.claim(amount="89")
    deployment.reject_as_abuse(claim_id)
    held = _keep_checkpoint(deployment, tmp_path)
    rewrite_history(deployment.db_path, claim_id, 8900.0)
    # the rewritten chain is consistent in itself: without a checkpoint it cannot be told from the original
    code, output = deployment.cli("audit", "verify", "--tenant", "shop-a", "--json")
    assert code == 1  # ...but the service holds its own checkpoint outside the database
    problems = " ".join(json.loads(output)["problems"])
    assert "the history was rewritten" in problems and "amount" not in problems
    pdf = tmp_path / "b.pdf"
    assert deployment.cli("bundle", claim_id, "--out", str(pdf))[0] == 0
    assert "not intact" in " ".join(pdf_text(pdf).split())
    # the tenant's own checkpoint catches it too, even when the service's held file is gone
    _witness(deployment).unlink()
    code, output = deployment.cli("audit", "verify", "--tenant", "shop-a", "--checkpoint", str(held))
    assert code == 1 and "the history was rewritten" in " ".join(output.split())
    code, output = deployment.cli("audit", "verify", "--tenant", "shop-a")
    assert code == 0 and "no held checkpoint was compared" in " ".join(output.split())  # the stated limit


def test_a_rewound_head_fails_against_a_held_checkpoint(deployment: Deployment, tmp_path: Path) -> None:
    claim_id = deployment.claim()
    deployment.reject_as_abuse(claim_id)
    held = _keep_checkpoint(deployment, tmp_path)
    rewind_head(deployment.db_path)
    _witness(deployment).unlink()
    code, output = deployment.cli("audit", "verify", "--checkpoint", str(held))
    assert code == 1 and "entries were removed and the head rewound" in " ".join(output.split())
    pdf = tmp_path / "b.pdf"
    assert deployment.cli("bundle", claim_id, "--out", str(pdf), "--checkpoint", str(held))[0] == 0
    assert "not intact" in " ".join(pdf_text(pdf).split())


def test_the_service_stops_signing_a_chain_that_lost_its_held_checkpoint(deployment: Deployment) -> None:
    claim_id = deployment.claim()
    rewind_head(deployment.db_path)
    resp = deployment.client.get("/v1/audit/checkpoint", headers=deployment.keys.h("platform"))
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "audit_chain_diverged"
    deployment.reject_as_abuse(claim_id)  # the service keeps working, but signs nothing for this chain
    assert deployment.client.get("/v1/audit/checkpoint", headers=deployment.keys.h("platform")).status_code == 409
    assert deployment.cli("audit", "verify")[0] == 1


def test_checkpoints_are_signed_with_the_key_outside_the_database(deployment: Deployment, tmp_path: Path) -> None:
    key_file = deployment.data / "keys" / "audit-signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    deployment.claim()
    doc = deployment.client.get("/v1/audit/checkpoint", headers=deployment.keys.h("platform")).json()
    pem = deployment.client.get("/v1/audit/public-key", headers=deployment.keys.h("merchant")).json()
    public = load_public_key(pem["public_key_pem"])
    cp = Checkpoint.from_dict(doc)
    cp.verify({pem["key_id"]: public})
    assert cp.chain == "shop-a" and cp.seq >= 4
    code, output = deployment.cli("audit", "checkpoint", "--tenant", "shop-a", "--out", str(tmp_path / "cp.json"))
    assert code == 0 and Checkpoint.from_dict(json.loads((tmp_path / "cp.json").read_text())).seq == cp.seq
    code, output = deployment.cli("audit", "public-key")
    assert code == 0 and output.strip() == pem["public_key_pem"].strip()
    forged = dict(doc, hash="0" * 64)
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    code, output = deployment.cli("audit", "verify", "--checkpoint", str(tmp_path / "forged.json"))
    assert code == 1 and "does not hold" in " ".join(output.split())
    # the verifying key may come from a PEM file instead of the private key
    (tmp_path / "pub.pem").write_text(pem["public_key_pem"])
    key_file.rename(tmp_path / "moved.pem")
    code, output = deployment.cli("audit", "verify", "--public-key", str(tmp_path / "pub.pem"))
    assert code == 0, output


def test_a_key_file_readable_by_others_is_refused(deployment: Deployment) -> None:
    key_file = deployment.data / "keys" / "audit-signing-key.pem"
    os.chmod(key_file, 0o644)
    code, output = deployment.cli("audit", "checkpoint", "--tenant", "shop-a")
    assert code == 2 and "chmod 600" in " ".join(output.split())


def test_webhooks_carry_a_signed_checkpoint(deployment: Deployment) -> None:
    dep = deployment
    resp = dep.client.post("/v1/webhooks", headers=dep.keys.h("platform"), json={"url": "https://example.com/h"})
    assert resp.status_code == 201
    claim_id = dep.claim()
    db = Database(f"sqlite:///{dep.db_path}", create=False)
    with db.session() as session:
        payloads = [json.loads(p) for p in session.scalars(text("SELECT payload FROM webhook_deliveries"))]
    db.dispose()
    public = dep.client.get("/v1/audit/public-key", headers=dep.keys.h("platform")).json()
    trusted = {public["key_id"]: load_public_key(public["public_key"])}
    checkpoints = [Checkpoint.from_dict(p["data"]["audit_checkpoint"]) for p in payloads]
    assert len(checkpoints) >= 3 and all(p["data"]["claim_id"] == claim_id for p in payloads)
    for cp in checkpoints:
        cp.verify(trusted)
    assert [cp.seq for cp in checkpoints] == sorted(cp.seq for cp in checkpoints)


def test_verification_is_per_tenant(deployment: Deployment) -> None:
    dep = deployment
    dep.claim(seed=1)
    dep.claim(seed=2)
    with dep.client.app.state.db.session() as session:  # type: ignore[attr-defined]
        from refundguard.service.auth.service import create_key

        other_reviewer = create_key(session=session, tenant="shop-b", role="reviewer")[0]
    other = {"Authorization": f"Bearer {other_reviewer}"}
    files = [("photos", ("b.jpg", photo(9), "image/jpeg"))]
    created = dep.client.post("/v1/claims", headers=dep.keys.h("other_tenant"), files=files,
                              data={"merchant_id": "mb", "amount": "10"})
    wait_state(dep.client.get, created.json()["claim"]["id"], dep.keys.h("other_tenant"))
    a = dep.client.get("/v1/audit/verify", headers=dep.keys.h("reviewer")).json()
    b = dep.client.get("/v1/audit/verify", headers=other).json()
    assert a["ok"] and b["ok"] and a["scope"] == "shop-a" and b["scope"] == "shop-b"
    b_timeline = dep.client.get(f"/v1/claims/{created.json()['claim']['id']}/audit", headers=dep.keys.h("other_tenant"))
    assert b["entries"] == b_timeline.json()["total"] < a["entries"] and b["head"] != a["head"]  # B counts B only
    _sql(dep.db_path, "UPDATE claims SET amount = 1 WHERE tenant = 'shop-a'")
    a = dep.client.get("/v1/audit/verify", headers=dep.keys.h("reviewer")).json()
    b = dep.client.get("/v1/audit/verify", headers=other).json()
    assert not a["ok"] and b["ok"] and b["problems"] == []  # B learns nothing of A, not even that it broke
    assert dep.client.get("/v1/audit/verify?scope=all", headers=other).status_code == 403
    every = dep.client.get("/v1/audit/verify?scope=all", headers=dep.keys.h("admin")).json()
    assert every["scope"] == "*" and not every["ok"] and every["entries"] == a["entries"] + b["entries"]
    # a tenant's audit timeline numbers entries in its own chain, not the global one
    claim_id = created.json()["claim"]["id"]
    seqs = [e["seq"] for e in dep.client.get(f"/v1/claims/{claim_id}/audit", headers=dep.keys.h("other_tenant"))
            .json()["items"]]
    assert seqs == list(range(1, len(seqs) + 1))
    a_cp = dep.client.get("/v1/audit/checkpoint", headers=dep.keys.h("platform"))
    resp = dep.client.post("/v1/audit/verify", headers=other, json={"checkpoints": [a_cp.json()]})
    assert resp.status_code == 200 and "another chain" in resp.json()["problems"][0]
    assert "shop-a entry" not in json.dumps(resp.json())


@pytest.mark.parametrize("command", [["audit", "verify"], ["audit", "checkpoint", "--tenant", "t"],
                                     ["keys", "create", "--tenant", "t", "--role", "admin"],
                                     ["bundle", "clm_x", "--out", "x.pdf"]])
def test_a_missing_database_is_an_error_and_is_never_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("REFUNDGUARD_")]:
        monkeypatch.delenv(name)
    result = runner.invoke(cli, command)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "Traceback" not in result.output
    assert not any(p.suffix in (".db", ".pdf") for p in tmp_path.rglob("*")), list(tmp_path.rglob("*"))
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    result = runner.invoke(cli, [*command, "--database-url", url])
    assert result.exit_code == 2 and not (tmp_path / "elsewhere.db").exists()


def test_an_uninitialised_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.db").write_bytes(b"")
    result = runner.invoke(cli, ["audit", "verify", "--database-url", f"sqlite:///{tmp_path / 'empty.db'}"])
    assert result.exit_code == 2 and "not initialised" in result.output
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_db_upgrade_creates_the_database_explicitly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert runner.invoke(cli, ["db", "upgrade", "--database-url", url]).exit_code == 0
    result = runner.invoke(cli, ["keys", "create", "--tenant", "t", "--role", "admin", "--database-url", url])
    assert result.exit_code == 0 and result.output.startswith("rg_")


def test_a_deleted_claim_and_a_swapped_evidence_file_are_caught(deployment: Deployment, tmp_path: Path) -> None:
    kept, gone = deployment.claim(seed=1), deployment.claim(seed=2)
    for table, column in (("evidence", "claim_id"), ("claim_analyses", "claim_id"), ("analysis_jobs", "claim_id"),
                          ("claims", "id")):
        _sql(deployment.db_path, f"DELETE FROM {table} WHERE {column} = :c", c=gone)
    code, output = deployment.cli("audit", "verify")
    assert code == 1 and f"claim {gone} is in the audit chain but its row was deleted" in " ".join(output.split())
    # the evidence store is content-addressed: a file whose bytes changed is refused by the bundle
    sha = deployment.client.get(f"/v1/claims/{kept}", headers=deployment.keys.h("platform")).json()["evidence"][0]
    stored = next((deployment.data / "evidence").rglob(sha["sha256"]))
    stored.write_bytes(photo(99))
    code, output = deployment.cli("bundle", kept, "--out", str(tmp_path / "b.pdf"))
    assert code == 2 and "altered on disk" in " ".join(output.split()) and not (tmp_path / "b.pdf").exists()
