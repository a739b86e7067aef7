"""Helpers for the reference-check tests: run the real engine on in-memory photos."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image

from refundguard.engine import Analysis, analyze
from refundguard.findings import Finding
from refundguard.media.load import LoadedImage, load_image


def loaded(img: np.ndarray, fmt: str = "PNG", quality: int = 95) -> LoadedImage:
    """Encode an RGB array as a real file in memory and load it the way the engine does."""
    buf = io.BytesIO()
    if fmt == "PNG":
        Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    else:
        Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    return load_image(buf.getvalue())


def run_reference(claim: np.ndarray, refs: Sequence[np.ndarray]) -> Analysis:
    """Analyse one claim photo against references with only the reference check."""
    return analyze([loaded(claim)], [loaded(r) for r in refs], only=["reference"])


def codes(result: Analysis) -> list[str]:
    return sorted(f.code for f in result.findings)


def only_finding(result: Analysis, code: str) -> Finding:
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, f"expected one {code}, got {codes(result)} ({result.checks['reference']})"
    return found[0]


def boxes_cover(finding: Finding, mask: np.ndarray, min_share: float = 0.6) -> float:
    """Share of the ground-truth mask pixels inside the finding's regions (claim pixel coordinates)."""
    covered = np.zeros(mask.shape, bool)
    for r in finding.regions:
        covered[r.y:r.y + r.h, r.x:r.x + r.w] = True
    return float((covered & mask).sum()) / max(1, int(mask.sum()))


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    from skimage import data

    return data.coffee()
