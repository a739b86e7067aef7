"""A slow analysis keeps its job's lease: it is not mistaken for a dead worker and re-sent."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import refundguard.engine
from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.claims.models import AnalysisJob
from refundguard.service.config import ServiceConfig
from refundguard.service.db import utcnow
from refundguard.service.jobs import JobContext, recover
from tests.service.svc_helpers import make_keys, photo, wait_state

LEASE_S = 0.3


def test_running_job_renews_its_lease_and_is_not_recovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    config = ServiceConfig(background=False, local_workers=1, job_lease_s=LEASE_S)
    app = create_app(settings, config, include_web=False)
    real_analyze = refundguard.engine.analyze
    seen: dict[str, object] = {}

    def slow_analyze(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(5 * LEASE_S)  # five lease periods: without renewal the lease would have ended long ago
        with app.state.db.session() as session:
            job = session.scalars(select(AnalysisJob)).one()
            seen["lease_left_s"] = (job.lease_until - utcnow()).total_seconds()
            seen["status"] = job.status
        resent: list[str] = []
        recover(JobContext(app.state.db, settings, config, app.state.store), resent.append, all_running=False)
        seen["resent"] = resent
        return real_analyze(*args, **kwargs)

    monkeypatch.setattr(refundguard.engine, "analyze", slow_analyze)
    with TestClient(app) as client:
        keys = make_keys(app.state.db.session)
        resp = client.post("/v1/claims", headers=keys.h("platform"),
                           files=[("photos", ("p.jpg", photo(1), "image/jpeg"))],
                           data={"merchant_id": "m1", "amount": "50", "buyer_id": "b"})
        claim = wait_state(client.get, resp.json()["claim"]["id"], keys.h("platform"), timeout=180.0)
    assert seen["status"] == "running" and seen["lease_left_s"] > 0, seen
    assert seen["resent"] == []
    assert claim["state"] != "analysing"
    with app.state.db.session() as session:
        job = session.scalars(select(AnalysisJob)).one()
        assert job.status == "done" and job.attempts == 1
