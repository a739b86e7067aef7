"""Service pages in a real browser: claim via the API -> queue -> merchant response -> case page -> decision ->
audit entry visible; then ``refundguard bundle CLAIM_ID`` renders the stored claim's PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.services import Service, running_service, sample_jpeg

pytestmark = pytest.mark.slow

CRACK_AT = (160, 150)  # where the painted crack starts on the 400x300 sample photo
REASON = "裂纹是在商家主图上画出来的 / crack drawn onto the listing photo"



@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, free_port, start_server, stop_server) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("service-server"), "m-tea",
                         free_port=free_port, start_server=start_server,
                         stop_server=stop_server) as running:
        yield running


def _login(page, base: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_queue_respond_decide_and_audit(browser, service: Service, artifacts: Path, tmp_path: Path,
                                        overflow_x, pdf_text) -> None:
    r = httpx.post(f"{service.base}/v1/claims", headers=service.h("platform"), timeout=30,
                   data={"merchant_id": "m-tea", "buyer_id": "buyer-9", "amount": "350", "reason": "杯子裂了"},
                   files=[("photos", ("claim.jpg", sample_jpeg(3, crack=True, crack_at=CRACK_AT), "image/jpeg"))])
    assert r.status_code == 201, r.text
    claim_id = r.json()["claim"]["id"]
    assert service.wait_settled(claim_id)["state"] in ("awaiting_merchant", "in_review")

    # merchant: log in, answer with a listing photo and a statement before the deadline
    merchant = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = merchant.new_page()
    try:
        page.goto(f"{service.base}/ui/claims/{claim_id}")
        assert "/ui/login" in page.url
        _login(page, service.base, service.keys["merchant"])
        assert page.url.endswith(f"/ui/claims/{claim_id}")
        assert page.locator("#respond").is_visible()
        why = page.inner_text("#why-listing")  # the form says why a listing photo helps
        assert ("商品主图" in why and "改动" in why) or ("listing photo" in why and "changed" in why), why
        listing = tmp_path / "listing.jpg"
        listing.write_bytes(sample_jpeg(3, crack=False))
        page.set_input_files("#respond input[name=listing]", str(listing))
        page.fill("#respond textarea[name=statement]", "发货前拍过照片，杯子完好。")
        page.click("#respond button[type=submit]")
        page.wait_for_url(re.compile(rf".*/ui/claims/{claim_id}$"))
        assert "发货前拍过照片" in page.inner_text("#statement")
        assert "listing-listing.jpg" in page.inner_text("#files")
        assert overflow_x(page) <= 0
        page.screenshot(path=str(artifacts / "service-merchant-phone.png"), full_page=True)
    finally:
        merchant.close()
    service.wait_settled(claim_id)

    # reviewer: queue -> case page -> decision with a reason -> the audit entry is on the page
    reviewer = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = reviewer.new_page()
    try:
        page.goto(f"{service.base}/ui/queue?lang=zh")
        _login(page, service.base, service.keys["reviewer"])
        assert page.url.endswith("/ui/queue?lang=zh") or page.url.endswith("/ui/queue")
        row = page.locator(f'tr[data-claim="{claim_id}"]')
        assert row.count() == 1 and "m-tea" in row.inner_text()
        page.screenshot(path=str(artifacts / "service-queue.png"), full_page=True)
        page.goto(f"{service.base}/ui/queue?merchant=nobody")
        assert page.locator(f'tr[data-claim="{claim_id}"]').count() == 0
        page.goto(f"{service.base}/ui/queue")
        page.click(f'a[href="/ui/claims/{claim_id}"]')
        report = httpx.get(f"{service.base}/v1/claims/{claim_id}/report", headers=service.h("platform"),
                           timeout=10).json()
        body = page.inner_text("main")
        for f in report["findings"]:
            if f["image"] is None or report["images"][f["image"]]["role"] == "claim":
                assert f["message"]["zh"] in body, f["code"]
        for im in report["images"]:
            assert im["sha256"] in body
        assert page.locator('li.audit-entry[data-action="evidence.uploaded"]').count() >= 1
        assert page.locator("#decide input[name=outcome]:checked").count() == 0  # no default decision
        page.check("#decide input[name=outcome][value=rejected]")
        page.check("#decide input[name=abuse]")
        page.fill("#decide textarea[name=reason]", REASON)
        page.click("#decide button[type=submit]")
        page.wait_for_selector('li.audit-entry[data-action="claim.decided"]')
        entry = page.locator('li.audit-entry[data-action="claim.decided"]').inner_text()
        assert ("审核员（密钥" in entry or "reviewer (key" in entry) and REASON in entry  # the actor in words
        assert REASON in page.inner_text("#decision-reason")
        assert "¥350.00" in page.inner_text("#history")
        page.screenshot(path=str(artifacts / "service-case-decided.png"), full_page=True)
        with page.expect_download() as info:
            page.click("#bundle-link")
        web_pdf = tmp_path / "web-bundle.pdf"
        info.value.save_as(web_pdf)
        assert web_pdf.read_bytes().startswith(b"%PDF-")
    finally:
        reviewer.close()
    audit = httpx.get(f"{service.base}/v1/claims/{claim_id}/audit", headers=service.h("platform"),
                      timeout=10).json()["items"]
    decided = [e for e in audit if e["action"] == "claim.decided"]
    assert len(decided) == 1 and decided[0]["details"]["reason"] == REASON

    # the CLI builds the same claim's bundle from the stored data
    out = tmp_path / "cli-bundle.pdf"
    done = subprocess.run([sys.executable, "-m", "refundguard.cli", "bundle", claim_id, "--out", str(out)],
                          env={**__import__("os").environ, **service.env}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    text = pdf_text(out)
    flat = re.sub(r"\s+", "", text)
    assert claim_id in flat and "buyer-9" in text and "已作出审核决定" in flat and "claim.decided" not in flat
    assert re.sub(r"\s+", "", REASON) in flat
    assert "¥350.00" in text and "不构成法律意见" in text
    assert shutil.which("pdftotext")


def test_login_rejects_a_bad_key_and_pages_need_login(browser, service: Service) -> None:
    page = browser.new_page()
    try:
        response = page.goto(f"{service.base}/ui/queue")
        assert response is not None and "/ui/login" in page.url
        with page.expect_response(lambda r: r.url.endswith("/ui/login") and r.request.method == "POST") as info:
            _login(page, service.base, "rg_0000000000000000_not-a-real-secret-key-at-all")
        assert info.value.status == 401
        assert page.locator("#error-message").is_visible()
    finally:
        page.close()


def test_missing_claim_is_a_404_page(browser, service: Service) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{service.base}/ui/login?lang=en")
        _login(page, service.base, service.keys["reviewer"])
        response = page.goto(f"{service.base}/ui/claims/clm_doesnotexist")
        assert response is not None and response.status == 404
        assert "not found" in page.inner_text("#error-message")
    finally:
        context.close()


def test_a_form_on_another_origin_cannot_decide_and_logout_ends_the_session(browser, service: Service) -> None:
    """127.0.0.1 on another port is another origin but the same *site*: the SameSite=Strict cookie is sent,
    so only the CSRF token and the browser's Sec-Fetch-Site stop the post."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    r = httpx.post(f"{service.base}/v1/claims", headers=service.h("platform"), timeout=30,
                   data={"merchant_id": "m-tea", "buyer_id": "buyer-csrf", "amount": "640"},
                   files=[("photos", ("claim.jpg", sample_jpeg(5, crack=True, crack_at=CRACK_AT), "image/jpeg"))])
    claim_id = r.json()["claim"]["id"]
    service.wait_settled(claim_id)
    evil = (f'<!doctype html><form method="post" action="{service.base}/ui/claims/{claim_id}/decision">'
            '<input name="outcome" value="approved"><input name="reason" value="pay me">'
            '<button id="go" type="submit">win a prize</button></form>').encode()

    class Evil(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(evil)

        def log_message(self, *args: object) -> None:
            return

    attacker = ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{service.base}/ui/login")
        _login(page, service.base, service.keys["reviewer"])
        assert page.locator("#logout").is_visible()
        page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
        with page.expect_response(lambda resp: "/decision" in resp.url) as info:
            page.click("#go")
        assert info.value.status == 403
        claim = httpx.get(f"{service.base}/v1/claims/{claim_id}", headers=service.h("platform"), timeout=10).json()
        assert claim["outcome"] is None and claim["state"] != "decided"
        # logging out revokes the session on the server: the same cookie, replayed, no longer opens a page
        page.goto(f"{service.base}/ui/claims/{claim_id}")
        [cookie] = [c for c in context.cookies() if c["name"] == "rg_session"]
        page.click("#logout")
        page.wait_for_url(re.compile(r".*/ui/login$"))
        replay = httpx.get(f"{service.base}/ui/queue", cookies={"rg_session": cookie["value"]},
                           follow_redirects=False, timeout=10)
        assert replay.status_code == 303 and "/ui/login" in replay.headers["location"]
    finally:
        context.close()
        attacker.shutdown()
        attacker.server_close()
