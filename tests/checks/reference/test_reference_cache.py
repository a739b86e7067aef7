"""The tuning harness of the reference check (bench/reference_cache.py): a staged case judged again gives the
check's own decision, the diagnosis names the rule that dropped each candidate, and the detectability measure
sets a found damage above the photo's own laundering significance."""

from __future__ import annotations

import numpy as np

from bench import reference_cache
from bench.claimbench import launder, recipes
from bench.claimbench.generate import Case


def _case(coffee: np.ndarray, recipe: str | None) -> Case:
    if recipe is None:
        claim, mask = launder.jpeg(coffee, None, np.random.default_rng(1))
        return Case(id="t-copy", kind="genuine", expected="derived_copy", source="copy", laundering="jpeg",
                    steps=["jpeg"], claim=claim, references=[coffee],
                    notes={"photo": "coffee", "recipe": "copy", "family": "copy", "strength": "-"})
    claim, mask = recipes.RECIPES[recipe].make(coffee, np.random.default_rng(4), recipes.STRENGTHS["clear"])
    claim, mask = launder.jpeg(claim, mask, np.random.default_rng(1))
    return Case(id="t-spot", kind="forged", expected="derived_edit", source=recipe, laundering="jpeg",
                steps=["jpeg"], claim=claim, references=[coffee], mask=mask,
                notes={"photo": "coffee", "recipe": recipe, "family": "damage", "strength": "clear"})


def test_a_staged_case_replays_to_the_checks_own_decision(tmp_path, coffee):
    cases = [_case(coffee, "spot"), _case(coffee, None)]
    assert reference_cache.stage(cases, tmp_path, progress=lambda _: None) == 2
    items = list(reference_cache.load(tmp_path))
    for item in items:
        row = reference_cache.replay_one(item, reference_cache.ReferenceConfig())
        staged = item["row"]
        assert row["codes"] == staged["codes"] and row["score"] == staged["score"]
        assert row.get("hit") == staged.get("hit")
    spot = next(i for i in items if i["case"]["id"] == "t-spot")
    assert spot["row"]["codes"] == ["reference.derived_edit"]
    why = reference_cache.diagnose(spot)
    assert any(c["dropped"] == "kept" for c in why["candidates_on_mask"])
    assert any(r["on_mask"] and r["family"] == "damage" for r in why["reported"])
    seen = reference_cache.detectability(spot)
    assert seen is not None and seen["mask_px_work"] > 0
    assert seen["z_on_mask"] > max(seen["z_photo"], 1.0) and seen["visibility_max"] >= seen["visibility_at_peak"] > 0
    copy = next(i for i in items if i["case"]["id"] == "t-copy")
    assert reference_cache.detectability(copy) is None  # no mask: nothing to measure

