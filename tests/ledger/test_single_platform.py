"""One platform on its own (``make run``, small users): HMAC pseudonyms, the appeal window, appeals before
publication, a changed decision, expiry, and the buyer's page, export and erasure."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from refundguard.config import load_settings
from refundguard.ledger import adjudication
from refundguard.ledger.config import LedgerConfig
from refundguard.ledger.models import LedgerAdjudication, LedgerEntry, LedgerIdentity
from refundguard.service.app import create_app
from refundguard.service.config import ServiceConfig
from refundguard.service.db import utcnow
from tests.ledger.helpers import finding
from tests.service.svc_helpers import make_keys, photo, wait_state


@pytest.fixture
def platform(tmp_path: Path):
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    app = create_app(settings, ServiceConfig(background=False, local_workers=1), include_web=False,
                     ledger=LedgerConfig(platform="shop-a", public_url="http://testserver"))
    with TestClient(app) as client:
        yield client, make_keys(app.state.db.session), app


def claim(client, keys, buyer: str, seed: int = 3) -> dict:
    r = client.post("/v1/claims", headers=keys.h("platform"), files=[("photos", ("a.jpg", photo(seed), "image/jpeg"))],
                    data={"merchant_id": "m1", "buyer_id": buyer, "amount": "480"})
    assert r.status_code == 201, r.text
    return wait_state(client.get, r.json()["claim"]["id"], keys.h("platform"))


def decide(client, keys, claim_id: str, outcome: str = "rejected", abuse: bool = True) -> None:
    r = client.post(f"/v1/claims/{claim_id}/decision", headers=keys.h("reviewer"),
                    json={"outcome": outcome, "reason": "edited photo", "abuse": abuse})
    assert r.status_code == 200, r.text


def publish(app, days: float) -> int:
    with app.state.db.session() as session:
        return adjudication.publish_due(session, app.state.ledger, now=utcnow() + timedelta(days=days))


def token(client, keys, buyer: str) -> str:
    r = client.post("/v1/ledger/buyer-links", headers=keys.h("platform"), json={"buyer_id": buyer})
    assert r.status_code == 200 and r.json()["url"].startswith("http://testserver/ledger/me?token=")
    return r.json()["token"]


def test_identifiers_are_stored_only_as_pseudonyms(platform):
    client, keys, app = platform
    r = client.put("/v1/ledger/buyers/u1", headers=keys.h("platform"),
                   json={"phone": "138 0013 8000", "id_number": "11010519491231002x"})
    assert r.json() == {"buyer_id": "u1", "registered": ["phone", "id"]}
    with app.state.db.session() as session:
        rows = session.scalars(select(LedgerIdentity)).all()
    assert len(rows) == 2 and all(len(r.pseudonym) == 64 and "138" not in r.pseudonym for r in rows)
    assert client.put("/v1/ledger/buyers/u1", headers=keys.h("platform"), json={"phone": "123"}).status_code == 422
    assert client.put("/v1/ledger/buyers/u1", headers=keys.h("merchant"), json={"phone": "13800138000"}
                      ).status_code == 403
    with app.state.db.session() as session:
        from refundguard.service.audit.models import AuditEntry

        details = "".join(e.details for e in session.scalars(select(AuditEntry)))
    assert "13800138000" not in details and "1949" not in details


def test_window_appeal_publication_and_the_next_claim(platform):
    client, keys, app = platform
    client.put("/v1/ledger/buyers/u1", headers=keys.h("platform"), json={"phone": "13800138000"})
    first = claim(client, keys, "u1")
    decide(client, keys, first["id"])
    assert publish(app, days=14) == 0  # inside the 15-day appeal window

    # the buyer appeals through the page before publication
    bt = token(client, keys, "u1")
    moved = client.get(f"/ledger/me?token={bt}", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/ledger/me"  # the token leaves the address
    cookie = moved.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/ledger/me")
    assert page.status_code == 200 and "我的账本记录" in page.text and "What the ledger holds on me" in page.text
    assert bt not in page.text
    held = client.get("/v1/ledger/me", headers={"Authorization": f"Bearer {bt}"}).json()
    (adj,) = held["adjudications"]
    assert adj["status"] == "waiting" and held["identifiers"][0]["kind"] == "phone"
    forged = client.post("/ledger/me/appeal", data={"adjudication_id": adj["id"], "statement": "forged"},
                         follow_redirects=False)
    assert forged.status_code == 403 and "表单已失效" in forged.text  # no form token: refused (CSRF)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    r = client.post("/ledger/me/appeal", data={"adjudication_id": adj["id"], "csrf_token": csrf.group(1),
                                              "statement": "the crack was there on delivery"}, follow_redirects=False)
    assert r.status_code == 303 and parse_qs(urlparse(r.headers["location"]).query)["message"] == ["appeal_filed"]
    assert publish(app, days=16) == 0  # appealed: waits for the appeal

    appeals = client.get("/v1/ledger/appeals", headers=keys.h("reviewer")).json()["items"]
    assert [a["adjudication_id"] for a in appeals] == [adj["id"]]
    r = client.post(f"/v1/ledger/appeals/{appeals[0]['id']}/decision", headers=keys.h("reviewer"),
                    json={"upheld": False, "reason": "the listing photo proves the edit"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert publish(app, days=0) == 1  # appeal rejected: published at once

    second = claim(client, keys, "u1", seed=4)
    report = client.get(f"/v1/claims/{second['id']}/report", headers=keys.h("reviewer")).json()
    assert finding(report)["details"]["platforms"] == ["shop-a"]
    merchant = client.get(f"/v1/claims/{second['id']}/report", headers=keys.h("merchant")).json()
    assert finding(merchant) is None
    export = client.get("/v1/ledger/me/export")  # the page's link: the cookie
    assert export.headers["content-disposition"].startswith("attachment") and export.json()["entries"]
    erased = client.post("/v1/ledger/me/erase", headers={"Authorization": f"Bearer {bt}"}).json()
    assert erased["kept"] and erased["kept"][0]["until"] == export.json()["entries"][0]["expires_on"]

    # expiry: the entry is revoked and erased; the buyer may then have everything erased
    with app.state.db.session() as session:
        entry = session.scalars(select(LedgerEntry)).one()
        assert adjudication.expire_due(session, app.state.ledger, today=entry.expires_on) == 1
    with app.state.db.session() as session:
        entry = session.scalars(select(LedgerEntry)).one()
        assert (entry.status, entry.amount) == ("expired", None)
    erased = client.post("/v1/ledger/me/erase", headers={"Authorization": f"Bearer {bt}"}).json()
    assert erased["kept"] == [] and erased["erased"]["identifiers"] == 1


def test_a_changed_decision_withdraws_the_adjudication_or_revokes_its_entry(platform):
    # The workflow today makes a rejection final; a later decision on the same claim (a reopened claim) must still
    # take the adjudication back: withdrawn while waiting, revoked (issuer_withdrawn) once published.
    from refundguard.ledger import hooks
    from refundguard.service.claims.models import Claim

    client, keys, app = platform
    client.put("/v1/ledger/buyers/u2", headers=keys.h("platform"), json={"phone": "13900139000"})
    waiting, published = claim(client, keys, "u2"), claim(client, keys, "u2", seed=4)
    decide(client, keys, waiting["id"])
    decide(client, keys, published["id"])
    with app.state.db.session() as session:
        adjudication.publish_due(session, app.state.ledger, now=utcnow() + timedelta(days=16), limit=1)
    with app.state.db.session() as session:
        for claim_id in (waiting["id"], published["id"]):
            row = session.get(Claim, claim_id)
            row.outcome, row.abuse_confirmed = "approved", False
            hooks.decision_recorded(session=session, claim=row)
    with app.state.db.session() as session:
        rows = {r.claim_id: r for r in session.scalars(select(LedgerAdjudication))}
        entries = session.scalars(select(LedgerEntry)).all()
    assert {r.status for r in rows.values()} == {"withdrawn"}
    assert [(e.status, e.status_reason) for e in entries] == [("revoked", "issuer_withdrawn")]
    assert publish(app, days=30) == 0


def test_buyer_links_are_bound_and_expire(platform):
    client, keys, app = platform
    bt = token(client, keys, "u3")
    for bad in (bt[:-2] + "00", bt.replace("bt_", "bt_x"), "bt_", "rg_nope"):
        r = client.get("/v1/ledger/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401 and r.json()["error"]["message"]["zh"]
    old, _ = app.state.ledger.links.issue("shop-a", "u3", 1, now=0)
    assert client.get(f"/v1/ledger/me?token={old}").status_code == 401
    page = client.get("/ledger/me?token=bt_bad.x")
    assert page.status_code == 401 and "访问链接无效" in page.text
    client.cookies.clear()
    assert client.get("/ledger/me").status_code == 401
    r = client.post("/v1/ledger/me/appeals", headers={"Authorization": f"Bearer {bt}"},
                    json={"issuer": "shop-a", "entry_id": "e_" + "0" * 20, "statement": "x"})
    assert r.status_code == 404
