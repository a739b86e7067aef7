"""The capture routes under the service's security model (in-process app, no analyses): the request gate caps
frame uploads at the capture limits before the body is read and answers the page's script in JSON; posts from
another site are refused; the buyer's page alone may use the camera and run its own script (no eval, nothing
inline); the case page's "request a live capture" form needs the session's CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from refundguard.capture.config import FORM_SLACK, CaptureConfig
from refundguard.capture.models import CaptureFrame, CaptureRequest
from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.claims.models import Claim
from refundguard.service.config import ServiceConfig
from refundguard.service.db import utcnow
from tests.service.svc_helpers import Keys, form_token, make_keys, web_login

SMALL = CaptureConfig(max_frame_bytes=256 * 1024, max_video_bytes=512 * 1024)


@dataclass
class App:
    client: TestClient
    keys: Keys
    app: object

    def claim_in_review(self, claim_id: str = "clm_capture") -> str:
        with self.app.state.db.session() as session:  # type: ignore[attr-defined]
            session.add(Claim(id=claim_id, tenant="shop-a", merchant_id="m1", amount=99.0, state="in_review",
                              created_by="test", claimed_at=utcnow(), merchant_responded=False,
                              abuse_confirmed=False))
        return claim_id

    def link(self, claim_id: str) -> str:
        r = self.client.post(f"/v1/claims/{claim_id}/capture", headers=self.keys.h("platform"), json={})
        assert r.status_code == 201, r.text
        return r.json()["link"]["path"]


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[App]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    application = create_app(settings, ServiceConfig(background=False, local_workers=1, capture=SMALL))
    with TestClient(application) as client:
        yield App(client, make_keys(application.state.db.session), application)


def _stored(svc: App) -> list[str]:
    root = svc.app.state.store.root  # type: ignore[attr-defined]
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_the_gate_caps_frames_at_the_capture_limits_and_answers_the_page_in_json(svc: App) -> None:
    link = svc.link(svc.claim_in_review())
    started = svc.client.post(f"{link}/session", json={})
    assert started.status_code == 200, started.text
    nonce = started.json()["nonce"]
    before = _stored(svc)
    limit = SMALL.frame_request_bytes
    assert limit == 512 * 1024 + FORM_SLACK
    # announced larger than the largest frame the capture settings allow: refused before a byte is read
    body = b"x" * (limit + 1)
    r = svc.client.post(f"{link}/frames", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"
    assert r.headers.get("connection") == "close"
    message = r.json()["error"]["message"]
    assert message["en"].startswith("the request body is larger than") and message["zh"]
    # a photo frame over max_frame_bytes inside the gate's cap: the route refuses it by kind
    big = svc.client.post(f"{link}/frames", data={"nonce": nonce, "kind": "whole"},
                          files={"file": ("a.jpg", b"\xff\xd8" + b"\x00" * (300 * 1024), "image/jpeg")})
    assert big.status_code == 413 and big.json()["error"]["message"]["zh"]
    # the session start and completion take small bodies only
    huge_complete = svc.client.post(f"{link}/complete", content=b"{" + b" " * 20000 + b"}",
                                 headers={"Content-Type": "application/json", "X-Capture-Nonce": nonce})
    assert huge_complete.status_code == 413
    assert _stored(svc) == before
    with svc.app.state.db.session() as session:  # type: ignore[attr-defined]
        assert session.scalars(select(CaptureFrame)).all() == []


def test_posts_from_another_site_are_refused(svc: App) -> None:
    link = svc.link(svc.claim_in_review())
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        r = svc.client.post(f"{link}/session", json={}, headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "cross_site", headers
    with svc.app.state.db.session() as session:  # type: ignore[attr-defined]
        assert session.scalars(select(CaptureRequest)).one().status == "requested"  # nothing started
    ok = svc.client.post(f"{link}/session", json={}, headers={"Sec-Fetch-Site": "same-origin",
                                                              "Origin": "http://testserver"})
    assert ok.status_code == 200
    nonce = ok.json()["nonce"]
    frame = svc.client.post(f"{link}/frames", data={"nonce": nonce, "kind": "whole"},
                            files={"file": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")},
                            headers={"Sec-Fetch-Site": "same-site"})
    assert frame.status_code == 403


def test_only_the_capture_page_may_use_the_camera_and_it_runs_no_inline_or_evaluated_script(svc: App) -> None:
    link = svc.link(svc.claim_in_review())
    page = svc.client.get(link)
    assert page.status_code == 200 and 'type="file"' not in page.text
    csp = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'none'"
    assert "unsafe" not in csp and directives["connect-src"] == "'self'" and "frame-ancestors 'none'" in csp
    assert "camera=(self)" in page.headers["permissions-policy"]
    assert "microphone=()" in page.headers["permissions-policy"]
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "same-origin"
    gone = svc.client.get("/capture/not-a-link")  # the error page too: the link is never cached or leaked
    assert gone.status_code == 404 and gone.headers["cache-control"] == "no-store"
    for other in ("/healthz", "/ui/login"):
        headers = svc.client.get(other).headers
        assert "camera=()" in headers["permissions-policy"] and "script-src" not in headers["content-security-policy"]
    script = svc.client.get("/capture/static/capture.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")


def test_the_case_page_request_form_needs_the_session_csrf_token(svc: App) -> None:
    claim_id = svc.claim_in_review()
    web_login(svc.client, svc.keys.reviewer)
    page = svc.client.get(f"/ui/claims/{claim_id}")
    assert page.status_code == 200 and 'id="capture-form"' in page.text
    token = form_token(page.text)
    form = {"reason": "another angle", "deadline_hours": "24"}
    missing = svc.client.post(f"/ui/claims/{claim_id}/capture", data=form, follow_redirects=False)
    wrong = svc.client.post(f"/ui/claims/{claim_id}/capture", data={**form, "csrf_token": "x" * 43},
                            follow_redirects=False)
    cross = svc.client.post(f"/ui/claims/{claim_id}/capture", data={**form, "csrf_token": token},
                            headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert (missing.status_code, wrong.status_code, cross.status_code) == (403, 403, 403)
    with svc.app.state.db.session() as session:  # type: ignore[attr-defined]
        assert session.scalars(select(CaptureRequest)).all() == []
        assert session.get(Claim, claim_id).state == "in_review"  # type: ignore[union-attr]
    ok = svc.client.post(f"/ui/claims/{claim_id}/capture", data={**form, "csrf_token": token},
                         follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].endswith("#capture")
    with svc.app.state.db.session() as session:  # type: ignore[attr-defined]
        [row] = session.scalars(select(CaptureRequest)).all()
        assert row.requested_role == "reviewer" and session.get(Claim, claim_id).state == "capture_requested"  # type: ignore[union-attr]
