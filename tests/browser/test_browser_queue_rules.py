"""The reviewer queue's filters, sorting and overdue marking (in-process app, real SQLite; no browser needed)."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.service.svc_helpers import form_token, web_login


def _photo(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], object]]:
    from refundguard.config import load_settings
    from refundguard.service.app import create_app
    from refundguard.service.auth.service import create_key
    from refundguard.service.config import ServiceConfig

    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    app = create_app(settings, ServiceConfig(background=False, local_workers=1))
    with TestClient(app) as client:
        with app.state.db.session() as session:
            keys = {role: create_key(session=session, tenant="t", role=role)[0] for role in ("platform", "reviewer")}
            keys["merchant"] = create_key(session=session, tenant="t", role="merchant", merchant_id="m-a")[0]
        yield client, keys, app


def _settle(client: TestClient, key: str, claim_id: str) -> None:
    for _ in range(300):
        if client.get(f"/v1/claims/{claim_id}", headers={"X-API-Key": key}).json()["state"] not in (
                "created", "analysing"):
            return
        time.sleep(0.1)
    raise AssertionError("analysis did not finish")


def _rows(html: str) -> list[str]:
    return re.findall(r'data-claim="([^"]+)"', html)


def _insert(app: Any, rows: list[dict[str, Any]]) -> None:
    """Claims written straight to the database (no analysis needed): tenant "t", decided, unless a row says."""
    from refundguard.service.claims.models import Claim

    with app.state.db.session() as session:
        for row in rows:
            session.add(Claim(**{"tenant": "t", "amount": 1.0, "state": "decided", "created_by": "test", **row}))
        session.commit()


def test_queue_filters_sorts_and_marks_overdue(app_client) -> None:  # type: ignore[no-untyped-def]
    from refundguard.service.claims.models import Claim
    from refundguard.service.db import utcnow

    client, keys, app = app_client
    ids = {}
    for n, (merchant, amount) in enumerate((("m-a", "300"), ("m-b", "900"), ("m-c", "500"))):
        r = client.post("/v1/claims", headers={"X-API-Key": keys["platform"]},
                        data={"merchant_id": merchant, "buyer_id": f"b{n}", "amount": amount},
                        files=[("photos", (f"{merchant}.jpg", _photo(n), "image/jpeg"))])
        assert r.status_code == 201, r.text
        ids[merchant] = r.json()["claim"]["id"]
        _settle(client, keys["platform"], ids[merchant])
    with app.state.db.session() as session:  # put the claims in review with known deadlines and levels
        now = utcnow()
        for merchant, hours, level in (("m-a", -2, "high"), ("m-b", 5, "review"), ("m-c", 30, "review")):
            claim = session.get(Claim, ids[merchant])
            claim.state, claim.deadline, claim.level = "in_review", now + timedelta(hours=hours), level
    web_login(client, keys["reviewer"], "/ui/queue")

    page = client.get("/ui/queue")
    assert page.status_code == 200
    assert _rows(page.text) == [ids["m-a"], ids["m-b"], ids["m-c"]]  # by deadline, soonest first
    overdue = re.findall(r'<tr class="overdue" data-claim="([^"]+)"', page.text)
    assert overdue == [ids["m-a"]] and 'id="overdue-count"' in page.text
    assert _rows(client.get("/ui/queue?sort=amount&order=desc").text) == [ids["m-b"], ids["m-c"], ids["m-a"]]
    assert _rows(client.get("/ui/queue?level=review").text) == [ids["m-b"], ids["m-c"]]
    assert _rows(client.get("/ui/queue?merchant=m-c").text) == [ids["m-c"]]
    assert _rows(client.get("/ui/queue?sort=level&order=desc").text)[0] == ids["m-a"]
    # unknown filter values are ignored, never an error
    assert client.get("/ui/queue?sort=%27;drop&level=nope&order=x").status_code == 200


def test_lists_page_through_every_claim_and_filter_all_of_them(app_client) -> None:  # type: ignore[no-untyped-def]
    from refundguard.service.db import utcnow
    from refundguard.web.pages import PAGE_SIZE

    client, keys, app = app_client
    n = 2 * PAGE_SIZE + 20
    now = utcnow()
    _insert(app, [dict(id=f"c-{k:04d}", merchant_id=f"Shop-{k}", amount=float(k), state="in_review",
                       level="review" if k % 2 else "high", deadline=now + timedelta(hours=k - 3, minutes=30))
                  for k in range(n)] + [dict(id="c-other", tenant="other", merchant_id="Shop-1", state="in_review")])
    web_login(client, keys["reviewer"], "/ui/queue")

    first = client.get("/ui/queue").text
    assert f'id="total">({n})' in first and 'id="overdue-count">· 3 ' in first  # counted over all pages
    assert _rows(first) == [f"c-{k:04d}" for k in range(PAGE_SIZE)]
    seen = _rows(first)
    page = first
    while 'id="next-page"' in page:
        link = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        page = client.get("/ui/queue" + link).text
        seen += _rows(page)
    assert seen == [f"c-{k:04d}" for k in range(n)]  # every claim once, in deadline order, never another tenant's
    assert 'id="previous-page"' in page and "3 / 3" in page
    # filters apply to all claims, not to one page: "shop-11" is Shop-11 and Shop-110 … Shop-119
    assert sorted(_rows(client.get("/ui/queue?merchant=shop-11").text)) == (
        ["c-0011"] + [f"c-{k:04d}" for k in range(110, 120)])
    by_amount = client.get("/ui/queue?sort=amount&order=desc&level=review&page=2").text
    assert _rows(by_amount)[0] == f"c-{n - 1 - 2 * PAGE_SIZE:04d}"
    previous = re.search(r'href="([^"]+)" rel="prev"', by_amount).group(1)  # type: ignore[union-attr]
    assert re.search(r"page=1(&|$)", previous) and "level=review" in previous and "sort=amount" in previous
    # a page past the end shows the last one; page 0 and nonsense show the first, never an error
    assert _rows(client.get("/ui/queue?page=99").text) == [f"c-{k:04d}" for k in range(2 * PAGE_SIZE, n)]
    for wanted in ("0", "-1", "x", "²", "9" * 40):
        shown = client.get("/ui/queue", params={"page": wanted})
        assert shown.status_code == 200 and _rows(shown.text)[0] in ("c-0000", f"c-{2 * PAGE_SIZE:04d}")
    assert "1 / 3" in client.get("/ui/queue?page=0").text
    assert _rows(client.get("/ui/queue?merchant=%25").text) == []  # a LIKE wildcard is matched literally


def test_merchants_page_through_their_own_claims_only(app_client) -> None:  # type: ignore[no-untyped-def]
    from refundguard.web.pages import PAGE_SIZE

    client, keys, app = app_client
    _insert(app, [dict(id=f"{who}-{k:03d}", merchant_id=merchant, amount=float(k))
                  for k in range(PAGE_SIZE + 5) for who, merchant in (("own", "m-a"), ("else", "m-b"))]
            + [dict(id="accent", merchant_id="ÉShop")])
    web_login(client, keys["merchant"], "/ui/claims")
    first = client.get("/ui/claims?sort=amount").text
    second = client.get("/ui/claims?sort=amount&page=2").text
    assert f'id="total">({PAGE_SIZE + 5})' in first
    assert _rows(first) + _rows(second) == [f"own-{k:03d}" for k in range(PAGE_SIZE + 5)]
    assert _rows(client.get("/ui/claims?merchant=m-b").text) == []  # another merchant's claims stay hidden
    assert client.get("/ui/queue").status_code == 403
    web_login(client, keys["reviewer"], "/ui/claims")
    assert _rows(client.get("/ui/claims", params={"merchant": "ÉShop"}).text) == ["accent"]  # non-ASCII as typed


def test_decision_needs_a_reason_and_platform_keys_cannot_decide(app_client) -> None:  # type: ignore[no-untyped-def]
    client, keys, _app = app_client
    r = client.post("/v1/claims", headers={"X-API-Key": keys["platform"]},
                    data={"merchant_id": "m-a", "amount": "999"},
                    files=[("photos", ("x.jpg", _photo(9), "image/jpeg"))])
    claim_id = r.json()["claim"]["id"]
    _settle(client, keys["platform"], claim_id)
    web_login(client, keys["reviewer"], "/ui/queue")
    token = form_token(client.get(f"/ui/claims/{claim_id}").text)
    blank = client.post(f"/ui/claims/{claim_id}/decision", data={"outcome": "rejected", "reason": "   ",
                                                                  "csrf_token": token})
    assert blank.status_code == 422 and "理由" in blank.text
    bad = client.post(f"/ui/claims/{claim_id}/decision", data={"outcome": "refund-twice", "reason": "x",
                                                                "csrf_token": token})
    assert bad.status_code == 422
    client.cookies.clear()
    web_login(client, keys["platform"], "/ui/claims")
    token = form_token(client.get(f"/ui/claims/{claim_id}").text)  # the logout form's token
    denied = client.post(f"/ui/claims/{claim_id}/decision", data={"outcome": "approved", "reason": "ok",
                                                                   "csrf_token": token})
    assert denied.status_code == 403 and "text/html" in denied.headers["content-type"]
    assert client.get(f"/v1/claims/{claim_id}", headers={"X-API-Key": keys["platform"]}).json()["outcome"] is None


def test_open_redirect_is_refused(app_client) -> None:  # type: ignore[no-untyped-def]
    client, keys, _app = app_client
    r = web_login(client, keys["reviewer"], "https://evil.example/")
    assert r.status_code == 303 and r.headers["location"] == "/ui/"
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()


def test_buyer_history_hides_other_merchants_from_a_merchant(app_client) -> None:  # type: ignore[no-untyped-def]
    client, keys, _app = app_client
    ids = {}
    for merchant, amount in (("m-a", "1200"), ("m-b", "2000")):
        r = client.post("/v1/claims", headers={"X-API-Key": keys["platform"]},
                        data={"merchant_id": merchant, "buyer_id": "same-buyer", "amount": amount},
                        files=[("photos", (f"{merchant}.jpg", _photo(len(ids) + 20), "image/jpeg"))])
        ids[merchant] = r.json()["claim"]["id"]
        _settle(client, keys["platform"], ids[merchant])
        decided = client.post(f"/v1/claims/{ids[merchant]}/decision", headers={"X-API-Key": keys["reviewer"]},
                              json={"outcome": "rejected", "reason": "forged", "abuse": True})
        assert decided.status_code == 200, decided.text
    web_login(client, keys["reviewer"], "/ui/queue")
    reviewer_view = client.get(f"/ui/claims/{ids['m-a']}").text
    assert ids["m-b"] in reviewer_view and "¥3,200.00" in reviewer_view
    client.cookies.clear()
    web_login(client, keys["merchant"], "/ui/claims")
    merchant_view = client.get(f"/ui/claims/{ids['m-a']}").text
    assert ids["m-b"] not in merchant_view and "m-b" not in merchant_view
    assert "another merchant" in merchant_view and "¥3,200.00" in merchant_view
    assert client.get(f"/ui/claims/{ids['m-b']}").status_code == 404
