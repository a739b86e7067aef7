"""What people see (issue #19), in a real browser: file names, not hashes, on the case page; every page in
Chinese without English sentences; progress during a slow analysis in local mode; /docs with the network blocked.
Screenshots go to test-artifacts/ (docs/screenshots/ holds the committed ones)."""

from __future__ import annotations

import re
import string
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.services import Service, running_service, sample_jpeg

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

#: English that must never reach a Chinese page: pydantic's and the framework's own words, plus, below, every
#: English sentence of the message catalogue
KNOWN_ENGLISH = ("Field required", "Input should be", "may not claim", "merchant window opened", "not applicable",
                 "no reference given", "Not Found", "Method Not Allowed", "approved (refund)", "rejected as abuse",
                 " UTC<", "why=")


def _catalogue_english() -> set[str]:
    """Literal stretches of the catalogue's English texts long enough to be sentences (placeholders removed)."""
    from refundguard.messages import CATALOGUE

    out = set()
    for entry in CATALOGUE:
        for literal, _field, _spec, _conv in string.Formatter().parse(entry.en):
            words = literal.strip(" ,.;:()—–-“”'\"")
            if len(words) >= 18 and " " in words and entry.en != entry.zh:
                out.add(words)
    return out


def _english_in(text: str, fragments: set[str]) -> list[str]:
    return sorted(f for f in fragments if f in text)


#: three or more English words in a row: a sentence or a phrase, not a file name, an id or a product name
_ENGLISH_RUN = re.compile(r"(?<![\w./-])[A-Za-z][a-z'’]+(?:[ ,;:]{1,2}[A-Za-z][a-z'’]+){2,}(?![\w./-])")


#: the page's prose: its text without code (commands, finding codes), hashes, file names and scripts
_PROSE = """() => { const b = document.body.cloneNode(true);
  b.querySelectorAll('code, kbd, pre, .code, .hash, .file-name, script, style').forEach(e => e.remove());
  return b.textContent; }"""


def _english_runs(text: str) -> list[str]:
    """Runs of English words on a page that should be all Chinese (known or not: a generic net under the list)."""
    return sorted(set(_ENGLISH_RUN.findall(text)))



@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, free_port, start_server, stop_server) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("report-service"), "m-cup",
                         free_port=free_port, start_server=start_server,
                         stop_server=stop_server) as running:
        yield running


@pytest.fixture(scope="module")
def claim(service: Service) -> str:
    """A claim whose photo is the listing photo with a crack, answered by the merchant with the listing photo."""
    r = httpx.post(f"{service.base}/v1/claims", headers=service.h("platform"), timeout=30,
                   data={"merchant_id": "m-cup", "buyer_id": "buyer-1", "amount": "168", "reason": "杯子裂了"},
                   files=[("photos", ("裂纹照片.jpg", sample_jpeg(5, crack=True), "image/jpeg"))])
    assert r.status_code == 201, r.text
    claim_id = r.json()["claim"]["id"]
    service.wait_settled(claim_id)
    r = httpx.post(f"{service.base}/v1/claims/{claim_id}/evidence", headers=service.h("merchant"), timeout=30,
                   data={"statement": "发货时完好，有打包视频。"},
                   files=[("photos", ("listing.jpg", sample_jpeg(5, crack=False), "image/jpeg"))])
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    assert job and service.wait_settled(claim_id)
    status = httpx.get(f"{service.base}/v1/jobs/{job}", headers=service.h("platform"), timeout=10).json()
    assert status["status"] == "done" and status["claim_id"] == claim_id
    return claim_id


