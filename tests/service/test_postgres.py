"""The database layer on a real PostgreSQL server (tests/pg_server.py): migrations, the claim flow,
and concurrent audit appends that must stay one unbroken chain."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.audit import service as audit
from refundguard.service.config import ServiceConfig
from refundguard.service.db import Database
from refundguard.service.models import Base
from tests.pg_server import postgres_server, postgres_url  # noqa: F401 - fixtures
from tests.service.svc_helpers import make_keys, photo, wait_state


def test_postgres_migrations_claim_flow_and_concurrent_audit(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    db = Database(postgres_url)
    db.upgrade()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []

    def append(n: int) -> None:
        for i in range(10):
            with db.session() as session:
                audit.record(session=session, actor=f"worker:{n}", action="test.append", subject_type="claim",
                             subject_id=f"c{n}", details={"i": i})

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session() as session:
        result = audit.verify(session=session)
    assert result.ok and result.entries == 40, result.problems
    db.dispose()

    settings = load_settings(database_url=postgres_url, data_dir=tmp_path / "data")
    app = create_app(settings, ServiceConfig(background=False, local_workers=1), include_web=False)
    with TestClient(app) as client:
        keys = make_keys(app.state.db.session)
        resp = client.post("/v1/claims", headers=keys.h("platform") | {"Idempotency-Key": "pg-1"},
                           files=[("photos", ("a.jpg", photo(11), "image/jpeg"))],
                           data={"merchant_id": "m1", "amount": "900", "delivered_at": "2026-05-01T10:00:00+08:00"})
        assert resp.status_code == 201, resp.text
        again = client.post("/v1/claims", headers=keys.h("platform") | {"Idempotency-Key": "pg-1"},
                            files=[("photos", ("a.jpg", photo(11), "image/jpeg"))],
                            data={"merchant_id": "m1", "amount": "900",
                                  "delivered_at": "2026-05-01T10:00:00+08:00"})
        assert again.status_code == 200 and again.json()["claim"]["id"] == resp.json()["claim"]["id"]
        claim = wait_state(client.get, resp.json()["claim"]["id"], keys.h("platform"))
        assert claim["state"] == "awaiting_merchant"
        assert claim["delivered_at"].startswith("2026-05-01T02:00:00")  # stored as UTC
        assert client.get(f"/v1/claims/{claim['id']}", headers=keys.h("other_merchant")).status_code == 404
        assert client.get("/v1/audit/verify", headers=keys.h("admin")).json()["ok"] is True
        # the service keeps its reuse index in the same PostgreSQL database (pgvector) by default
        report = client.get(f"/v1/claims/{claim['id']}/report", headers=keys.h("platform")).json()
        assert report["checks"]["reuse"]["status"] == "ran", report["checks"]["reuse"]
        again = client.post("/v1/claims", headers=keys.h("platform"),
                            files=[("photos", ("a.jpg", photo(11), "image/jpeg"))],
                            data={"merchant_id": "m2", "amount": "900", "buyer_id": "someone-else"})
        second = wait_state(client.get, again.json()["claim"]["id"], keys.h("platform"))
        report = client.get(f"/v1/claims/{second['id']}/report", headers=keys.h("platform")).json()
        assert "reuse.duplicate" in {f["code"] for f in report["findings"]}
