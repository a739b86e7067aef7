"""multiview reads the damage regions that the reference and tamper checks reported."""

from __future__ import annotations

import pytest
from skimage import data

from bench.multiview import make_pair
from refundguard.checks.multiview import MultiviewConfig, run
from refundguard.checks.registry import CheckContext, ClaimInfo
from refundguard.config import default_settings
from refundguard.errors import NotApplicable
from refundguard.findings import Finding, Message, Region
from refundguard.media.load import load_image


def context(view_a: bytes, view_b: bytes, regions: dict[int, tuple[int, int, int, int]]) -> CheckContext:
    prior = [Finding(code="tamper.local", check="tamper", image=i, score=0.8, message=Message("edit", "编辑"),
                     regions=(Region(*box),)) for i, box in regions.items()]
    images = [load_image(view_a, name="a.jpg"), load_image(view_b, name="b.jpg")]
    return CheckContext(images=images, roles=["claim", "claim"], claim=ClaimInfo(), settings=default_settings(),
                        prior=prior, check_name="multiview",
                       configs={"multiview": MultiviewConfig()})


def test_prior_region_on_damage_seen_in_both_views_passes() -> None:
    pair = make_pair(data.rocket(), 5, consistent=True)
    assert run(context(pair.view_a, pair.view_b, {0: pair.crack_a, 1: pair.crack_b})) == []


def test_prior_regions_on_independent_damage_are_reported() -> None:
    pair = make_pair(data.chelsea(), 4, consistent=False)
    [finding] = run(context(pair.view_a, pair.view_b, {0: pair.crack_a, 1: pair.crack_b}))
    assert finding.code == "multiview.inconsistent_damage" and finding.image is None
    diffs = finding.details["pairs"][0]["differences"]
    assert {d["shown_in"] for d in diffs} == {0, 1}
    assert "prior" in {d["source"] for d in diffs}  # the reported regions were examined as such
    assert finding.score >= 0.9


def test_prior_regions_on_reference_photos_are_ignored() -> None:
    pair = make_pair(data.rocket(), 5, consistent=True)
    ctx = context(pair.view_a, pair.view_b, {0: pair.crack_a})
    ctx.roles = ["claim", "reference"]
    # one claim photo only: nothing to compare, whatever the priors say
    with pytest.raises(NotApplicable, match="fewer than two"):
        run(ctx)
