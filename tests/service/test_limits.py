"""Rate limits and upload quotas: the counting itself (fake clock) and the 429 a tenant over quota gets."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from refundguard.config import load_settings
from refundguard.service.app import create_app
from refundguard.service.auth.ratelimit import FailureLimiter, client_address
from refundguard.service.config import RequestLimitsConfig, ServiceConfig
from refundguard.service.errors import TooManyRequests
from refundguard.service.ingress.quotas import UploadQuota
from tests.service.svc_helpers import make_keys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_lock_a_client_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    limiter = FailureLimiter(3, 60, clock=clock)
    locked = []
    for _ in range(3):
        locked.append(limiter.failed("a"))
        clock.now += 10
    assert locked == [False, False, True]
    assert limiter.retry_after("a") == pytest.approx(30) and limiter.retry_after("b") == 0
    clock.now += 30.5
    assert limiter.retry_after("a") == 0  # the first failure left the window
    assert limiter.failed("a") is True  # ... and one more failure locks it again
    assert limiter.retry_after("a") == pytest.approx(9.5)  # until the second failure (t+10 s) leaves


def test_tracked_clients_are_bounded() -> None:
    limiter = FailureLimiter(2, 60, clock=Clock(), max_clients=100)
    for n in range(1000):
        limiter.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) == 100


@pytest.mark.parametrize(("client", "bucket"), [
    (("203.0.113.9", 1), "203.0.113.9"), (("2001:db8:1:2:3:4:5:6", 1), "2001:db8:1:2::/64"),
    (("::ffff:203.0.113.9", 1), "203.0.113.9"), (None, "unknown"), (("testclient", 1), "testclient")])
def test_client_buckets(client: tuple[str, int] | None, bucket: str) -> None:
    assert client_address({"client": client}) == bucket


def test_quota_counts_uploads_in_flight_and_bytes_per_hour() -> None:
    clock = Clock()
    quota = UploadQuota(concurrent=2, bytes_per_hour=1000, clock=clock)
    first, second = quota.admit("t", 100), quota.admit("t", 100)
    with pytest.raises(TooManyRequests, match="2 uploads in progress"):
        quota.admit("t", 100)
    other = quota.admit("other", 100)  # another tenant is not affected
    first.charge(600)
    first.release()
    first.release()  # releasing twice frees one slot only
    assert quota.in_flight("t") == 1
    with pytest.raises(TooManyRequests) as exc:
        quota.admit("t", 500)  # 600 used + 500 announced > 1000
    assert 3500 < exc.value.retry_after_s <= 3600
    third = quota.admit("t", 300)
    with pytest.raises(TooManyRequests):
        third.charge(500)  # a chunked upload that passes the quota while streaming
    for ticket in (second, other, third):
        ticket.release()
    assert quota.in_flight("t") == 0
    clock.now += 3601
    quota.admit("t", 900).release()  # an hour later the bytes are forgotten


def test_a_tenant_over_its_upload_quota_gets_429_and_others_do_not(tmp_path: Path) -> None:
    # Bytes count as they arrive, whatever becomes of them: these uploads are refused as not images (415), so no
    # claim and no analysis is left running after the test, and still use up the quota.
    junk = b"not a photo " * 4000
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'rg.db'}", data_dir=tmp_path / "data")
    requests = RequestLimitsConfig(tenant_upload_bytes_per_hour=3 * len(junk))
    app = create_app(settings, ServiceConfig(background=False, local_workers=1, requests=requests),
                     include_web=False)
    with TestClient(app) as client:
        keys = make_keys(app.state.db.session)

        def upload(role: str) -> httpx.Response:
            return client.post("/v1/claims", headers=keys.h(role), data={"merchant_id": "m1", "amount": "9"},
                               files=[("photos", ("x.jpg", junk, "image/jpeg"))])

        statuses = [upload("platform").status_code for _ in range(5)]
        assert statuses[:2] == [415, 415] and statuses[-1] == 429, statuses
        refused = upload("platform")
        assert refused.json()["error"]["code"] == "upload_quota" and int(refused.headers["retry-after"]) > 60
        assert upload("other_tenant").status_code == 415  # another tenant's quota is its own
        # reading is not uploading and stays open to the tenant
        assert client.get("/v1/claims", headers=keys.h("platform")).status_code == 200


def test_an_upload_frees_its_slot_when_the_answer_starts() -> None:
    """The client may send its next upload as soon as it reads an answer: the slot must be free by then (a client
    with as many uploads in flight as the quota allows was refused 429 when the slot was freed only after the
    route had finished)."""
    import asyncio

    from refundguard.service.ingress.gate import RequestGate, _Body

    quota = UploadQuota(concurrent=1, bytes_per_hour=10_000)
    seen: dict[str, int] = {}

    async def route(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await receive()
        seen["before_answer"] = quota.in_flight("t")
        await send({"type": "http.response.start", "status": 201, "headers": []})
        seen["after_answer_started"] = quota.in_flight("t")
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> dict:  # type: ignore[type-arg]
        return {"type": "http.request", "body": b"x" * 10, "more_body": False}

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        pass

    gate = RequestGate(route, rules=(), limits=RequestLimitsConfig())
    body = _Body(gate, {"type": "http", "path": "/v1/claims"}, receive, send, 1000, 10, quota.admit("t", 10))
    asyncio.run(body.run())
    assert seen == {"before_answer": 1, "after_answer_started": 0}
    assert quota.in_flight("t") == 0
