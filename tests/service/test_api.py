"""The JSON API in-process: auth, tenant and merchant isolation, idempotency, validation, evidence."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from PIL import Image
from skimage import data

from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.config import ServiceConfig
from refundguard.service.db import Database
from refundguard.service.errors import PayloadTooLarge, UnsupportedMedia
from refundguard.service.evidence.store import EvidenceStore
from refundguard.service.models import Base
from tests.service.svc_helpers import Keys, photo, wait_state

Service = tuple[TestClient, Keys]


def create(client: TestClient, keys: Keys, *, seeds: tuple[int, ...] = (1,), role: str = "platform",
           amount: str = "500", merchant: str = "m1", key: str | None = None) -> dict:
    headers = keys.h(role) | ({"Idempotency-Key": key} if key else {})
    files = [("photos", (f"p{s}.jpg", photo(s), "image/jpeg")) for s in seeds]
    resp = client.post("/v1/claims", headers=headers, files=files,
                       data={"merchant_id": merchant, "amount": amount, "buyer_id": "buyer-7"})
    return resp.json() | {"_status": resp.status_code}


def test_missing_and_wrong_keys_are_401(service: Service) -> None:
    client, _ = service
    assert client.get("/v1/claims").status_code == 401
    resp = client.get("/v1/claims", headers={"Authorization": "Bearer rg_0000000000000000_" + "x" * 43})
    assert resp.status_code == 401 and resp.json()["error"]["message"]["zh"]
    assert client.get("/v1/claims", headers={"X-API-Key": "nonsense"}).status_code == 401


def test_roles_are_enforced(service: Service) -> None:
    client, keys = service
    assert create(client, keys, role="merchant")["_status"] == 403
    assert create(client, keys, role="reviewer")["_status"] == 403
    assert client.get("/v1/review/queue", headers=keys.h("platform")).status_code == 403
    claim = create(client, keys)["claim"]
    resp = client.post(f"/v1/claims/{claim['id']}/decision", headers=keys.h("platform"),
                       json={"outcome": "approved", "reason": "fine"})
    assert resp.status_code == 403


def test_tenant_and_merchant_isolation(service: Service) -> None:
    client, keys = service
    mine = create(client, keys, merchant="m1")["claim"]["id"]
    theirs = create(client, keys, merchant="m2", seeds=(2,))["claim"]["id"]
    wait_state(client.get, mine, keys.h("platform"))
    wait_state(client.get, theirs, keys.h("platform"))
    # merchant m1 sees its own claim, never m2's (404, existence not revealed)
    assert client.get(f"/v1/claims/{mine}", headers=keys.h("merchant")).status_code == 200
    assert client.get(f"/v1/claims/{theirs}", headers=keys.h("merchant")).status_code == 404
    assert client.get(f"/v1/claims/{theirs}/report", headers=keys.h("merchant")).status_code == 404
    listed = client.get("/v1/claims", headers=keys.h("merchant")).json()
    assert [c["id"] for c in listed["items"]] == [mine] and listed["total"] == 1
    filtered = client.get("/v1/claims?merchant_id=m2", headers=keys.h("merchant")).json()
    assert filtered["items"] == []
    resp = client.post(f"/v1/claims/{theirs}/evidence", headers=keys.h("merchant"), data={"statement": "mine!"})
    assert resp.status_code == 404
    # tenant B sees nothing of tenant A
    assert client.get(f"/v1/claims/{mine}", headers=keys.h("other_tenant")).status_code == 404
    assert client.get("/v1/claims", headers=keys.h("other_tenant")).json()["total"] == 0
    sha = client.get(f"/v1/claims/{mine}", headers=keys.h("platform")).json()["evidence"][0]["sha256"]
    assert client.get(f"/v1/claims/{mine}/evidence/{sha}", headers=keys.h("other_tenant")).status_code == 404
    assert client.get(f"/v1/claims/{mine}/evidence/{sha}", headers=keys.h("platform")).content == photo(1)
    # the platform of tenant A sees both
    assert client.get("/v1/claims", headers=keys.h("platform")).json()["total"] == 2


def test_idempotency_key_replays_and_rejects_a_different_body(service: Service) -> None:
    client, keys = service
    first = create(client, keys, key="order-1-claim")
    again = create(client, keys, key="order-1-claim")
    assert first["_status"] == 201 and again["_status"] == 200
    assert again["claim"]["id"] == first["claim"]["id"] and again["job_id"] == first["job_id"]
    different = create(client, keys, key="order-1-claim", amount="501")
    assert different["_status"] == 409 and different["error"]["code"] == "idempotency_conflict"
    assert client.get("/v1/claims", headers=keys.h("platform")).json()["total"] == 1
    # the same key in another tenant is independent
    other = create(client, Keys(**{**keys.__dict__, "platform": keys.other_tenant}), key="order-1-claim")
    assert other["_status"] == 201 and other["claim"]["id"] != first["claim"]["id"]


@pytest.mark.parametrize(("data", "files", "status"), [
    ({"merchant_id": "m1", "amount": "abc"}, [("photos", ("a.jpg", photo(1), "image/jpeg"))], 422),
    ({"merchant_id": "m1", "amount": "-5"}, [("photos", ("a.jpg", photo(1), "image/jpeg"))], 422),
    ({"merchant_id": "m1", "amount": "nan"}, [("photos", ("a.jpg", photo(1), "image/jpeg"))], 422),
    ({"merchant_id": "", "amount": "5"}, [("photos", ("a.jpg", photo(1), "image/jpeg"))], 422),
    ({"merchant_id": "m1", "amount": "5", "delivered_at": "yesterday"}, [("photos", ("a.jpg", photo(1), "x"))], 422),
    ({"merchant_id": "m1", "amount": "5", "delivered_at": "2026-05-01T10:00"}, [("photos", ("a.jpg", photo(1), "x"))],
     422),
    ({"merchant_id": "m1", "amount": "5"}, None, 422),
    ({"merchant_id": "m1", "amount": "5"}, [("photos", ("a.jpg", b"<html>not an image</html>", "image/jpeg"))], 415),
    ({"merchant_id": "m1", "amount": "5"}, [("photos", ("a.jpg", b"", "image/jpeg"))], 422),
    ({"merchant_id": "m1", "amount": "5"}, [("photos", ("a.jpg", photo(1)[:200], "image/jpeg"))], None),
])
def test_malformed_requests_get_4xx_with_a_clear_message(service: Service, data: dict, files: list | None,
                                                         status: int | None) -> None:
    client, keys = service
    resp = client.post("/v1/claims", headers=keys.h("platform"), data=data, files=files)
    if status is None:  # a truncated JPEG is accepted; the analysis fails cleanly and a person reviews it
        assert resp.status_code == 201
        claim = wait_state(client.get, resp.json()["claim"]["id"], keys.h("platform"))
        assert claim["state"] == "in_review"
        return
    assert resp.status_code == status, resp.text
    message = resp.json()["error"]["message"]
    assert message["en"] and message["zh"]


def test_malformed_json_and_unknown_routes(service: Service) -> None:
    client, keys = service
    claim = create(client, keys)["claim"]["id"]
    for body in (b"{", b"[]", b'{"outcome": "maybe", "reason": "x"}', b'{"outcome": "approved", "reason": "  "}'):
        resp = client.post(f"/v1/claims/{claim}/decision", headers=keys.h("reviewer") | {"Content-Type":
                                                                                         "application/json"},
                           content=body)
        assert resp.status_code == 422, (body, resp.text)
    assert client.get("/v1/nothing", headers=keys.h("platform")).status_code == 404
    assert client.get("/v1/claims?limit=0", headers=keys.h("platform")).status_code == 422
    assert client.get("/v1/claims?state=bogus", headers=keys.h("platform")).status_code == 422
    assert client.get("/v1/claims/" + "x" * 500, headers=keys.h("platform")).status_code == 404


def test_full_lifecycle_with_merchant_references_and_decision(service: Service) -> None:
    client, keys = service
    claim_id = create(client, keys, seeds=(3, 4), amount="999")["claim"]["id"]
    claim = wait_state(client.get, claim_id, keys.h("platform"))
    assert claim["state"] == "awaiting_merchant" and claim["deadline"]  # amount over threshold: no auto refund
    report = client.get(f"/v1/claims/{claim_id}/report", headers=keys.h("platform")).json()
    assert report["schema"] == "refundguard.report/1" and len(report["images"]) == 2
    resp = client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("merchant"),
                       files=[("photos", ("listing.jpg", photo(3), "image/jpeg"))],
                       data={"statement": "This is my listing photo; the item left intact."})
    assert resp.status_code == 202 and resp.json()["job_id"]
    claim = wait_state(client.get, claim_id, keys.h("platform"))
    assert claim["state"] == "in_review" and claim["merchant_responded"]
    report = client.get(f"/v1/claims/{claim_id}/report", headers=keys.h("platform")).json()
    assert [im["role"] for im in report["images"]] == ["claim", "claim", "reference"]
    assert report["checks"]["reference"]["status"] != "not_applicable" or "reference" not in report["checks"]
    assert len(client.get(f"/v1/claims/{claim_id}/analyses", headers=keys.h("reviewer")).json()["items"]) == 2
    queue = client.get("/v1/review/queue", headers=keys.h("reviewer")).json()["items"]
    assert queue[0]["id"] == claim_id
    resp = client.post(f"/v1/claims/{claim_id}/decision", headers=keys.h("reviewer"),
                       json={"outcome": "rejected", "reason": "claim photo is the listing photo", "abuse": True})
    assert resp.json()["state"] == "decided" and resp.json()["outcome"] == "rejected"
    assert client.post(f"/v1/claims/{claim_id}/decision", headers=keys.h("reviewer"),
                       json={"outcome": "approved", "reason": "again"}).status_code == 409
    assert client.post(f"/v1/claims/{claim_id}/close", headers=keys.h("platform")).json()["state"] == "closed"
    actions = [e["action"] for e in
               client.get(f"/v1/claims/{claim_id}/audit", headers=keys.h("reviewer")).json()["items"]]
    assert actions.count("claim.analysed") == 2 and "claim.decided" in actions and "claim.statement" in actions
    decided = next(e for e in client.get(f"/v1/claims/{claim_id}/audit", headers=keys.h("reviewer")).json()["items"]
                   if e["action"] == "claim.decided")
    assert decided["actor"].startswith("reviewer:") and decided["details"]["abuse"] is True
    # the same buyer's next low-value claim is not auto-approved any more
    nxt = create(client, keys, seeds=(5,), amount="10")["claim"]["id"]
    assert wait_state(client.get, nxt, keys.h("platform"))["state"] == "awaiting_merchant"
    assert client.get("/v1/audit/verify", headers=keys.h("admin")).json()["ok"] is True


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def test_low_risk_small_claim_verified_against_the_listing_photo_is_auto_approved(service: Service) -> None:
    """The buyer's own photo of the product sold (another capture of it) beside the platform's listing photo."""
    client, keys = service
    buyer_photo, listing, _ = data.stereo_motorcycle()
    files = [("photos", ("received.jpg", _jpeg(buyer_photo), "image/jpeg")),
             ("references", ("listing.jpg", _jpeg(listing), "image/jpeg"))]
    resp = client.post("/v1/claims", headers=keys.h("platform"), files=files,
                       data={"merchant_id": "m1", "amount": "20", "buyer_id": "buyer-9"})
    assert resp.status_code == 201, resp.text
    claim_id = resp.json()["claim"]["id"]
    claim = wait_state(client.get, claim_id, keys.h("platform"))
    report = client.get(f"/v1/claims/{claim_id}/report", headers=keys.h("platform")).json()
    assert report["coverage"]["basis"] == "verified", report["coverage"]
    assert claim["level"] == "low" and claim["state"] == "auto_approved" and claim["outcome"] == "approved"


def test_low_risk_small_claim_with_nothing_to_compare_is_not_refunded_automatically(service: Service) -> None:
    client, keys = service
    claim_id = create(client, keys, amount="20")["claim"]["id"]
    claim = wait_state(client.get, claim_id, keys.h("platform"))
    assert claim["level"] == "low" and claim["state"] == "awaiting_merchant" and claim["outcome"] is None
    report = client.get(f"/v1/claims/{claim_id}/report", headers=keys.h("platform")).json()
    assert report["coverage"]["basis"] == "unverified"
    assert "Unverified, not genuine" in report["coverage"]["summary"]["en"]
    routed = [e for e in client.get(f"/v1/claims/{claim_id}/audit", headers=keys.h("reviewer")).json()["items"]
              if e["action"] == "claim.state_changed" and e["details"].get("to") == "awaiting_merchant"]
    assert routed and "unverified" in routed[-1]["details"]["why"]


def _video(path: Path, frames: int = 24) -> bytes:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=12)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.gop_size = 6
        for i in range(frames):
            rgb = np.zeros((120, 160, 3), np.uint8)
            rgb[:, :, 0] = (i * 10) % 255
            rgb[40:80, 20 + i * 4:60 + i * 4] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


def test_packing_video_keyframes_become_references(service: Service, tmp_path: Path) -> None:
    client, keys = service
    claim_id = create(client, keys, amount="999")["claim"]["id"]
    wait_state(client.get, claim_id, keys.h("platform"))
    video = _video(tmp_path / "packing.mp4")
    resp = client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("merchant"),
                       files={"video": ("packing.mp4", video, "video/mp4")})
    assert resp.status_code == 202, resp.text
    claim = client.get(f"/v1/claims/{claim_id}", headers=keys.h("merchant")).json()
    kinds = [e["kind"] for e in claim["evidence"]]
    assert kinds.count("video") == 1 and 1 <= kinds.count("keyframe") <= 8
    frames = [e for e in claim["evidence"] if e["kind"] == "keyframe"]
    assert all(e["role"] == "reference" and e["source_sha256"] == claim["evidence"][1]["sha256"] for e in frames)
    claim = wait_state(client.get, claim_id, keys.h("platform"))
    report = client.get(f"/v1/claims/{claim_id}/report", headers=keys.h("platform")).json()
    assert sum(im["role"] == "reference" for im in report["images"]) == len(frames)
    bad = client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("merchant"),
                      files={"video": ("v.mp4", photo(1), "video/mp4")})
    assert bad.status_code == 415


def test_evidence_store_deduplicates_and_limits(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    first = store.put_bytes(photo(9), kinds=frozenset({"image"}), max_bytes=10**6)
    second = store.put_bytes(photo(9), kinds=frozenset({"image"}), max_bytes=10**6)
    assert first.new and not second.new and first.path == second.path and first.format == "JPEG"
    assert store.path(first.sha256).read_bytes() == photo(9)
    assert len(list((tmp_path / "evidence").rglob("*.*"))) == 0 and len(list((tmp_path / "tmp").iterdir())) == 0
    with pytest.raises(PayloadTooLarge):
        store.put(io.BytesIO(photo(9)), kinds=frozenset({"image"}), max_bytes=100)
    with pytest.raises(UnsupportedMedia):
        store.put_bytes(b"%PDF-1.7 ...", kinds=frozenset({"image"}), max_bytes=10**6)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_migrations_match_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade()
    db.upgrade()  # idempotent
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_root_redirects_to_the_web_pages(tmp_path):
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    app = create_app(settings, ServiceConfig(background=False, local_workers=1))
    with TestClient(app) as client:
        response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/ui/"
