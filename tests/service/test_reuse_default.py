"""The service keeps a reuse index by default (issue 13 §3): a photo resubmitted in a second claim is found, and
analysing the same claim again does not index its photos twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from refundguard.config import load_settings
from refundguard.index import open_index
from refundguard.service.app import create_app
from refundguard.service.claims.models import ReuseRecorded
from refundguard.service.config import ReuseConfig, ServiceConfig
from refundguard.service.reuse_index import index_url
from tests.service.svc_helpers import Keys, make_keys, photo, wait_state


def _app(tmp_path: Path, **config: object) -> Iterator[tuple[TestClient, Keys]]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    app = create_app(settings, ServiceConfig(background=False, local_workers=1, **config), include_web=False)
    with TestClient(app) as client:
        yield client, make_keys(app.state.db.session)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, Keys]]:
    yield from _app(tmp_path)


def _claim(client: TestClient, keys: Keys, seed: int, buyer: str) -> tuple[str, dict]:
    resp = client.post("/v1/claims", headers=keys.h("platform"),
                       files=[("photos", ("p.jpg", photo(seed), "image/jpeg"))],
                       data={"merchant_id": "m1", "amount": "500", "buyer_id": buyer})
    claim_id = resp.json()["claim"]["id"]
    wait_state(client.get, claim_id, keys.h("platform"))
    return claim_id, client.get(f"/v1/claims/{claim_id}/report", headers=keys.h("platform")).json()


def test_a_photo_resubmitted_in_another_claim_is_caught_by_default(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, keys = service
    first, report = _claim(client, keys, 31, "buyer-1")
    assert report["checks"]["reuse"]["status"] == "ran"
    assert "reuse.duplicate" not in {f["code"] for f in report["findings"]}
    _, report = _claim(client, keys, 31, "buyer-2")
    duplicate = next(f for f in report["findings"] if f["code"] == "reuse.duplicate")
    assert duplicate["details"]["claims"] == [first] and duplicate["details"]["buyers"] == ["buyer-1"]
    assert index_url(client.app.state.settings, client.app.state.config) == \
        f"sqlite:///{(tmp_path / 'data' / 'reuse-index.db').resolve()}"  # type: ignore[attr-defined]


def test_analysing_a_claim_again_does_not_index_its_photos_twice(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, keys = service
    claim_id, _ = _claim(client, keys, 32, "buyer-1")
    resp = client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("merchant"),
                       files=[("photos", ("listing.jpg", photo(33), "image/jpeg"))])
    assert resp.status_code == 202
    wait_state(client.get, claim_id, keys.h("platform"))
    assert len(client.get(f"/v1/claims/{claim_id}/analyses", headers=keys.h("reviewer")).json()["items"]) == 2
    with open_index(tmp_path / "data" / "reuse-index.db") as index:
        stats = index.stats()
    assert stats.images == 1 and stats.claims == 1  # the claim photo once; references are never indexed
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        rows = session.scalar(select(func.count()).select_from(ReuseRecorded)
                              .where(ReuseRecorded.claim_id == claim_id, ReuseRecorded.region == ""))
    assert rows == 1


def test_the_index_can_be_turned_off(tmp_path: Path) -> None:
    for client, keys in _app(tmp_path, reuse=ReuseConfig(enabled=False)):
        _, report = _claim(client, keys, 34, "buyer-1")
        assert report["checks"]["reuse"]["status"] == "not_applicable"
    assert not (tmp_path / "data" / "reuse-index.db").exists()
