"""Every laundering step alone: an edited reference stays derived_edit, a clean one stays not-edited."""

from __future__ import annotations

import numpy as np
import pytest

from bench.claimbench import launder
from bench.claimbench.damage import add_crack, add_stain
from tests.checks.reference.conftest import boxes_cover, codes, only_finding, run_reference


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.chelsea())  # 451 x 300 real photo


@pytest.mark.parametrize("step", sorted(launder.STEPS))
def test_edit_survives_laundering(step, reference):
    rng = np.random.default_rng(5)
    damaged, mask = add_stain(reference, rng)
    damaged, mask = add_crack(damaged, rng)[0], mask | add_crack(damaged, np.random.default_rng(5))[1]
    claim, claim_mask = launder.STEPS[step](damaged, mask, np.random.default_rng(17))
    assert claim_mask is not None and claim_mask.shape == claim.shape[:2]
    f = only_finding(run_reference(claim, [reference]), "reference.derived_edit")
    assert f.details["mirrored"] is (step == "mirror")
    assert boxes_cover(f, claim_mask) > 0.5
    h, w = claim.shape[:2]
    assert all(r.x + r.w <= w and r.y + r.h <= h for r in f.regions)


@pytest.mark.parametrize("step", sorted(launder.STEPS))
def test_laundered_copy_is_not_called_edited(step, reference):
    claim, _ = launder.STEPS[step](reference, None, np.random.default_rng(23))
    result = run_reference(claim, [reference])
    assert codes(result) == ["reference.derived_copy"], result.findings