def _login(page, key: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("input[name=key]", key)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_case_page_names_files_and_keeps_hashes_for_integrity(browser, service: Service, claim: str,
                                                              artifacts: Path) -> None:
    report = httpx.get(f"{service.base}/v1/claims/{claim}/report", headers=service.h("reviewer"), timeout=10).json()
    assert [im["path"] for im in report["images"]] == ["裂纹照片.jpg", "listing.jpg"]  # never the store's layout
    detail = httpx.get(f"{service.base}/v1/claims/{claim}", headers=service.h("reviewer"), timeout=10).json()
    assert detail["merchant_statement"] == "发货时完好，有打包视频。" and detail["abuse_confirmed"] is False
    queue = httpx.get(f"{service.base}/v1/review/queue?limit=1", headers=service.h("reviewer"), timeout=10).json()
    assert set(queue) == {"items", "total", "limit", "offset"} and queue["limit"] == 1
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{service.base}/ui/claims/{claim}?lang=zh")
    _login(page, service.keys["reviewer"])
    main = page.inner_text("main")
    assert "裂纹照片.jpg" in main and "listing.jpg" in main
    shas = [im["sha256"] for im in report["images"]]
    for sha in shas:  # a hash only where integrity is shown, never as a photo's name
        assert sha in page.inner_text("#files")
        for heading in page.locator("h2, h3, .finding-text, #reasons, #headline").all_inner_texts():
            assert sha[:8] not in heading
    assert page.locator("#decide input[name=outcome]:checked").count() == 0  # no default decision
    box = page.locator("#decide").bounding_box()
    summary = page.locator("#summary").bounding_box()
    assert box and summary and box["y"] < summary["y"] + summary["height"]  # beside the summary, not below it
    assert page.locator("#legend li").count() >= 1
    page.screenshot(path=str(artifacts / "case-page.png"), full_page=False)
    page.context.close()


def test_the_service_bundle_names_photos_by_file_name(browser, service: Service, claim: str, tmp_path: Path,
                                                      pdf_text) -> None:
    """The PDF a reviewer downloads from the case page: photos by their uploaded names, hashes in full only as
    the integrity values, never a shortened hash standing for a photo; the statement and the zone's offset."""
    report = httpx.get(f"{service.base}/v1/claims/{claim}/report", headers=service.h("reviewer"), timeout=10).json()
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{service.base}/ui/claims/{claim}?lang=zh")
    _login(page, service.keys["reviewer"])
    with page.expect_download() as info:
        page.click("#bundle-link")
    path = tmp_path / "bundle.pdf"
    info.value.save_as(path)
    context.close()
    text = pdf_text(path)
    flat = re.sub(r"\s+", "", text)
    assert "裂纹照片.jpg" in flat and "listing.jpg" in flat
    assert "发货时完好，有打包视频。" in flat and "UTC+08:00" in text
    for im in report["images"]:
        assert im["sha256"] in flat  # the integrity column
    assert not re.search(r"[0-9a-f]{8}…", text), "a shortened hash stands for a photo"
    assert "refundguard-data" not in flat and "evidence/" not in flat  # never the store's layout


def test_every_page_in_chinese_has_no_english_sentences(browser, service: Service, claim: str, local_server: str,
                                                        tmp_path: Path) -> None:
    fragments = _catalogue_english() | set(KNOWN_ENGLISH)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def visit(url: str, who: str = "reviewer") -> None:
        page.goto(url)
        html = page.content()
        body = page.inner_text("body")
        text = body + html.split("<body", 1)[-1]
        words = page.evaluate(_PROSE)
        if hits := _english_in(body, fragments) + _english_in(text, {" UTC<"}) + _english_runs(words):
            found[f"{who} {url}"] = hits

    visit(f"{service.base}/ui/login?lang=zh")
    _login(page, service.keys["reviewer"])
    for path in ("/ui/queue", "/ui/claims", f"/ui/claims/{claim}", "/ui/claims/clm_missing", "/ui/queue?page=x"):
        visit(service.base + path)
    listing, photo = tmp_path / "listing.jpg", tmp_path / "claim.jpg"
    listing.write_bytes(sample_jpeg(9, crack=False))
    photo.write_bytes(sample_jpeg(9, crack=True))
    visit(f"{local_server}/?lang=zh")
    page.set_input_files("input[name=claim]", str(photo))
    page.set_input_files("input[name=reference]", str(listing))
    page.click("button[type=submit]")
    page.wait_for_selector("#verdict", timeout=90_000)
    visit(page.url)
    visit(f"{local_server}/report/nosuchtoken")
    # the merchant's view of the same claim (their evidence form, their timeline)
    merchant = browser.new_context(viewport={"width": 390, "height": 844})
    page = merchant.new_page()
    visit(f"{service.base}/ui/login?lang=zh", "merchant")
    _login(page, service.keys["merchant"])
    for path in ("/ui/claims", f"/ui/claims/{claim}"):
        visit(service.base + path, "merchant")
    merchant.close()
    # the API's errors in Chinese: a validation error and a permission error
    bad = httpx.post(f"{service.base}/v1/claims", headers=service.h("platform"), timeout=10,
                     data={"amount": "-3"}, files=[("photos", ("a.jpg", b"x", "image/jpeg"))]).json()
    denied = httpx.get(f"{service.base}/v1/review/queue", headers=service.h("platform"), timeout=10).json()
    for body in (bad, denied):
        zh = body["error"]["message"]["zh"]
        assert not _english_in(zh, fragments) and not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", zh), zh
    context.close()
    assert not found, found


def test_local_mode_shows_progress_during_a_slow_analysis(browser, local_server: str, tmp_path: Path,
                                                          artifacts: Path) -> None:
    from playwright.sync_api import Error as PlaywrightError

    big = tmp_path / "big-claim.jpg"
    big.write_bytes(sample_jpeg(11, crack=True, size=(4000, 3000)))  # 12 MP: seconds of decoding and checks
    page = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
    page.goto(f"{local_server}/?lang=zh")
    page.set_input_files("input[name=claim]", str(big))
    page.evaluate("document.getElementById('upload-form').addEventListener('submit', () => "
                  "setTimeout(() => { window.__disabled = document.getElementById('analyse-button').disabled; }, 0))")
    page.click("#analyse-button")
    page.wait_for_url(re.compile(r".*/report/[\w-]+$"), timeout=60_000)
    stage = page.locator("#stage")
    assert stage.is_visible(), "the analysis finished before its progress could be seen"
    seen = {stage.inner_text()}
    page.screenshot(path=str(artifacts / "local-progress.png"))
    deadline = time.monotonic() + 120
    while page.locator("#verdict").count() == 0 and time.monotonic() < deadline:
        try:  # read the stage in one step: the report may replace the progress page at any moment
            now = page.evaluate("() => { const s = document.getElementById('stage'); return s ? s.innerText : null; }")
        except PlaywrightError:  # the page is navigating (execution context destroyed): look again
            now = None
        if now:
            seen.add(now)
        page.wait_for_timeout(200)
    assert page.locator("#verdict").is_visible()
    stages = ("正在解码", "正在检查", "正在综合判断", "正在与商品图比对", "正在生成报告")
    assert any(s.startswith(stages) for s in seen), seen
    page.context.close()


def test_docs_render_with_the_network_blocked(browser, service: Service, artifacts: Path) -> None:
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    outside: list[str] = []

    def only_here(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(service.base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(f"{service.base}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "RefundGuard" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 5  # the operations are listed
    page.screenshot(path=str(artifacts / "docs-offline.png"))
    page.goto(f"{service.base}/redoc")
    page.wait_for_selector("h1", timeout=30_000)
    assert "RefundGuard" in page.inner_text("h1")
    assert outside == [], outside
    page.context.close()


def test_proven_edits_and_weak_cues_are_outlined_in_distinct_styles(browser, tmp_path: Path) -> None:
    """The report's outlines in a browser: a proven change solid red, a weak single-cue trace dashed amber, each
    named in the legend; the proven change drawn again on the matched listing photo."""
    from refundguard.config import default_settings
    from refundguard.engine import analyze
    from refundguard.findings import Finding, Message, Region
    from refundguard.report.html import write as write_html
    from refundguard.verdict import assess

    listing, photo = tmp_path / "listing.jpg", tmp_path / "claim.jpg"
    listing.write_bytes(sample_jpeg(21, crack=False))
    photo.write_bytes(sample_jpeg(21, crack=True))
    result = analyze([photo], [listing], only=[])
    identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    result.findings += [
        Finding(code="reference.derived_edit", check="reference", image=0, score=0.9, weight=3.0,
                message=Message(en="changed", zh="被改动"), regions=(Region(200, 150, 90, 33),),
                details={"reference_image": 1, "transform": identity}),
        Finding(code="tamper.local", check="tamper", image=0, score=0.4, weight=1.0, variant="single_cue",
                message=Message(en="one cue", zh="单一线索"), regions=(Region(40, 40, 60, 50),),
                details={"shown_cues": ["noise"]})]
    result.assessment = assess(result.findings, result.roles, default_settings())
    out = write_html(result, tmp_path / "report.html", lang="zh")
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(out.resolve().as_uri())
    style = "(e) => { const s = getComputedStyle(e); return [s.stroke, s.strokeDasharray]; }"
    proven = page.locator("#image-0 svg rect.proven").first.evaluate(style)
    cue = page.locator("#image-0 svg rect.cue").first.evaluate(style)
    assert proven[0] == "rgb(213, 0, 0)" and proven[1] in ("none", "")
    assert cue[0] == "rgb(224, 145, 0)" and cue[1] not in ("none", "")
    assert page.locator("#image-0 svg polygon.proven").count() == 1  # the same region on the listing photo
    assert page.locator("#image-0 svg polygon.cue").count() == 0  # a blind cue has no place on the listing
    legend = page.inner_text("#legend")
    assert "已证实" in legend and "弱线索" in legend
    page.context.close()
