"""Several photos of the same damage: does the damage obey the same geometry as the object?

Real buyer cases were exposed when the buyer was asked for another angle and the cracks changed. For
every two claim photos that show the same object (SIFT matches consistent with one rigid scene:
RANSAC fundamental matrix, then homographies of the main surfaces), the photos are brought into each
other's frame and compared: damage must appear at the same place on the object, with the same shape,
in both. Damage one photo shows and the other lacks at the corresponding place, while the surface
around it agrees, is reported as ``multiview.inconsistent_damage`` with both regions. Damage regions
that the ``reference`` and ``tamper`` checks reported are examined too. Differences explained by
parallax (found again along the epipolar line) or by misalignment are not reported.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from refundguard.checks._views.match import MIN_INLIERS, Features, WorkImage, features, match, work_image
from refundguard.checks._views.pair import Box, PairResult, examine
from refundguard.checks.registry import CheckContext, check
from refundguard.errors import NotApplicable
from refundguard.findings import Finding

#: at most this many claim photos are compared pairwise (15 pairs)
MAX_VIEWS = 6


def _prior_regions(ctx: CheckContext, claim_indices: set[int]) -> dict[int, list[tuple[str, tuple[int, ...]]]]:
    regions: dict[int, list[tuple[str, tuple[int, ...]]]] = {}
    for f in ctx.prior:
        if f.image in claim_indices:
            for r in f.regions:
                regions.setdefault(f.image, []).append((f.code, (r.x, r.y, r.w, r.h)))
    return regions


def _hints(prior: list[tuple[str, tuple[int, ...]]], work: WorkImage) -> list[Box]:
    return [tuple(float(v) * work.scale for v in box) for _, box in prior]  # type: ignore[misc]


def _region_text(r: tuple[int, int, int, int]) -> str:
    return f"x={r[0]}, y={r[1]}, {r[2]}×{r[3]} px"


def _pair_details(ctx: CheckContext, res: PairResult) -> dict[str, Any]:
    return {
        "images": [res.first, res.second],
        "names": [ctx.images[res.first].name, ctx.images[res.second].name],
        "matched_points": res.inliers,
        "surfaces": res.surfaces,
        "differences": [{
            "shown_in": d.shown_in, "missing_in": d.missing_in, "source": d.source,
            "regions": {str(d.shown_in): list(d.region_shown), str(d.missing_in): list(d.region_expected)},
            **d.anomaly.to_dict()} for d in res.differences],
        "agreeing_prior_regions": res.agreeing_priors,
    }


def _score(res: PairResult) -> float:
    sides = {d.shown_in for d in res.differences}
    base = 0.9 if len(sides) == 2 else 0.65
    if any(d.source == "prior" for d in res.differences):
        base += 0.05
    return min(base, 0.95)


def _finding(ctx: CheckContext, bad: list[PairResult], compared: list[PairResult], unmatched: list[list[int]]
             ) -> Finding:
    worst = max(bad, key=_score)
    d = max(worst.differences, key=lambda x: x.anomaly.unexplained)
    shown, missing = ctx.images[d.shown_in].name, ctx.images[d.missing_in].name
    sides = {x.shown_in for x in worst.differences}
    both_en = both_zh = ""
    if len(sides) == 2:
        other = next(x for x in worst.differences if x.shown_in != d.shown_in)
        both_en = (f" Photo #{other.shown_in} in turn shows damage at {_region_text(other.region_shown)} that "
                   f"photo #{other.missing_in} lacks at {_region_text(other.region_expected)}.")
        both_zh = (f"反过来，照片 #{other.shown_in} 在 {_region_text(other.region_shown)} 处的损坏，"
                   f"在照片 #{other.missing_in} 的对应位置 {_region_text(other.region_expected)} 也没有。")
    details = {"pairs": [_pair_details(ctx, r) for r in bad],
               "consistent_pairs": [[r.first, r.second] for r in compared if not r.differences],
               "unmatched_pairs": unmatched,
               "regions_by_image": _regions_by_image(bad)}
    return ctx.finding(
        "multiview.inconsistent_damage", image=None, score=_score(worst), details=details,
        en=(f"The damage differs between two photos of the same item: photo #{d.shown_in} ({shown}) shows damage "
            f"at {_region_text(d.region_shown)}, but at the corresponding place of photo #{d.missing_in} "
            f"({missing}), {_region_text(d.region_expected)}, there is none, although the surrounding surface "
            f"matches ({worst.inliers} matched points).{both_en} Real damage looks the same from every angle."),
        zh=(f"同一商品的两张照片中损坏不一致：照片 #{d.shown_in}（{shown}）在 {_region_text(d.region_shown)} 处有"
            f"损坏，而照片 #{d.missing_in}（{missing}）的对应位置 {_region_text(d.region_expected)} 却没有，"
            f"尽管周围表面完全吻合（{worst.inliers} 个匹配点）。{both_zh}真实的损坏从任何角度看都应一致。"))


def _regions_by_image(bad: list[PairResult]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for res in bad:
        for d in res.differences:
            x, y, w, h = d.region_shown
            out.setdefault(str(d.shown_in), []).append({"x": x, "y": y, "w": w, "h": h, "role": "damage"})
            x, y, w, h = d.region_expected
            out.setdefault(str(d.missing_in), []).append({"x": x, "y": y, "w": w, "h": h,
                                                          "role": "expected_damage_missing"})
    return out


@check("multiview", after=("reference", "tamper"))
def run(ctx: CheckContext) -> list[Finding]:
    """Compare the damage across every two claim photos that show the same object."""
    claims = list(ctx.claim_images)
    if len(claims) < 2:
        raise NotApplicable("fewer than two claim photos: there is no second view to compare the damage with")
    claims = claims[:MAX_VIEWS]
    work: dict[int, WorkImage] = {i: work_image(im.pixels) for i, im in claims}
    feats: dict[int, Features] = {i: features(work[i]) for i in work}
    prior = _prior_regions(ctx, set(work))
    compared: list[PairResult] = []
    unmatched: list[list[int]] = []
    for (i, a), (j, b) in combinations(claims, 2):
        vm = match(feats[i], feats[j])
        if vm is None:
            unmatched.append([i, j])
            continue
        compared.append(examine(i, j, work[i], work[j], vm, ((a.width, a.height), (b.width, b.height)),
                                (_hints(prior.get(i, []), work[i]), _hints(prior.get(j, []), work[j]))))
        ctx.verified("second_view", [i, j], en=f"{a.name} and {b.name} compared as two views of one item",
                     zh=f"{a.name} 与 {b.name} 作为同一商品的两个角度进行了比对")
    paired = {k for r in compared for k in (r.first, r.second)}
    for i, im in claims:
        if compared and i not in paired:
            ctx.skip(i, en=f"{im.name} shares no reliably matched surface with the other photos",
                     zh=f"{im.name} 与其他照片没有可靠匹配的共同表面")
    if not compared:
        raise NotApplicable(f"the claim photos do not show the same object: no two of them have a reliable "
                            f"geometric match (at least {MIN_INLIERS} matches consistent with one rigid scene)")
    bad = [r for r in compared if r.differences]
    return [_finding(ctx, bad, compared, unmatched)] if bad else []
