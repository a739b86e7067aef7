"""Web sessions, CSRF, key revocation and rotation, rate limits and security headers (in-process app)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.audit.models import AuditEntry
from refundguard.service.auth.models import ApiKey, WebSession
from refundguard.service.auth.sessions import COOKIE
from refundguard.service.claims.models import Claim
from refundguard.service.config import SecurityConfig, ServiceConfig
from refundguard.service.db import utcnow
from tests.service.svc_helpers import Keys, form_token, make_keys, web_login

App = tuple[TestClient, Keys, object]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    security = SecurityConfig(key_failures=4, key_window_s=60, login_failures=3, login_window_s=60)
    application = create_app(settings, ServiceConfig(background=False, local_workers=1, security=security))
    with TestClient(application) as client:
        yield client, make_keys(application.state.db.session), application


def _actions(application) -> list[str]:  # type: ignore[no-untyped-def]
    with application.state.db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def _claim_in_review(application, claim_id: str = "clm_review") -> str:  # type: ignore[no-untyped-def]
    with application.state.db.session() as session:
        session.add(Claim(id=claim_id, tenant="shop-a", merchant_id="m1", amount=99.0, state="in_review",
                          created_by="test", claimed_at=utcnow(), merchant_responded=False, abuse_confirmed=False))
    return claim_id


def test_the_cookie_holds_a_random_session_id_never_the_key(app: App) -> None:
    client, keys, application = app
    resp = web_login(client, keys.reviewer, "/ui/queue")
    assert resp.status_code == 303 and resp.headers["location"] == "/ui/queue"
    cookie = client.cookies.get(COOKIE)
    assert cookie and keys.reviewer not in resp.headers["set-cookie"] and keys.reviewer.split("_")[2] not in cookie
    set_cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/ui" in set_cookie
    with application.state.db.session() as session:
        [row] = session.scalars(select(WebSession)).all()
    assert row.id == hashlib.sha256(cookie.encode()).hexdigest() and row.key_id == keys.reviewer.split("_")[1]
    assert client.get("/ui/queue").status_code == 200
    assert "session.created" in _actions(application)


def test_login_form_without_or_with_a_wrong_token_is_403(app: App) -> None:
    client, keys, _ = app
    page = client.get("/ui/login")
    token = form_token(page.text)
    assert client.post("/ui/login", data={"key": keys.reviewer}).status_code == 403
    assert client.post("/ui/login", data={"key": keys.reviewer, "csrf_token": token[::-1]}).status_code == 403
    client.cookies.clear()  # the token alone, without its cookie, is not enough either
    assert client.post("/ui/login", data={"key": keys.reviewer, "csrf_token": token}).status_code == 403
    assert COOKIE not in client.cookies


def test_state_changing_forms_need_the_session_csrf_token(app: App) -> None:
    client, keys, application = app
    claim_id = _claim_in_review(application)
    web_login(client, keys.reviewer)
    page = client.get(f"/ui/claims/{claim_id}")
    token = form_token(page.text)
    decision = {"outcome": "rejected", "reason": "forged"}
    missing = client.post(f"/ui/claims/{claim_id}/decision", data=decision)
    wrong = client.post(f"/ui/claims/{claim_id}/decision", data={**decision, "csrf_token": "x" * 43})
    assert missing.status_code == 403 and wrong.status_code == 403 and "text/html" in missing.headers["content-type"]
    cross = client.post(f"/ui/claims/{claim_id}/decision", data={**decision, "csrf_token": token},
                        headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    for site in ("cross-site", "same-site"):  # a sibling subdomain may not post either
        refused = client.post(f"/ui/claims/{claim_id}/decision", data={**decision, "csrf_token": token},
                              headers={"Sec-Fetch-Site": site, "Origin": "http://testserver"})
        assert refused.status_code == 403
    with application.state.db.session() as session:
        assert session.get(Claim, claim_id).state == "in_review"  # type: ignore[union-attr]
    ok = client.post(f"/ui/claims/{claim_id}/decision", data={**decision, "csrf_token": token},
                     headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, follow_redirects=False)
    assert ok.status_code == 303
    with application.state.db.session() as session:
        assert session.get(Claim, claim_id).outcome == "rejected"  # type: ignore[union-attr]
    merchant_form = client.post(f"/ui/claims/{claim_id}/respond", files={"listing": ("a.jpg", b"x", "image/jpeg")})
    assert merchant_form.status_code == 403


def test_logout_revokes_the_session_on_the_server(app: App) -> None:
    client, keys, application = app
    web_login(client, keys.reviewer)
    stolen = client.cookies.get(COOKIE)
    token = form_token(client.get("/ui/queue").text)
    assert client.post("/ui/logout", data={}).status_code == 403  # logout is a form too
    assert client.get("/ui/queue").status_code == 200
    resp = client.post("/ui/logout", data={"csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/ui/login"
    client.cookies.set(COOKIE, stolen, path="/ui")  # the old cookie, replayed, is worthless
    replay = client.get("/ui/queue", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/ui/login")
    assert "session.ended" in _actions(application)


def test_sessions_expire_absolutely_and_when_idle(app: App) -> None:
    client, keys, application = app
    web_login(client, keys.reviewer)
    assert client.get("/ui/queue", follow_redirects=False).status_code == 200
    with application.state.db.session() as session:
        session.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=3)))
    assert client.get("/ui/queue", follow_redirects=False).status_code == 303  # 2 h idle limit
    web_login(client, keys.reviewer)
    with application.state.db.session() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/ui/queue", follow_redirects=False).status_code == 303


def test_revoked_key_is_refused_at_once_on_the_api_and_the_pages(app: App) -> None:
    client, keys, application = app
    web_login(client, keys.reviewer)
    assert client.get("/v1/review/queue", headers=keys.h("reviewer")).status_code == 200
    key_id = keys.reviewer.split("_")[1]
    resp = client.post(f"/v1/admin/keys/{key_id}/revoke", headers=keys.h("admin"), json={"reason": "leaked"})
    assert resp.status_code == 200 and resp.json()["active"] is False and resp.json()["revoked_at"]
    denied = client.get("/v1/review/queue", headers=keys.h("reviewer"))
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "unauthorized"
    assert client.get("/ui/queue", follow_redirects=False).status_code == 303  # its web session ended too
    with application.state.db.session() as session:
        assert session.scalar(select(WebSession.revoked_at)) is not None
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "key.revoked")).one()
    assert entry.subject_id == key_id and entry.actor.startswith("admin:") and '"sessions_ended":1' in entry.details
    again = client.post(f"/v1/admin/keys/{key_id}/revoke", headers=keys.h("admin"))
    assert again.status_code == 200  # revoking twice is harmless and audited once
    assert _actions(application).count("key.revoked") == 1


def test_rotation_issues_a_successor_and_retires_the_old_key(app: App) -> None:
    client, keys, application = app
    old_id = keys.platform.split("_")[1]
    rotated = client.post(f"/v1/admin/keys/{old_id}/rotate", headers=keys.h("admin"))
    assert rotated.status_code == 201
    new = rotated.json()["key"]
    assert rotated.json()["details"]["role"] == "platform" and rotated.json()["details"]["key_id"] != old_id
    assert client.get("/v1/claims", headers={"X-API-Key": new}).status_code == 200
    assert client.get("/v1/claims", headers=keys.h("platform")).status_code == 401
    # with a grace period the old key works until it ends
    grace_old = new.split("_")[1]
    later = client.post(f"/v1/admin/keys/{grace_old}/rotate", headers=keys.h("admin"), json={"grace_minutes": 30})
    assert client.get("/v1/claims", headers={"X-API-Key": new}).status_code == 200
    assert client.get("/v1/claims", headers={"X-API-Key": later.json()["key"]}).status_code == 200
    with application.state.db.session() as session:
        session.execute(update(ApiKey).where(ApiKey.key_id == grace_old)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/v1/claims", headers={"X-API-Key": new}).status_code == 401
    assert _actions(application).count("key.rotated") == 2


def test_admin_key_api_is_tenant_scoped_and_admin_only(app: App) -> None:
    client, keys, application = app
    page = client.get("/v1/admin/keys", headers=keys.h("admin")).json()
    listed = page["items"]
    assert page["total"] == 5 and page["offset"] == 0  # paged like every list
    assert {k["tenant"] for k in listed} == {"shop-a"} and len(listed) == 5
    second = client.get("/v1/admin/keys?limit=2&offset=2", headers=keys.h("admin")).json()
    assert [k["key_id"] for k in second["items"]] == [k["key_id"] for k in listed[2:4]] and second["total"] == 5
    assert all("digest" not in k and "salt" not in k and "key" not in k for k in listed)
    other = keys.other_tenant.split("_")[1]
    assert client.post(f"/v1/admin/keys/{other}/revoke", headers=keys.h("admin")).status_code == 404
    assert client.post("/v1/admin/keys/zz/revoke", headers=keys.h("admin")).status_code == 422
    for role in ("platform", "reviewer", "merchant"):
        assert client.get("/v1/admin/keys", headers=keys.h(role)).status_code == 403
    made = client.post("/v1/admin/keys", headers=keys.h("admin"), json={"role": "merchant", "merchant_id": "m9",
                                                                       "label": "shop 9"})
    assert made.status_code == 201 and client.get("/v1/claims", headers={"X-API-Key": made.json()["key"]}).status_code \
        == 200
    bad = client.post("/v1/admin/keys", headers=keys.h("admin"), json={"role": "merchant"})
    assert bad.status_code == 422
    assert "key.created" in _actions(application)


def test_wrong_keys_from_one_address_are_rate_limited(app: App) -> None:
    client, keys, application = app
    wrong = {"Authorization": "Bearer rg_0123456789abcdef_" + "x" * 43}
    assert [client.get("/v1/claims", headers=wrong).status_code for _ in range(4)] == [401] * 4
    limited = client.get("/v1/claims", headers=wrong)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "too_many_failed_keys" and limited.json()["error"]["message"]["zh"]
    # the address is refused outright for the window, even with a valid key, and before a body is read
    assert client.get("/v1/claims", headers=keys.h("platform")).status_code == 429
    assert client.post("/v1/claims", headers=keys.h("platform"), files={"photos": ("a.jpg", b"x")}).status_code == 429
    assert client.get("/v1/claims").status_code == 429
    assert _actions(application).count("auth.rate_limited") == 1


def test_failed_logins_are_rate_limited(app: App) -> None:
    client, keys, application = app
    statuses = [web_login(client, "rg_0123456789abcdef_" + "y" * 43).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    locked = web_login(client, keys.reviewer)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    assert "登录失败次数过多" in locked.text and COOKIE not in client.cookies
    with application.state.db.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.rate_limited")).one()
    assert '"kind":"login"' in entry.details


def test_security_headers_on_pages_and_api(app: App) -> None:
    client, keys, _ = app
    for resp in (client.get("/ui/login"), client.get("/v1/claims", headers=keys.h("platform")),
                 client.get("/v1/claims")):
        h = resp.headers
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp  # no script may run on the pages at all
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "same-origin" and h["cache-control"] == "no-store"
    docs = client.get("/docs").headers["content-security-policy"]  # offline docs: this origin and hashed scripts
    assert "cdn." not in docs and "script-src 'self' 'sha256-" in docs and "'unsafe-inline'; style-src" not in docs
    assert "no-store" not in client.get("/ui/static/web.css").headers["cache-control"]
    assert "style=" not in client.get("/ui/login").text  # inline styles would be blocked by the policy
    assert "strict-transport-security" not in client.get("/ui/login").headers
    assert "max-age=" in client.get("https://testserver/ui/login").headers["strict-transport-security"]


def test_openapi_documents_every_error_status(app: App) -> None:
    from refundguard.service.openapi import ROUTE_ERRORS, statuses_for

    client, _, _ = app
    doc = client.get("/openapi.json").json()
    operations = {(m.upper(), p): op for p, ops in doc["paths"].items() for m, op in ops.items()}
    assert set(ROUTE_ERRORS) <= set(operations), set(ROUTE_ERRORS) - set(operations)
    for (method, path), op in operations.items():
        declared = {int(code) for code in op["responses"] if code.isdigit()}
        if path.startswith("/v1/"):
            assert {401, 422, 429} <= declared, (method, path)
            assert set(statuses_for(method, path)) <= declared
        if method == "POST" and path.startswith("/v1/"):
            assert {400, 408, 413} <= declared, (method, path)
        assert op["responses"].get("422", {}).get("content", {"application/json": {"schema": {
            "$ref": "#/components/schemas/ErrorBody"}}})["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    assert re.search(r"revoked", doc["components"]["schemas"].get("ErrorBody", {}).get("description", "")
                     + str(operations[("GET", "/v1/claims")]["responses"]["401"]))
