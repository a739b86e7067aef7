"""The buyer's capture page in Debian's Chromium with a fake rear camera fed from real photos.

Chromium plays the Y4M clip named by ``--use-file-for-fake-video-capture`` and reads it again each time the page
opens the camera; the page opens it once per shot, so the test writes the view of the next shot before each one:
(a) the item re-framed with the one-time code on a card beside it, (b) a close-up, (c) a second camera's view.
Against a real ``refundguard serve`` on 127.0.0.1: an honest session (damage confirmed, risk lowered, the claim
refunded automatically), a session whose frames lack the claimed damage, shot (a) without the code, the reviewer's
"request capture" button, a replayed link and an expired one (410), a second session (409) — at a 390 px phone
width without horizontal scrolling.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from skimage import data

from tests.capture.sessions import jpeg, paint_crack, reframe, with_card, write_y4m
from tests.conftest import corpus_path

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}
CRACK = (300, 200, 160, 90)
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


class Service:
    def __init__(self, base: str, db: Path, keys: dict[str, str]) -> None:
        self.base, self.db, self.keys = base, db, keys

    def h(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def claim(self, photo: bytes) -> str:
        r = httpx.post(f"{self.base}/v1/claims", headers=self.h("platform"), timeout=30,
                       data={"merchant_id": "m-tea", "buyer_id": "b-1", "amount": "59"},
                       files=[("photos", ("claim.jpg", photo, "image/jpeg"))])
        assert r.status_code == 201, r.text
        claim_id = r.json()["claim"]["id"]
        self.wait(claim_id)
        return claim_id

    def wait(self, claim_id: str, leave: tuple[str, ...] = ("created", "analysing"), timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            body = httpx.get(f"{self.base}/v1/claims/{claim_id}", headers=self.h("platform"), timeout=10).json()
            if body["state"] not in leave:
                return body
            assert time.monotonic() < deadline, f"claim {claim_id} still {body['state']}"
            time.sleep(0.3)

    def report(self, claim_id: str) -> dict:
        return httpx.get(f"{self.base}/v1/claims/{claim_id}/report", headers=self.h("platform"), timeout=10).json()

    def link(self, claim_id: str, **body: object) -> str:
        r = httpx.post(f"{self.base}/v1/claims/{claim_id}/capture", headers=self.h("platform"), json=body, timeout=10)
        assert r.status_code == 201, r.text
        return self.base + r.json()["link"]["path"]

    def webhook_link(self, claim_id: str) -> str:
        """The buyer's link as the platform receives it (the capture.requested webhook in the outbox)."""
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT payload FROM webhook_deliveries WHERE event = 'capture.requested'").fetchall()
        for (payload,) in rows:
            body = json.loads(payload)["data"]
            if body["claim_id"] == claim_id:
                return self.base + body["link"]["path"]
        raise AssertionError("no capture.requested webhook for " + claim_id)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, free_port, start_server, stop_server) -> Iterator[Service]:
    from refundguard.service.auth.service import create_key
    from refundguard.service.db import Database

    certs = corpus_path("provenance", "c2pa", "certs")
    tmp = tmp_path_factory.mktemp("capture-server")
    env = {"REFUNDGUARD_DATABASE_URL": f"sqlite:///{tmp / 'rg.db'}", "REFUNDGUARD_DATA_DIR": str(tmp / "data"),
           "REFUNDGUARD_SERVICE_SWEEP_INTERVAL_S": "0.5",
           "REFUNDGUARD_SERVICE_CAPTURE__SIGNING_CERT": str(certs / "es256_certs.pem"),
           "REFUNDGUARD_SERVICE_CAPTURE__SIGNING_KEY": str(certs / "es256_private.key")}
    db = Database(env["REFUNDGUARD_DATABASE_URL"])
    db.upgrade()
    with db.session() as session:
        keys = {role: create_key(session=session, tenant="shop-a", role=role,
                                 merchant_id="m-tea" if role == "merchant" else None)[0]
                for role in ("platform", "reviewer", "merchant")}
        session.commit()
    db.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, _log = start_server(["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              f"{base}/healthz", tmp, env)
    httpx.post(f"{base}/v1/webhooks", headers={"Authorization": f"Bearer {keys['platform']}"},
               json={"url": "https://example.com/hook"}, timeout=10)
    try:
        yield Service(base, tmp / "rg.db", keys)
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def views() -> dict[str, np.ndarray]:
    left, right = data.stereo_motorcycle()[:2]
    return {"left": np.ascontiguousarray(left), "right": np.ascontiguousarray(right)}


@pytest.fixture
def camera(tmp_path: Path, views: dict[str, np.ndarray]) -> Iterator[tuple[object, Path]]:
    """A Chromium whose fake rear camera plays ``<tmp>/camera.y4m`` (rewritten by the test before each shot)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    clip = write_y4m(tmp_path / "camera.y4m", views["left"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            *CHROMIUM_ARGS, *FAKE_CAMERA, f"--use-file-for-fake-video-capture={clip}"])
        try:
            yield browser, clip
        finally:
            browser.close()


def _page(browser, url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  permissions=["camera"])
    page = context.new_page()
    page.goto(url)
    return page


def _camera_on(page, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page shows this shot's camera picture and lets the buyer press the shutter.

    (``page.wait_for_function`` evaluates its predicate as a string inside the page, which the capture page's
    Content-Security-Policy forbids, as it should: no eval.)"""
    deadline = time.monotonic() + timeout
    ready = ("(() => { const v = document.getElementById('video'); return !!(v.srcObject && v.srcObject.active"
             " && v.videoWidth > 0 && !document.getElementById('shutter').disabled); })()")
    while not page.evaluate(ready):
        assert time.monotonic() < deadline, "the camera did not start"
        time.sleep(0.1)


def _shots(views: dict[str, np.ndarray], code: str | None) -> dict[str, np.ndarray]:
    scene = reframe(views["left"], zoom=1.05, tilt=0.02)
    return {"whole": with_card(scene, code) if code else scene,
            "close": reframe(views["left"], zoom=2.2, centre=(0.5, 0.45)), "turned": views["right"]}


def _take_session(page, clip: Path, views: dict[str, np.ndarray], *, write_code: bool,  # type: ignore[no-untyped-def]
                  overflow_x) -> str:
    assert page.locator("input[type=file]").count() == 0  # no gallery, no upload
    page.click("#start")
    page.wait_for_selector("#step-code:not([hidden])")
    code = page.inner_text("#code").strip()
    assert len(code) == 4
    assert overflow_x(page) == 0
    shots = _shots(views, code if write_code else None)
    for k, kind in enumerate(("whole", "close", "turned")):
        write_y4m(clip, shots[kind])  # what the camera sees for this shot
        if k == 0:
            page.click("#open-camera")
        else:
            page.click("#next")
        _camera_on(page)
        assert page.locator("#progress li.current").get_attribute("data-step") == kind
        assert overflow_x(page) == 0
        page.click("#shutter")
        page.wait_for_selector("#next:not([hidden])", timeout=60000)
        assert page.locator(f"#progress li[data-step={kind}].done").count() == 1
    page.click("#next")
    page.wait_for_selector("#step-video:not([hidden])")
    page.click("#finish")
    page.wait_for_selector("#step-done:not([hidden])", timeout=60000)
    return code


def test_an_honest_session_confirms_the_damage_and_the_link_is_spent(  # type: ignore[no-untyped-def]
        service, camera, views, overflow_x) -> None:
    browser, clip = camera
    claim_id = service.claim(jpeg(views["left"]))
    url = service.link(claim_id, reason="请现场拍摄")
    page = _page(browser, url)
    assert "现场拍摄" in page.inner_text("h1") and page.locator("html").get_attribute("lang") == "zh-CN"
    code = _take_session(page, clip, views, write_code=True, overflow_x=overflow_x)
    after = service.wait(claim_id)
    report = service.report(claim_id)
    codes = {f["code"] for f in report["findings"]}
    assert "live.damage_confirmed" in codes and "live.damage_absent" not in codes and "live.code_missing" not in codes
    assert report["coverage"]["basis"] == "verified" and after["state"] == "auto_approved"
    [record] = httpx.get(f"{service.base}/v1/claims/{claim_id}/capture", headers=service.h("reviewer"),
                         timeout=30).json()["items"]
    assert record["code"] == code and record["manifest"]["ok"]
    assert [s["kind"] for s in record["shots"]] == ["whole", "close", "turned"]
    again = page.context.new_page()
    response = again.goto(url)  # the same link, replayed
    assert response.status == 410 and again.locator("#link-error").count() == 1


def test_frames_without_the_claimed_damage_are_reported(  # type: ignore[no-untyped-def]
        service, camera, views, overflow_x) -> None:
    browser, clip = camera
    claim_id = service.claim(jpeg(paint_crack(views["left"], CRACK)))
    page = _page(browser, service.link(claim_id) + "?lang=en")
    assert "Show us the damage" in page.inner_text("h1")
    _take_session(page, clip, views, write_code=True, overflow_x=overflow_x)
    after = service.wait(claim_id)
    report = service.report(claim_id)
    [absent] = [f for f in report["findings"] if f["code"] == "live.damage_absent"]
    assert absent["image"] == 0 and len(absent["details"]["regions_by_image"]) >= 3  # claim photo and live shots
    assert report["level"] != "low" and after["state"] != "auto_approved"


def test_shot_a_without_code_and_a_second_session(  # type: ignore[no-untyped-def]
        service, camera, views, overflow_x) -> None:
    browser, clip = camera
    claim_id = service.claim(jpeg(views["left"]))
    url = service.link(claim_id)
    page = _page(browser, url)
    page.click("#start")
    page.wait_for_selector("#step-code:not([hidden])")
    other = _page(browser, url)  # the same link on another phone
    other.click("#start")
    other.wait_for_selector("#step-error:not([hidden])")
    assert "已开始过一次" in other.inner_text("#error-text")  # 409: one session per link
    write_y4m(clip, _shots(views, None)["whole"])
    page.click("#open-camera")
    _camera_on(page)
    page.click("#shutter")
    page.wait_for_selector("#next:not([hidden])", timeout=60000)
    page.wait_for_selector("#status.warn", timeout=150000)
    assert "验证码" in page.inner_text("#status")  # the buyer is told the code was not read, and may retake
    for kind in ("close", "turned"):
        write_y4m(clip, _shots(views, None)[kind])
        page.click("#next")
        _camera_on(page)
        page.click("#shutter")
        page.wait_for_selector("#next:not([hidden])", timeout=60000)
    page.click("#next")
    page.click("#finish")
    page.wait_for_selector("#step-done:not([hidden])", timeout=60000)
    after = service.wait(claim_id)
    report = service.report(claim_id)
    assert any(f["code"] == "live.code_missing" for f in report["findings"])
    assert report["coverage"]["photos"][0]["verified_by"] == [] and after["state"] != "auto_approved"


def test_reviewer_button_and_an_expired_link(service, browser, views, overflow_x) -> None:  # type: ignore[no-untyped-def]
    claim_id = service.claim(jpeg(views["left"]))
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{service.base}/ui/login?next=/ui/claims/{claim_id}")
    page.fill("input[name=key]", service.keys["reviewer"])
    page.click("button[type=submit]")
    page.wait_for_selector("#capture-form")
    assert overflow_x(page) == 0
    page.fill("#capture-form input[name=deadline_hours]", "1")
    page.fill("#capture-form textarea[name=reason]", "another angle, live")
    page.click("#request-capture")
    page.wait_for_selector(".capture-request[data-status=requested]")
    assert service.wait(claim_id, leave=())["state"] == "capture_requested"
    link = service.webhook_link(claim_id)
    with sqlite3.connect(service.db) as conn:  # let the deadline pass
        conn.execute("UPDATE capture_requests SET deadline = '2000-01-01 00:00:00.000000' WHERE claim_id = ?",
                     (claim_id,))
    buyer = browser.new_context(viewport=PHONE).new_page()
    response = buyer.goto(link)
    assert response.status == 410 and "过期" in buyer.inner_text("h1")
    moved = service.wait(claim_id, leave=("capture_requested",), timeout=30)
    assert moved["state"] == "in_review" and moved["outcome"] is None
    page.reload()
    assert page.locator(".capture-request[data-status=expired]").count() == 1
