"""Local mode's upload validation: every bad request gets a clear bilingual 4xx page, never a 500."""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from refundguard.web.local import create_local_app
from refundguard.web.uploads import UploadLimits, safe_name


def _png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((40, 50, 3), 128, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def client() -> TestClient:
    limits = UploadLimits(max_file_bytes=200_000, max_request_bytes=1_000_000, max_claim_files=2,
                          max_reference_files=2)
    return TestClient(create_local_app(limits=limits))


def _token(client: TestClient) -> str:
    """The upload form's CSRF token (its cookie is kept by the client)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def _message(html: str) -> str:
    found = re.findall(r'id="error-message">(.*?)<', html)
    assert found, html[:500]
    return found[0]


@pytest.mark.parametrize(("files", "data", "status", "needle"), [
    ([("claim", ("empty.jpg", b"", "image/jpeg"))], {}, 400, "文件为空"),
    ([("reference", ("r.png", _png(), "image/png"))], {}, 400, "请至少选择"),
    ([("claim", ("a.txt", b"plain words", "image/jpeg"))], {}, 415, "不支持的图片格式"),
    ([("claim", ("big.png", b"\x89PNG" + b"0" * 300_000, "image/png"))], {}, 413, "超过"),
    ([("claim", (f"{i}.png", _png(), "image/png")) for i in range(3)], {}, 400, "最多"),
    ([("claim", ("ok.png", _png(), "image/png"))], {"amount": "-4"}, 400, "金额"),
    ([("claim", ("ok.png", _png(), "image/png"))], {"amount": "nan"}, 400, "金额"),
    ([("claim", ("ok.png", _png(), "image/png"))], {"delivered_at": "yesterday"}, 400, "签收时间"),
    ([("claim", ("trunc.png", _png()[:60], "image/png"))], {}, 422, "无法读取图片"),
])
def test_bad_uploads(client: TestClient, files, data, status: int, needle: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/analyze", files=files, data={**data, "csrf_token": _token(client)})
    assert r.status_code == status, r.text[:400]
    assert needle in _message(r.text)
    assert "text/html" in r.headers["content-type"]


def test_not_multipart_and_oversized_requests(client: TestClient) -> None:
    r = client.post("/analyze", content=b"x=1", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = client.post("/analyze", content=b"0" * 10, headers={"content-type": "multipart/form-data; boundary=x",
                                                            "content-length": "2000000"})
    assert r.status_code == 413


def test_upload_without_the_form_token_is_403(client: TestClient) -> None:
    files = [("claim", ("ok.png", _png(), "image/png"))]
    _token(client)
    assert client.post("/analyze", files=files).status_code == 403
    assert client.post("/analyze", files=files, data={"csrf_token": "forged" * 7}).status_code == 403
    cross = client.post("/analyze", files=files, data={"csrf_token": _token(client)},
                        headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers[
        "content-security-policy"]


def _finished(client: TestClient, url: str) -> str:
    """The report page once the analysis (in a worker process, in the background) is done."""
    for _ in range(600):
        page = client.get(url).text
        if 'id="verdict"' in page:
            return page
        time.sleep(0.1)
    raise AssertionError(f"the analysis did not finish: {page[:400]}")


def test_good_upload_then_unknown_report(client: TestClient) -> None:
    r = client.post("/analyze", files=[("claim", ("ok.png", _png(), "image/png"))],
                    data={"amount": "12.5", "csrf_token": _token(client)})
    assert r.status_code == 200 and "/report/" in str(r.url)
    _finished(client, str(r.url))
    assert client.get("/report/not-a-token").status_code == 404
    assert client.get("/report/%3Cscript%3E").status_code == 404
    pdf = client.get(str(r.url) + "/bundle.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_a_missing_chinese_font_is_a_503_page_not_a_pdf_of_empty_boxes(client: TestClient, monkeypatch) -> None:
    from refundguard.report import pdf as bundle

    r = client.post("/analyze", files=[("claim", ("ok.png", _png(), "image/png"))],
                    data={"csrf_token": _token(client)})
    assert r.status_code == 200
    _finished(client, str(r.url))
    monkeypatch.setattr(bundle, "_cjk_families", lambda: ())
    answer = client.get(str(r.url) + "/bundle.pdf")
    assert answer.status_code == 503 and "text/html" in answer.headers["content-type"]
    assert "fonts-wqy-microhei" in answer.text and not answer.content.startswith(b"%PDF-")


def test_two_photos_of_one_name_are_told_apart(client: TestClient) -> None:
    r = client.post("/analyze", files=[("claim", ("IMG_0001.png", _png(), "image/png")),
                                       ("reference", ("img_0001.PNG", _png(), "image/png"))],
                    data={"csrf_token": _token(client), "lang": "en"})
    assert r.status_code == 200
    page = _finished(client, str(r.url))
    assert "IMG_0001.png" in page and "img_0001 (2).PNG" in page


def test_language_cookie(client: TestClient) -> None:
    r = client.get("/?lang=en")
    assert 'lang="en"' in r.text and r.cookies.get("rg_lang") == "en"
    assert 'lang="en"' in client.get("/").text  # remembered
    assert 'lang="zh-CN"' in client.get("/?lang=zh").text


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\me\\照片 1.jpg", "照片 1.jpg"), ("", "fallback"),
    ("<script>.png", "_script_.png"), ("...", "fallback"),
])
def test_safe_name(raw: str, expected: str) -> None:
    assert safe_name(raw, "fallback") == expected
