"""Local mode in a real browser: upload -> report with the findings -> PDF bundle; phone width; bad files."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from refundguard.engine import analyze

pytestmark = pytest.mark.slow


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def claim_photos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The repository's sample claim (the listing photo with a crack painted in, shrunk and re-encoded) and
    the listing photo it came from (see scripts/make_samples.py)."""
    folder = tmp_path_factory.mktemp("browser-photos")
    claim, listing = folder / "claim.jpg", folder / "listing.jpg"
    shutil.copy(ROOT / "samples" / "claim.jpg", claim)
    shutil.copy(ROOT / "samples" / "listing.jpg", listing)
    return claim, listing


def _pdf_text(path: Path) -> str:
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext missing: run scripts/system-deps.sh (poppler-utils)"
    return subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def test_upload_report_and_pdf(browser, local_server: str, claim_photos: tuple[Path, Path], artifacts: Path,
                               tmp_path: Path) -> None:
    claim, listing = claim_photos
    expected = analyze([claim], [listing])  # the same engine the server runs
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(local_server + "/")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        page.set_input_files("input[name=claim]", str(claim))
        page.set_input_files("input[name=reference]", str(listing))
        page.fill("input[name=amount]", "128")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/report/[\w-]+$"), timeout=60_000)
        page.wait_for_selector("#verdict", timeout=120_000)  # the stage is shown until the report is ready
        page.screenshot(path=str(artifacts / "local-report-desktop.png"), full_page=True)
        body = page.inner_text("main")
        assert "reference.derived_edit" in {f.code for f in expected.findings}
        assert expected.assessment.level == "high"
        for f in expected.findings:  # every finding as a plain-language reason, in Chinese by default
            assert f.message.zh in body, f.code
            assert page.locator(f'li.finding[data-code="{f.code}"]').count() >= 1
        assert expected.images[0].sha256 in body
        assert len(expected.images) == 2 and expected.images[1].sha256 in body
        assert page.locator('li.finding[data-code="reference.derived_edit"]').count() == 1
        assert page.locator(".stage svg rect").count() >= 1  # the changed region is outlined
        basis = page.locator("#basis")  # what the verdict rests on, in words
        assert expected.assessment.basis == "verified" and "已用独立证据核实" in basis.inner_text()
        assert expected.assessment.basis_text is not None and expected.assessment.basis_text.zh in basis.inner_text()
        heat = page.locator("img.heat").first
        assert heat.is_visible()
        page.locator("input.heat-toggle").first.uncheck()
        assert not heat.is_visible()
        with page.expect_download() as info:
            page.click("#bundle-link")
        pdf = tmp_path / "bundle.pdf"
        info.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF-")
        text = _pdf_text(pdf)
        flat = re.sub(r"\s+", "", text)
        assert hashlib.sha256(claim.read_bytes()).hexdigest() in flat
        assert hashlib.sha256(listing.read_bytes()).hexdigest() in flat
        assert "仅供参考，不构成法律意见" in flat and "notlegaladvice" in flat
        assert "¥128.00" in text
        # English switch, remembered by cookie on the next page
        page.click("text=English")
        assert page.locator("html").get_attribute("lang") == "en"
        assert "Evidence report" in page.inner_text("h1")
        assert expected.findings[0].message.en in page.inner_text("main")
        page.goto(local_server + "/")
        assert "Is this damage photo genuine?" in page.inner_text("h1")
    finally:
        context.close()


def test_phone_width_has_no_horizontal_overflow(browser, local_server: str, claim_photos: tuple[Path, Path],
                                                artifacts: Path, overflow_x) -> None:
    claim, listing = claim_photos
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(local_server + "/?lang=zh")
        assert overflow_x(page) <= 0
        page.screenshot(path=str(artifacts / "local-upload-phone.png"), full_page=True)
        page.set_input_files("input[name=claim]", str(claim))
        page.set_input_files("input[name=reference]", str(listing))
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/report/[\w-]+$"), timeout=60_000)
        page.wait_for_selector("#verdict", timeout=120_000)  # the stage is shown until the report is ready
        assert page.locator("#verdict").is_visible()
        assert overflow_x(page) <= 0
        page.screenshot(path=str(artifacts / "local-report-phone.png"), full_page=True)
    finally:
        context.close()


def test_bad_upload_gets_a_clear_4xx_page(browser, local_server: str, tmp_path: Path, artifacts: Path) -> None:
    bogus = tmp_path / "not-a-photo.jpg"
    bogus.write_text("just some text, not an image")
    page = browser.new_page()
    try:
        page.goto(local_server + "/?lang=en")
        page.set_input_files("input[name=claim]", str(bogus))
        with page.expect_response(lambda r: r.url.endswith("/analyze")) as response:
            page.click("button[type=submit]")
        assert response.value.status == 415
        message = page.inner_text("#error-message")
        assert "not a supported photo" in message and "not-a-photo.jpg" in message
        assert "不支持的图片格式" not in page.inner_text("main")  # an English page holds English only
        page.goto(local_server + "/?lang=zh")
        page.set_input_files("input[name=claim]", str(bogus))
        with page.expect_response(lambda r: r.url.endswith("/analyze")) as response:
            page.click("button[type=submit]")
        assert response.value.status == 415 and "不支持的图片格式" in page.inner_text("#error-message")
        page.screenshot(path=str(artifacts / "local-bad-upload.png"))
    finally:
        page.close()
