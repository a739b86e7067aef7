"""Several photos of the same item: does the damage one photo shows appear where the other sees it?

Real buyer cases were exposed when the buyer was asked for another angle and the cracks changed. For
every two claim photos that show the same object, this check

1. **matches** them (SIFT, ratio test, a RANSAC fundamental matrix: at least ``min_inliers`` matches
   consistent with one rigid scene);
2. **aligns** them densely (:mod:`~refundguard.checks._views.dense`: the matches' homography and
   parallax, refined by DIS optical flow, trusted only where forward-backward consistent and on the
   epipolar lines). Places only one photo sees — occluded, out of frame, turned away — are *not
   compared*, never taken for missing damage;
3. **compares structure** (:mod:`~refundguard.checks._views.structure`): gradients of log-luminance and
   log-chromaticity, so exposure, white balance and shading do not count; the sharper photo blurred to
   the other's resolution; structure one photo shows and the other lacks within a few pixels;
4. **judges** each such place (:mod:`~refundguard.checks._views.evidence`): a difference is reported
   only when it is clearly visible in one photo, the surface around it agrees in both, it is not a
   moved highlight, and the other photo sees the place well enough — resolution, focus, neither blown
   out nor black — to have shown it.

One claim-level finding ``multiview.inconsistent_damage`` (``image: null``) names both regions and
says why the other photo should have shown the damage. Its score reflects the evidence
(:class:`~refundguard.checks._views.config.ScoreSettings`): one resolved difference 0.8 (0.88 with a
large margin), resolved damage on both sides 0.93, a place that shows *different* content in each
photo (a reflection, an occluder) 0.6; differences the other photo could not resolve are listed but
never reported on their own. Damage regions that ``reference`` and ``tamper`` reported are examined
too. Every pair compared over enough shared surface is recorded as a ``second_view`` verification;
claim photos no other photo could be compared with are recorded as skipped.

Library use (the capture check compares a claim photo with live shots through this)::

    from refundguard.checks.multiview import compare_views, pair_score

    result = compare_views(claim_pixels, live_pixels, regions=[(x, y, w, h)])
    if result is None:            # the photos do not show the same object
        ...
    result.shared                 # share of each photo compared with the other
    result.regions[0].status      # the claimed damage in the live shot: present | absent | not_seen
    result.differences            # Difference: shown_in, region_shown, region_expected, resolved, evidence
    score, why = pair_score(result)

``photo`` and ``other`` are RGB uint8 arrays or :class:`~refundguard.media.load.LoadedImage`; regions
are ``(x, y, w, h)`` in ``photo``'s pixels, and every region returned is in its own photo's pixels
(``0`` is ``photo``, ``1`` is ``other``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from refundguard.checks._views.config import MultiviewConfig, ScoreSettings
from refundguard.checks.registry import CheckContext, check
from refundguard.errors import not_applicable
from refundguard.findings import Finding
from refundguard.media.load import LoadedImage

if TYPE_CHECKING:
    from refundguard.checks._views.match import Features, WorkImage, features, match_views, work_image
    from refundguard.checks._views.pair import Box, Difference, PairResult, RegionCheck, examine
    from refundguard.checks._views.structure import Planes
else:
    # The matching and comparison modules are imported on first use, not at check discovery: every analysis
    # discovers this check, only claims with two or more photos run it.
    def work_image(*args: Any, **kwargs: Any) -> Any:
        from refundguard.checks._views.match import work_image as impl

        return impl(*args, **kwargs)

    def features(*args: Any, **kwargs: Any) -> Any:
        from refundguard.checks._views.match import features as impl

        return impl(*args, **kwargs)

    def match_views(*args: Any, **kwargs: Any) -> Any:
        from refundguard.checks._views.match import match_views as impl

        return impl(*args, **kwargs)

    def examine(*args: Any, **kwargs: Any) -> Any:
        from refundguard.checks._views.pair import examine as impl

        return impl(*args, **kwargs)

    def __getattr__(name: str) -> Any:
        """The public result types (``Difference``, ``PairResult``, ``RegionCheck``) from their module."""
        if name in ("Difference", "PairResult", "RegionCheck"):
            from refundguard.checks._views import pair

            return getattr(pair, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Difference", "MultiviewConfig", "PairResult", "RegionCheck", "compare_views", "pair_score", "run"]


def _pixels(image: LoadedImage | np.ndarray) -> np.ndarray:
    return image.pixels if isinstance(image, LoadedImage) else np.asarray(image)


def _prepare(pixels: np.ndarray, cfg: MultiviewConfig) -> tuple[WorkImage, Features]:
    work = work_image(pixels, cfg.match.work_side)
    return work, features(work, cfg.match.features)


def _planes(work: WorkImage) -> Planes:
    """What the comparison derives from ``work`` alone, kept for every pair the photo is in."""
    from refundguard.checks._views.structure import Planes

    return Planes(work.gray, work.rgb)


def _hints(boxes: Sequence[Sequence[float]], work: WorkImage) -> list[Box]:
    return [tuple(float(v) * work.scale for v in box) for box in boxes]  # type: ignore[misc]


def compare_views(photo: LoadedImage | np.ndarray, other: LoadedImage | np.ndarray, *,
                  regions: Sequence[Sequence[float]] = (), config: MultiviewConfig | None = None
                  ) -> PairResult | None:
    """Compare ``photo`` with another view of the same item; None when they do not show the same object.

    ``regions`` (``(x, y, w, h)`` in ``photo``'s pixels, e.g. the claimed damage) are each looked for at
    the corresponding place of ``other`` (:attr:`PairResult.regions`). Photo indexes in the result:
    0 is ``photo``, 1 is ``other``.
    """
    cfg = config or MultiviewConfig()
    (wa, fa), (wb, fb) = _prepare(_pixels(photo), cfg), _prepare(_pixels(other), cfg)
    vm = match_views(wa, fa, wb, fb, cfg.match)
    if vm is None:
        return None
    return examine(0, 1, wa, wb, vm, cfg, (_hints(regions, wa), []))


def pair_score(result: PairResult, settings: ScoreSettings | None = None) -> tuple[float, str]:
    """Finding score of one compared pair and what it rests on (0 when nothing resolved differs).

    ``two_sided``: each photo shows resolved damage the other lacks; ``strong`` / ``resolved``: one
    photo does, with a large margin or not; ``replaced``: the place shows different content in each
    photo (weaker: reflections and occluders do that); ``unresolved``: only differences the other photo
    may not resolve (not reported on its own).
    """
    s = settings or ScoreSettings()
    resolved = [d for d in result.differences if d.resolved]
    if not resolved:
        return (s.unresolved, "unresolved") if result.differences else (0.0, "consistent")
    added = [d for d in resolved if not d.replaced]
    if not added:
        score, basis = s.replaced, "replaced"
    elif len({d.shown_in for d in added}) == 2:
        score, basis = s.two_sided, "two_sided"
    elif any(_strong(d) for d in added):
        score, basis = s.strong, "strong"
    else:
        score, basis = s.resolved, "resolved"
    if any(d.source == "prior" for d in resolved):
        score += s.prior_bonus
    return min(score, s.maximum), basis


def _strong(d: Difference) -> bool:
    """A difference with a wide margin: twice the contrast needed, seen at full resolution and focus."""
    ev = d.evidence
    return (ev.contrast >= 1.6 and ev.resolution >= 0.8 and (ev.sharpness is None or ev.sharpness >= 0.8)
            and ev.unexplained >= 0.5)


def _why(d: Difference) -> list[dict[str, Any]]:
    """Why the photo that lacks ``d`` should have shown it: the parts of catalogue ``multiview.why.``."""
    ev = d.evidence
    parts: list[dict[str, Any]] = [{"part": "resolution", "resolution": round(ev.resolution, 2)}]
    if ev.sharpness is not None:
        parts.append({"part": "sharpness", "sharpness": round(min(ev.sharpness, 9.99), 2)})
    parts.append({"part": "exposure"})
    if ev.ring_agreement is None:
        parts.append({"part": "surround"})
    else:
        parts.append({"part": "surround_texture", "ring_agreement": round(ev.ring_agreement, 2)})
    return parts


def _sentence_params(worst: PairResult, d: Difference, other: Difference | None) -> dict[str, Any]:
    """The finding sentence's parameters (photo numbers from 1, regions in their own photo's pixels)."""
    params: dict[str, Any] = {"shown_in": d.shown_in, "missing_in": d.missing_in, "shown_number": d.shown_in + 1,
                              "missing_number": d.missing_in + 1, "region_shown": list(d.region_shown),
                              "region_expected": list(d.region_expected), "matched_points": worst.inliers,
                              "why": _why(d)}
    if other is not None:
        params.update({"other_shown_number": other.shown_in + 1, "other_missing_number": other.missing_in + 1,
                       "other_region_shown": list(other.region_shown),
                       "other_region_expected": list(other.region_expected)})
    return params


def _pair_details(ctx: CheckContext, res: PairResult, cfg: MultiviewConfig) -> dict[str, Any]:
    score, basis = pair_score(res, cfg.score)
    return {"images": [res.first, res.second],
            "names": [ctx.images[res.first].name, ctx.images[res.second].name],
            "matched_points": res.inliers, "flow_agreement": [round(a, 3) for a in res.agreement],
            "shared": [round(s, 3) for s in res.shared], "score": round(score, 3), "basis": basis,
            "differences": [d.to_dict() for d in res.differences],
            "regions_examined": [r.to_dict() for r in res.regions]}


def _regions_by_image(bad: list[PairResult]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for res in bad:
        for d in res.resolved:
            x, y, w, h = d.region_shown
            out.setdefault(str(d.shown_in), []).append({"x": x, "y": y, "w": w, "h": h, "role": "damage"})
            x, y, w, h = d.region_expected
            out.setdefault(str(d.missing_in), []).append({"x": x, "y": y, "w": w, "h": h,
                                                          "role": "expected_damage_missing"})
    return out


def _finding(ctx: CheckContext, bad: list[PairResult], compared: list[PairResult], unmatched: list[list[int]],
             cfg: MultiviewConfig) -> Finding:
    worst = max(bad, key=lambda r: pair_score(r, cfg.score)[0])
    score, basis = pair_score(worst, cfg.score)
    d = max(worst.resolved, key=lambda x: (not x.replaced, x.evidence.contrast))
    other = None
    if basis == "two_sided":
        other = next(x for x in worst.resolved if x.shown_in != d.shown_in and not x.replaced)
    variant = "two_sided" if other is not None else "replaced" if d.replaced else "added"
    details = {"pairs": [_pair_details(ctx, r, cfg) for r in bad],
               "consistent_pairs": [[r.first, r.second] for r in compared if not r.resolved],
               "unmatched_pairs": unmatched, "basis": basis,
               "regions_by_image": _regions_by_image(bad), **_sentence_params(worst, d, other)}
    return ctx.finding("multiview.inconsistent_damage", image=None, score=score, variant=variant, details=details)


def _prior_regions(ctx: CheckContext, claim_indices: set[int]) -> dict[int, list[tuple[int, int, int, int]]]:
    regions: dict[int, list[tuple[int, int, int, int]]] = {}
    for f in ctx.prior:
        if f.image in claim_indices:
            for r in f.regions:
                regions.setdefault(f.image, []).append((r.x, r.y, r.w, r.h))
    return regions


def _record_coverage(ctx: CheckContext, compared: list[PairResult], claims: list[int], cfg: MultiviewConfig) -> None:
    """``second_view`` for every pair compared over enough shared surface; a skip for every other claim photo."""
    covered: set[int] = set()
    for res in compared:
        if max(res.shared) < cfg.score.min_shared:
            continue
        i, j = res.first, res.second
        covered |= {i, j}
        ctx.verified("second_view", [i, j], key="multiview.verified.second_view",
                     params={"first": i, "second": j, "matched_points": res.inliers,
                             "share": round(max(res.shared), 3)})
    matched = {k for res in compared for k in (res.first, res.second)}
    for i in claims:
        if i in covered:
            continue
        if i in matched:
            ctx.skip(i, key="multiview.skip.little_shared", params={"image": i, "min_shared": cfg.score.min_shared})
        else:
            ctx.skip(i, key="multiview.skip.unmatched", params={"image": i})


@check("multiview", after=("reference", "tamper"), config=MultiviewConfig)
def run(ctx: CheckContext) -> list[Finding]:
    """Compare the damage across every two claim photos that show the same object."""
    cfg: MultiviewConfig = ctx.config
    claims = list(ctx.claim_images)
    if len(claims) < 2:
        raise not_applicable("multiview.na.single_photo")
    for i, _ in claims[cfg.max_views:]:
        ctx.skip(i, key="multiview.skip.beyond_max_views", params={"max_views": cfg.max_views})
    claims = claims[:cfg.max_views]
    prepared = {i: _prepare(im.pixels, cfg) for i, im in claims}
    prior = _prior_regions(ctx, set(prepared))
    compared: list[PairResult] = []
    unmatched: list[list[int]] = []
    pairs = list(combinations([i for i, _ in claims], 2))
    # what the comparison derives from one photo alone is made once for all its pairs, and let go after its last
    last = {k: n for n, pair in enumerate(pairs) for k in pair}
    planes: dict[int, Planes] = {}
    from refundguard.checks._views.match import EqualisedFeatures

    retry = EqualisedFeatures(cfg.match)  # a photo's equalised features made once, however many pairs retry
    for n, (i, j) in enumerate(pairs):
        (wa, fa), (wb, fb) = prepared[i], prepared[j]
        vm = match_views(wa, fa, wb, fb, cfg.match, retry=retry)
        if vm is not None:
            for k, w in ((i, wa), (j, wb)):
                if k not in planes:
                    planes[k] = _planes(w)
            compared.append(examine(i, j, wa, wb, vm, cfg,
                                    (_hints(prior.get(i, []), wa), _hints(prior.get(j, []), wb)),
                                    (planes[i], planes[j])))
        else:
            unmatched.append([i, j])
        for k in (i, j):
            if last[k] == n:
                planes.pop(k, None)
    _record_coverage(ctx, compared, [i for i, _ in claims], cfg)
    if not compared:
        raise not_applicable("multiview.na.not_same_object", min_inliers=cfg.match.min_inliers)
    bad = [r for r in compared if r.resolved]
    return [_finding(ctx, bad, compared, unmatched, cfg)] if bad else []
