"""Real hand-held re-captures (../shared/corpus/multiview) are never called derived; an edit of one is found."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from bench.claimbench import launder_extra, recipes
from bench.claimbench.generate import _limit
from tests.checks.reference.conftest import codes, only_finding, run_reference
from tests.conftest import corpus_path


def _view(folder: str, name: str) -> np.ndarray:
    return _limit(np.array(Image.open(corpus_path("multiview", folder, name)).convert("RGB")))[0]


@pytest.mark.parametrize(("folder", "a", "b", "step"), [
    ("sceaux_castle", "100_7100.JPG", "100_7101.JPG", "none"),
    ("sceaux_castle", "100_7104.JPG", "100_7105.JPG", "messaging_small"),
    ("sceaux_castle", "100_7107.JPG", "100_7106.JPG", "half_q50"),
    ("buddha", "buddha_00046.jpg", "buddha_00047.jpg", "jpeg_low"),
])
def test_honest_recapture_is_not_derived(folder, a, b, step):
    claim, ref = _view(folder, a), _view(folder, b)
    if step != "none":
        claim, _ = launder_extra.STEPS[step](claim, None, np.random.default_rng(1))
    result = run_reference(claim, [ref])
    assert result.checks["reference"].status == "ran"
    assert not any(c.startswith("reference.derived") for c in codes(result)), result.findings


def test_scratch_on_a_hand_held_photo_is_found_after_a_messaging_resend():
    photo = _view("sceaux_castle", "100_7102.JPG")
    claim, mask = recipes.thin_scratch(photo, np.random.default_rng(6), recipes.STRENGTHS["strong"])
    claim, mask = launder_extra.jpeg_low(claim, mask, np.random.default_rng(2))
    f = only_finding(run_reference(claim, [photo]), "reference.derived_edit")
    assert any(mask[r["y"]:r["y"] + r["h"], r["x"]:r["x"] + r["w"]].any() for r in f.details["changed_regions"])
