"""claimbench: damage functions and the seeded case generator."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from bench.claimbench import damage
from tests.conftest import corpus_path


@pytest.mark.parametrize("name", sorted(damage.PROCEDURAL))
def test_procedural_damage_is_seeded_and_masked(name):
    img = data.coffee()
    a, mask_a = damage.PROCEDURAL[name](img, np.random.default_rng(1))
    b, mask_b = damage.PROCEDURAL[name](img, np.random.default_rng(1))
    assert np.array_equal(a, b) and np.array_equal(mask_a, mask_b)
    assert a.shape == img.shape and a.dtype == np.uint8
    assert 0.0005 < mask_a.mean() < 0.3
    changed = np.abs(a.astype(int) - img.astype(int)).max(axis=2) > 20
    assert (changed & ~mask_a).sum() <= 0.05 * changed.sum()  # the mask covers what changed


def test_pasted_real_defect_changes_only_its_mask():
    from bench.claimbench.sources import tile_defect

    path = sorted(corpus_path("damage", "magnetic_tile", "MT_Crack", "Imgs").glob("*.jpg"))[0]
    defect, defect_mask = tile_defect(path)
    img = data.chelsea()
    out, mask = damage.paste_defect(img, np.random.default_rng(0), defect, defect_mask)
    changed = np.abs(out.astype(int) - img.astype(int)).max(axis=2) > 12
    assert mask.any() and (changed & ~mask).sum() <= 0.1 * max(1, changed.sum())


def test_generator_is_reproducible_and_labelled():
    corpus_path("inpainting", "sagi")
    from bench.claimbench.generate import generate

    first = list(generate(4, 4, seed=5))
    second = list(generate(4, 4, seed=5))
    assert [c.id for c in first] == [c.id for c in second]
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a.claim, b.claim) and a.steps == b.steps
    forged = [c for c in first if c.kind == "forged"]
    assert len(forged) == 4 and all(c.mask is not None and c.mask.shape == c.claim.shape[:2] and c.mask.any()
                                    for c in forged)
    assert all(c.mask is None for c in first if c.kind == "genuine")
