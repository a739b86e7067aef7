"""Real AI inpainting (SAGI pairs): what the blind cues do and do not see.

SAGI's edited pictures were regenerated and saved as JPEG after the edit. Measured on all 18 pairs: the
heatmap concentrates on the edited region for a minority of pipelines (PowerPaint pair 004, ControlNet
pair 011 among them) and no pair reaches ``review`` from this check alone, because the whole picture
went through the generator and the file keeps no double-quantisation trace (see docs/checks/tamper.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from refundguard.checks.tamper import analyse_image
from refundguard.media.load import load_image
from tests.conftest import corpus_path


def _mask(original: np.ndarray, edited: np.ndarray) -> np.ndarray:
    diff = ndimage.uniform_filter(np.abs(original.astype(np.float32).mean(2) - edited.astype(np.float32).mean(2)), 5)
    return ndimage.binary_closing(ndimage.binary_opening(diff > 20, iterations=2), iterations=4)


def _pair(pid: str) -> tuple[np.ndarray, np.ndarray, bytes]:
    folder = corpus_path("inpainting", "sagi")
    files = sorted(folder.glob(f"{pid}_*.jpg"))
    edited = next(p for p in files if p.stem.endswith(("_None", "_Upscaled")))
    original = next(p for p in files if p != edited)
    return (np.asarray(Image.open(original).convert("RGB")), np.asarray(Image.open(edited).convert("RGB")),
            edited.read_bytes())


@pytest.mark.parametrize("pid", ["004", "011"])
def test_heatmap_concentrates_on_the_inpainted_region(pid):
    original, edited, data = _pair(pid)
    truth = _mask(original, edited)
    assert 0.02 < truth.mean() < 0.5
    result = analyse_image(load_image(data))
    heat = np.asarray(Image.fromarray((result.heat * 255).astype(np.uint8)).resize(
        (truth.shape[1], truth.shape[0]), Image.Resampling.BILINEAR)) / 255.0
    assert heat[truth].mean() > 2.0 * heat[~truth].mean()


def test_regenerated_sagi_edits_do_not_reach_review_alone():
    for pid in ("000", "004", "009", "011", "016"):
        _, _, data = _pair(pid)
        result = analyse_image(load_image(data))
        assert result.score < 0.667
        assert not result.cues["dq"]["observed"]
