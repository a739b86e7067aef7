"""Fixed-camera re-shoots of one object under other light must not be called derived (issue 3)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from bench.claimbench import launder
from bench.claimbench.damage import add_crack
from tests.checks.reference.conftest import codes, only_finding, run_reference
from tests.conftest import corpus_path


def _tile(name: str) -> np.ndarray:
    path = corpus_path("damage", "magnetic_tile", "MT_Break", "Imgs", name)
    return np.array(Image.open(path).convert("RGB"))


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("step", ["none", "jpeg", "resize", "mirror", "messaging", "screenshot", "colour"])
def test_relit_reshoot_of_one_tile_is_not_derived_edit(swap: bool, step: str):
    a, b = _tile("exp4_num_348673.jpg"), _tile("exp6_num_348888.jpg")
    claim, ref = (b, a) if swap else (a, b)
    if step != "none":
        claim, _ = launder.STEPS[step](claim, None, np.random.default_rng(3))
    result = run_reference(claim, [ref])
    assert result.checks["reference"].status == "ran"
    assert "reference.derived_edit" not in codes(result)
    assert "reference.derived_copy" not in codes(result)


def test_crack_added_to_the_same_tile_photo_is_still_derived_edit():
    tile = _tile("exp4_num_348673.jpg")
    forged, mask = add_crack(tile, np.random.default_rng(5))
    f = only_finding(run_reference(forged, [tile]), "reference.derived_edit")
    assert f.details["relit_reshoot"] is False
    assert f.details["smooth_residual"] < 0.005
    assert mask.any()
