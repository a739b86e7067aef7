"""Fixtures of the evidence-bundle tests: synthetic photos and an analysis with a located finding."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from refundguard.config import default_settings
from refundguard.engine import Analysis, analyze
from refundguard.findings import Finding, Heatmap, Message, Region
from refundguard.verdict import assess

FINDING_ZH = "商家主图的右下区域被改动：出现了原图中没有的裂纹"
FINDING_EN = "The merchant's listing photo with the lower-right region changed: a crack that the original lacks"


def _pdf_text(path: Path) -> str:
    """Text of a PDF via poppler's pdftotext (installed by scripts/system-deps.sh)."""
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext missing: run scripts/system-deps.sh (poppler-utils)"
    return subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def _squash(text: str) -> str:
    """Text without whitespace, so that hashes wrapped over table lines can be found."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 'listing' PNG and a 'claim' JPEG made from it with a dark line drawn in (seeded)."""
    folder = tmp_path_factory.mktemp("bundle-photos")
    rng = np.random.default_rng(7)
    base = np.clip(rng.normal(150, 30, (240, 320, 3)), 0, 255).astype(np.uint8)
    listing = folder / "listing.png"
    Image.fromarray(base).save(listing)
    edited = base.copy()
    edited[150:154, 200:300] = 20
    claim = folder / "claim photo.jpg"
    buf = io.BytesIO()
    Image.fromarray(edited).save(buf, format="JPEG", quality=90)
    claim.write_bytes(buf.getvalue())
    return claim, listing


@pytest.fixture
def analysis(photos: tuple[Path, Path]) -> Analysis:
    """The engine's analysis of the photos (no checks run) plus one located finding against the reference."""
    claim, listing = photos
    result = analyze([claim], [listing], only=[])
    heat = np.zeros((24, 32))
    heat[14:17, 19:31] = 1.0
    result.findings.append(Finding(
        code="reference.derived_edit", check="reference", image=0, score=0.95, weight=3.0,
        message=Message(en=FINDING_EN, zh=FINDING_ZH), regions=(Region(196, 146, 108, 12),),
        heatmap=Heatmap(heat), details={"reference_image": 1, "changed_fraction": 0.014, "ocr_text": "AI生成"}))
    result.assessment = assess(result.findings, result.roles, default_settings())
    return result


@pytest.fixture(scope="session")
def pdf_text():  # type: ignore[no-untyped-def]
    """``pdf_text(path) -> str`` (pdftotext)."""
    return _pdf_text


@pytest.fixture(scope="session")
def squash():  # type: ignore[no-untyped-def]
    """``squash(text) -> str`` without whitespace."""
    return _squash


@pytest.fixture(scope="session")
def finding_text() -> tuple[str, str]:
    """(zh, en) message of the synthetic finding."""
    return FINDING_ZH, FINDING_EN
