"""The evidence bundle PDF: rendered by WeasyPrint, its text read back with pdftotext."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from refundguard.engine import Analysis
from refundguard.report.json import to_dict
from refundguard.report.pdf import (
    AdjudicatedClaim,
    AuditHead,
    CaseFacts,
    TimelineEvent,
    bundle_from_analysis,
    canonical_json,
    figure,
    render_html,
    report_digest,
)

HEAD = hashlib.sha256(b"audit head").hexdigest()


@pytest.fixture
def case() -> CaseFacts:
    return CaseFacts(
        claim_id="CLM-2026-0042", status="decided", merchant_id="m-crab-shop", buyer_id="buyer-77", amount=195.0,
        created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), decision="rejected", decision_reason="forged crack",
        timeline=[TimelineEvent(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "claim.created", "platform:p1"),
                  TimelineEvent(datetime(2026, 3, 3, 12, 0, tzinfo=UTC), "claim.decided", "reviewer:r1", "rejected")],
        audit_head=AuditHead(HEAD, 12, True),
        history=[AdjudicatedClaim("CLM-1", 1800.0, "fraud_confirmed", datetime(2026, 1, 5, tzinfo=UTC), "m-a"),
                 AdjudicatedClaim("CLM-2", 1405.0, "fraud_confirmed", datetime(2026, 2, 5, tzinfo=UTC), "m-b"),
                 AdjudicatedClaim("CLM-3", 5000.0, "approved", datetime(2026, 2, 6, tzinfo=UTC), "m-b"),
                 AdjudicatedClaim("CLM-4", 999.0, "rejected", datetime(2026, 2, 7, tzinfo=UTC), "m-c")],
    )


def test_bundle_text_holds_hashes_findings_timeline_audit_and_tiers(analysis: Analysis, case: CaseFacts,
                                                                     tmp_path: Path, pdf_text, squash,
                                                                     finding_text) -> None:
    FINDING_ZH, FINDING_EN = finding_text
    pdf = bundle_from_analysis(analysis, case)
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "bundle.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    flat = squash(text)
    for image in analysis.images:  # every image with its SHA-256
        assert image.sha256 in flat
    assert squash(FINDING_ZH) in flat and squash(FINDING_EN) in flat
    assert "AI生成" in flat  # evidence details (OCR text) are printed
    assert "CLM-2026-0042" in text and "申请已创建" in text and "已作出审核决定" in text  # the timeline in words
    assert "claim.created" not in text and "claim.decided" not in text
    assert HEAD in flat and "12" in text
    # cumulative adjudicated amount: fraud_confirmed only, not the approved or plainly rejected claims
    assert "¥3,205.00" in text
    assert "数额较大" in text and "¥26,795.00" in flat  # next tier 数额巨大 at ¥30,000
    assert "不构成法律意见" in text and "not legal advice" in text
    assert squash("《治安管理处罚法》（2025年修订，2026-01-01施行）关于诈骗的条款") in flat
    assert squash("《中华人民共和国民法典》第一百四十八条") in flat


def test_report_json_is_attached_and_its_digest_printed(analysis: Analysis, tmp_path: Path, pdf_text, squash) -> None:
    pdf = bundle_from_analysis(analysis)
    path = tmp_path / "b.pdf"
    path.write_bytes(pdf)
    exe = shutil.which("pdfdetach")
    assert exe, "pdfdetach missing: install poppler-utils"
    subprocess.run([exe, "-saveall", "-o", str(tmp_path), str(path)], check=True, capture_output=True, timeout=60)
    attached = (tmp_path / "report.json").read_text("utf-8")
    report = json.loads(attached)
    assert report["findings"][0]["code"] == "reference.derived_edit"
    assert attached == canonical_json(to_dict(analysis))
    assert hashlib.sha256(attached.encode("utf-8")).hexdigest() in squash(pdf_text(path))


def test_engine_only_bundle_says_there_is_no_chain_or_history(analysis: Analysis, tmp_path: Path, pdf_text) -> None:
    path = tmp_path / "local.pdf"
    path.write_bytes(bundle_from_analysis(analysis))
    text = pdf_text(path)
    assert "无审计链" in text and "no audit chain" in text
    assert "无该买家的已裁定申请记录" in text
    assert "未达到" in text  # ¥0 reaches no criminal tier


def test_html_escapes_untrusted_text(analysis: Analysis) -> None:
    case = CaseFacts(claim_id="<script>alert(1)</script>", decision_reason="<img src=x onerror=alert(1)>")
    html = render_html(to_dict(analysis), analysis.images, case)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html


def test_image_count_must_match_the_report(analysis: Analysis) -> None:
    with pytest.raises(ValueError, match="images"):
        render_html(to_dict(analysis), analysis.images[:1])


def test_report_digest_is_stable_under_key_order(analysis: Analysis) -> None:
    report = to_dict(analysis)
    shuffled = json.loads(json.dumps(report))
    shuffled = dict(reversed(list(shuffled.items())))
    assert report_digest(report) == report_digest(shuffled)


def _decode(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"), dtype=np.int16)


def test_figure_outlines_regions_and_tints_the_heatmap(analysis: Analysis) -> None:
    im = analysis.images[0]  # 320x240: no downscaling at max_side 900
    plain = _decode(figure(im))
    heat = np.zeros((24, 32), dtype=np.uint8)
    heat[:12, :16] = 255  # top-left quarter hot
    buf = io.BytesIO()
    Image.fromarray(heat).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    drawn = _decode(figure(im, heatmaps=[url], regions=[{"x": 200, "y": 20, "w": 100, "h": 60}]))
    assert drawn.shape == plain.shape == (240, 320, 3)
    # hot quarter turns red; the untouched area (away from the box) stays as it was, up to JPEG noise
    hot, cold = drawn[20:100, 20:140], plain[20:100, 20:140]
    assert (hot[..., 0] - hot[..., 1]).mean() > (cold[..., 0] - cold[..., 1]).mean() + 80
    assert np.abs(drawn[150:230, 20:140] - plain[150:230, 20:140]).mean() < 4
    edge = drawn[20, 220:280]  # top edge of the outlined box, in the proven-change red (213, 0, 0)
    assert edge[:, 0].mean() > 150 and edge[:, 1].mean() < 80
    inside = drawn[45:55, 230:270]
    assert np.abs(inside - plain[45:55, 230:270]).mean() < 4


def test_weak_cues_are_dashed_amber_and_proven_edits_solid_red(analysis: Analysis) -> None:
    from refundguard.report.view import Mark, strength_of

    assert strength_of("reference.derived_edit") == "proven" and strength_of("tamper.local") == "cue"
    im = analysis.images[0]
    plain = np.zeros((240, 320, 3), dtype=np.uint8) + 128
    grey = dataclasses.replace(im, pixels=plain)
    proven = Mark(20, 20, 120, 60, "reference.derived_edit", "proven", 1)
    cue = Mark(170, 20, 120, 60, "tamper.local", "cue", 2)
    drawn = _decode(figure(grey, marks=[proven, cue]))

    def edge(x0: int, x1: int) -> np.ndarray:  # the top edge's pixels: which of them carry the outline's colour
        row = drawn[20, x0:x1]
        return np.abs(row - 128).sum(axis=1) > 120

    solid, dashed = edge(25, 135), edge(175, 285)
    assert solid.mean() > 0.95  # solid: unbroken
    assert 0.3 < dashed.mean() < 0.75  # dashed: gaps along the edge
    red, amber = drawn[20, 25:135].mean(axis=0), drawn[20, 175:285][dashed].mean(axis=0)
    assert red[0] > 160 and red[1] < 60  # (213, 0, 0), after JPEG
    assert amber[0] > 170 and 100 < amber[1] < 190 and amber[2] < 70  # (224, 145, 0)


def test_figure_downscales_large_photos(analysis: Analysis) -> None:
    assert _decode(figure(analysis.images[0], max_side=160)).shape == (120, 160, 3)


def test_bundle_says_whether_the_verdict_was_verified(photos, tmp_path: Path, pdf_text, squash) -> None:
    from refundguard.engine import analyze

    claim, _listing = photos
    single = analyze([claim], only=None)  # one photo, nothing to compare: unverified
    assert single.assessment.basis == "unverified"
    path = tmp_path / "unverified.pdf"
    path.write_bytes(bundle_from_analysis(single, None))
    flat = squash(pdf_text(path))
    assert "未经核实：没有可比对的证据" in flat and "Unverified,notgenuine" in flat
    partial = analyze([claim], only=["tamper"])  # left out on request: incomplete
    path.write_bytes(bundle_from_analysis(partial, None))
    assert "分析不完整" in squash(pdf_text(path))
