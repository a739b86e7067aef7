"""bench/realviews.py's painted sets: the third held-out set paints pairs no other painted set used, and the broader
tuned recipes paint visible damage, the same for the same seed."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from bench import realviews as rv
from tests.conftest import corpus_path


def test_the_third_held_out_set_uses_pairs_no_painted_set_used() -> None:
    corpus_path("multiview", "sceaux_castle")
    corpus_path("damage", "magnetic_tile")
    earlier = rv.sceaux_pairs() + rv.buddha_pairs() + rv.tile_pairs(all_pairs=False)
    painted = {(p.a, p.b) for p in earlier if p.split in ("tuning", "held_out")}
    painted |= {(p.a, p.b) for p in rv.fresh_held_out_pairs()}
    third = rv.third_held_out_pairs()
    assert len(third) == 34 and len({(p.a, p.b) for p in third}) == 34
    assert not {(p.a, p.b) for p in third} & painted
    assert {p.split for p in third} == {"third_held_out"}
    tuning = [f"100_{n}.JPG" for n in rv.TUNING["sceaux"]]
    assert not [p for p in third if p.a.name in tuning and p.b.name in tuning]


@pytest.mark.parametrize("name", sorted(rv.BROAD_RECIPES))
def test_each_broad_recipe_paints_visible_damage(name: str) -> None:
    img = np.ascontiguousarray(data.astronaut()[60:460, 40:440])
    painter = rv.BROAD_RECIPES[name]
    out, mask = painter(img, np.random.default_rng([15, 3]))
    again, mask_again = painter(img, np.random.default_rng([15, 3]))
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.array_equal(out, again) and np.array_equal(mask, mask_again)
    assert 30 <= mask.sum() <= 0.25 * mask.size
    changed = np.abs(out.astype(int) - img.astype(int)).max(axis=2) > 12
    assert changed[mask].mean() > 0.5 and changed[~mask].mean() < 0.05
    assert not set(rv.BROAD_RECIPES) & (set(rv.HELD_OUT_RECIPES) | set(rv.TUNING_RECIPES))
