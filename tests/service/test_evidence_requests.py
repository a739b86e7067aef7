"""A reviewer's request for more evidence (issue 13 §3) is a state of its own: addressed to the buyer or the
merchant, with a deadline; the addressed party's evidence goes back to a reviewer; at the deadline the claim
returns to the reviewer queue with that fact, never to an automatic refund or rejection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.background import Background
from refundguard.service.claims import service as claims
from refundguard.service.claims.workflow import can_transition
from refundguard.service.config import PolicyConfig, ServiceConfig
from refundguard.service.db import utcnow
from tests.service.svc_helpers import Keys, make_keys, photo, wait_state, web_login

Service = tuple[TestClient, Keys]


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Service]:
    """The service with pages, where no claim is refunded automatically (every claim waits for a person)."""
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    config = ServiceConfig(background=False, local_workers=1, policy=PolicyConfig(auto_approve_max_amount=0))
    app = create_app(settings, config)
    with TestClient(app) as client:
        yield client, make_keys(app.state.db.session)


def _claim(client: TestClient, keys: Keys, seed: int = 1) -> str:
    resp = client.post("/v1/claims", headers=keys.h("platform"), data={"merchant_id": "m1", "amount": "60"},
                       files=[("photos", ("p.jpg", photo(seed), "image/jpeg"))])
    claim_id = resp.json()["claim"]["id"]
    assert wait_state(client.get, claim_id, keys.h("platform"))["state"] == "awaiting_merchant"
    return claim_id


def _ask(client: TestClient, keys: Keys, claim_id: str, party: str, **extra: object) -> dict:
    resp = client.post(f"/v1/claims/{claim_id}/decision", headers=keys.h("reviewer"),
                       json={"outcome": "more_evidence_requested", "reason": "a photo of the base, another angle",
                             "evidence_from": party, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _expire(client: TestClient, claim_id: str) -> list[str]:
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        return claims.expire_evidence_requests(session=session, config=client.app.state.config,  # type: ignore
                                               now=utcnow() + timedelta(hours=73))


def _page(client: TestClient, key: str, path: str) -> str:
    web_login(client, key)  # a server-side session (the cookie never holds the key)
    try:
        return client.get(path).text
    finally:
        client.cookies.clear()


def test_a_request_is_a_state_with_a_party_and_a_deadline_and_stays_on_the_queue(held: Service) -> None:
    client, keys = held
    claim_id = _claim(client, keys)
    body = _ask(client, keys, claim_id, "buyer", deadline_hours=24)
    assert body["state"] == "awaiting_evidence" and body["outcome"] is None
    assert body["evidence_from"] == "buyer" and body["evidence_status"] == "requested"
    assert body["evidence_request"] == "a photo of the base, another angle"
    deadline = datetime.fromisoformat(body["deadline"])
    assert abs((deadline - (utcnow() + timedelta(hours=24))).total_seconds()) < 60
    queue = [c["id"] for c in client.get("/v1/review/queue", headers=keys.h("reviewer")).json()["items"]]
    assert claim_id in queue
    actions = [e["action"] for e in
               client.get(f"/v1/claims/{claim_id}/audit", headers=keys.h("reviewer")).json()["items"]]
    assert "claim.evidence_requested" in actions


def test_the_request_must_name_who_is_asked(held: Service) -> None:
    client, keys = held
    claim_id = _claim(client, keys)
    resp = client.post(f"/v1/claims/{claim_id}/decision", headers=keys.h("reviewer"),
                       json={"outcome": "more_evidence_requested", "reason": "another angle"})
    assert resp.status_code == 422 and "evidence_from" in resp.text


def test_an_expired_request_goes_to_the_reviewer_never_to_a_refund_or_rejection(held: Service) -> None:
    client, keys = held
    claim_id = _claim(client, keys)
    _ask(client, keys, claim_id, "buyer", deadline_hours=0.0002)  # 0.7 s
    time.sleep(1.0)
    Background(client.app.state.db, client.app.state.config).sweep_once()  # type: ignore[attr-defined]
    claim = client.get(f"/v1/claims/{claim_id}", headers=keys.h("reviewer")).json()
    assert claim["state"] == "in_review" and claim["outcome"] is None and claim["evidence_status"] == "expired"
    assert claim["deadline"] is not None
    entry = [e for e in client.get(f"/v1/claims/{claim_id}/audit", headers=keys.h("reviewer")).json()["items"]
             if e["action"] == "claim.state_changed"][-1]
    assert entry["actor"] == "system:sweeper" and entry["details"]["to"] == "in_review"
    assert "did not arrive" in entry["details"]["why"] and entry["details"]["evidence_from"] == "buyer"
    assert client.get("/v1/review/queue", headers=keys.h("reviewer")).json()["items"][0]["id"] == claim_id
    page = _page(client, keys.reviewer, f"/ui/claims/{claim_id}")
    assert "not received by the deadline" in page or "截止前未收到" in page
    assert _expire(client, claim_id) == []  # once


def test_only_the_addressed_party_answers_and_the_answer_goes_to_a_reviewer(held: Service) -> None:
    client, keys = held
    claim_id = _claim(client, keys)
    _ask(client, keys, claim_id, "buyer")
    files = [("photos", ("listing.jpg", photo(77), "image/jpeg"))]
    refused = client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("merchant"), files=files)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "evidence_requested_from_other_party"
    answered = client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("platform"),
                           files=[("photos", ("angle2.jpg", photo(5), "image/jpeg"))])
    assert answered.status_code == 202 and answered.json()["job_id"]
    claim = wait_state(client.get, claim_id, keys.h("platform"))
    assert claim["state"] == "in_review" and claim["evidence_status"] == "received"
    # a request to the merchant: the buyer's channel cannot answer it, a statement from the merchant does
    _ask(client, keys, claim_id, "merchant")
    assert client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("platform"),
                       files=[("photos", ("x.jpg", photo(6), "image/jpeg"))]).status_code == 409
    resp = client.post(f"/v1/claims/{claim_id}/evidence", headers=keys.h("merchant"),
                       data={"statement": "Packed intact; courier receipt attached."})
    assert resp.status_code == 202 and resp.json()["claim"]["state"] == "in_review"
    assert client.get("/v1/audit/verify", headers=keys.h("admin")).json()["ok"]


def test_the_merchant_page_offers_the_upload_form_only_for_a_request_to_the_merchant(held: Service) -> None:
    client, keys = held
    claim_id = _claim(client, keys)
    path = f"/ui/claims/{claim_id}"
    assert 'id="respond"' in _page(client, keys.merchant, path)  # merchant window
    _ask(client, keys, claim_id, "buyer")
    page = _page(client, keys.merchant, path)
    assert 'id="respond"' not in page and 'id="awaiting-buyer"' in page
    _ask(client, keys, claim_id, "merchant")  # asking again replaces the request
    page = _page(client, keys.merchant, path)
    assert 'id="respond"' in page and 'id="awaiting-buyer"' not in page


def test_a_reviewer_may_still_decide_while_waiting(held: Service) -> None:
    client, keys = held
    claim_id = _claim(client, keys)
    _ask(client, keys, claim_id, "buyer")
    resp = client.post(f"/v1/claims/{claim_id}/decision", headers=keys.h("reviewer"),
                       json={"outcome": "rejected", "reason": "buyer withdrew the claim"})
    assert resp.json()["state"] == "decided" and resp.json()["outcome"] == "rejected"
    assert not can_transition("decided", "analysing")  # a decided claim is not re-opened by evidence


def test_each_file_has_one_name_for_people() -> None:
    """Uploaded names; two files of one name told apart; a video frame by its video and time; no store path."""
    from types import SimpleNamespace

    from refundguard.service.evidence.service import display_names

    def row(sha: str, name: str | None, role: str = "claim", frame: str | None = None,
            source: str | None = None) -> SimpleNamespace:
        return SimpleNamespace(sha256=sha * 64, filename=name, role=role, frame_time=frame, source_sha256=source)

    names = display_names([row("a", "IMG_0001.jpg"), row("b", "img_0001.JPG"), row("c", "pack.mp4", "video"),
                           row("d", None, "reference", "1.500", "c" * 64), row("e", None),
                           row("a", "IMG_0001.jpg", "reference")])
    assert names == {"a" * 64: "IMG_0001.jpg", "b" * 64: "img_0001 (2).JPG", "c" * 64: "pack.mp4",
                     "d" * 64: "pack.mp4 @1.500s", "e" * 64: "claim-eeeeeeee"}
