"""Reference check: is the claim photo the merchant's own photo, and if so, which regions were changed?

Each claim photo is matched against every usable reference photo (SIFT + MAGSAC homography, also
against the mirrored reference), aligned to sub-pixel accuracy (ECC), colour-normalised, and tested for
*same capture*: photos derived from one capture align everywhere and share fine detail, distinct
captures of the same product do not (parallax, independent noise). A derived claim is then differenced
against the reference to find the changed regions. See docs/reference_check.md for the method and the
measurements behind the thresholds.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from refundguard.checks._align.settings import ReferenceConfig
from refundguard.checks.registry import CheckContext, check
from refundguard.errors import not_applicable
from refundguard.findings import Finding, Heatmap, Region
from refundguard.messages import both

if TYPE_CHECKING:  # the image math is imported by run(), after the not-applicable tests (docs/ARCHITECTURE.md)
    from pathlib import Path

    from refundguard.checks._align.compare import Aligned, Comparison
    from refundguard.checks._align.merge import Change
    from refundguard.checks._align.prepare import Prepared


def _kind_label(kind: str) -> dict[str, str]:
    """A region kind (checks/_align/kinds.py) in both languages: the catalogue's ``reference.kind.`` word."""
    return both(f"reference.kind.{kind}")


#: the heatmap's value bands (checks/_align/merge.py), each worded by the catalogue's ``reference.legend.`` entry
LEGEND_BANDS = (("noise", 0.0, 0.49, None), ("overlay", 0.5, 0.7, "overlay"), ("damage", 0.75, 1.0, "damage"))


def heatmap_legend() -> list[dict[str, Any]]:
    """The heatmap legend of a finding's details: each band's values, family, key and sentence in both languages."""
    return [{"from": lo, "to": hi, "family": family, "key": f"reference.legend.{name}",
             **both(f"reference.legend.{name}")} for name, lo, hi, family in LEGEND_BANDS]


def _prepared(ctx: CheckContext, index: int) -> Prepared:
    """The working copy of photo ``index`` (prepared once per analysis)."""
    from refundguard.checks._align.prepare import prepare

    key = f"reference.prepared.{index}"
    if key not in ctx.cache:
        ctx.cache[key] = prepare(ctx.images[index].pixels)
    return ctx.cache[key]


def _store_key(ctx: CheckContext, index: int) -> str:
    from refundguard.checks._align.store import key_of

    image = ctx.images[index]
    return key_of(image.sha256, image.width, image.height)


def _reference(ctx: CheckContext, index: int) -> Prepared:
    """Reference photo ``index`` prepared, with its direct features.

    A usable reference is prepared once and kept in the process's store (:mod:`refundguard.checks._align.store`):
    the next claim with the same listing photo reads it back, bit for bit, instead of preparing it again.
    """
    from refundguard.checks._align.prepare import MIN_KEYPOINTS
    from refundguard.checks._align.store import shared_store

    key = f"reference.prepared.{index}"
    if key not in ctx.cache:
        stored = shared_store().get(_store_key(ctx, index))
        if stored is not None:
            ctx.cache[key] = stored
            ctx.cache[f"reference.stored.{index}"] = len(stored.cached_features())
    p = _prepared(ctx, index)
    if p.problem is None and len(p.features()) < MIN_KEYPOINTS:
        p.problem = {"part": "few_features", "min_keypoints": MIN_KEYPOINTS}
    return p


def _transform(c: Comparison) -> list[list[float]]:
    assert c.homography is not None
    return [[round(float(v), 6) for v in row] for row in c.homography]


def _pair_details(ref_index: int, c: Comparison) -> dict[str, Any]:
    details: dict[str, Any] = {"reference_image": ref_index, "transform": _transform(c),
                               "mirrored": bool(c.match and c.match.mirrored),
                               "matched_features": int(c.match.inliers if c.match else 0),
                               "reference_coverage": round(c.coverage, 4),
                               "same_capture_probability": round(c.p_same, 4),
                               "subpixel_refined": c.ecc_converged}
    if c.capture is not None:
        details.update(capture_consistency=round(c.capture.consistency, 4),
                       shared_fine_detail=round(c.capture.fine, 4),
                       shared_mid_detail=round(c.capture.mid, 4),
                       aligned_tiles=round(c.capture.aligned, 4),
                       shared_pixel_detail=round(c.capture.pixel, 4),
                       alignment_residual_px=round(c.capture.residual_px, 3)
                       if math.isfinite(c.capture.residual_px) else None)
    if c.relight is not None:
        details.update(smooth_residual=round(c.relight.lowfreq, 5), relit_reshoot=c.relight.reshoot,
                       reshoot_test_pixel_detail=round(c.relight.evidence.pixel, 4),
                       reshoot_test_aligned_tiles=round(c.relight.evidence.aligned, 4),
                       reshoot_test_fine_detail=round(c.relight.evidence.fine, 4))
    if c.laundering is not None:
        details.update(simulated_jpeg_quality=c.laundering.quality,
                       simulation_window_difference=[round(c.laundering.before, 5), round(c.laundering.after, 5)])
    if c.changes is not None:
        details.update(changed_share=round(c.changes.share, 5), noise_level=round(c.noise, 5),
                       changed_regions=[_region_details(box, change) for box, change in
                                        zip(c.regions, c.kinds, strict=True)],
                       heatmap_legend=heatmap_legend())
    return details


def _region_details(box: tuple[int, int, int, int], change: Change) -> dict[str, Any]:
    x, y, w, h = box
    return {"x": x, "y": y, "w": w, "h": h, "family": change.family, "kind": change.kind,
            "label": _kind_label(change.kind), "family_label": both(f"reference.family.{change.family}"),
            "detector": change.detector, "confidence": round(change.confidence, 3),
            **change.measures, "features": change.features}


def _tally(c: Comparison, family: str) -> list[dict[str, Any]]:
    """The kinds of the regions of ``family`` with their counts, as catalogue parts of ``reference.tally.``
    (``[{"part": "scratch", "count": 2}, ...]``, in the order the kinds are first reported)."""
    counts: dict[str, int] = {}
    for k in c.kinds:
        if k.family == family:
            counts[k.kind] = counts.get(k.kind, 0) + 1
    return [{"part": kind, "count": n} for kind, n in counts.items()]


def _usable_references(ctx: CheckContext) -> tuple[list[tuple[int, Prepared]], list[dict[str, Any]]]:
    from refundguard.parallel import fork

    indexes = [i for i, _ in ctx.reference_images]
    pending = [fork(_reference, ctx, i) for i in indexes[1:]]  # the references side by side on the shared pool
    prepared = [_reference(ctx, indexes[0]), *(f.result() for f in pending)]
    usable: list[tuple[int, Prepared]] = []
    skipped: list[dict[str, Any]] = []
    for i, p in zip(indexes, prepared, strict=True):
        if p.problem is None:
            usable.append((i, p))
        else:
            why = both(f"reference.problem.{p.problem['part']}", p.problem)
            skipped.append({**p.problem, "image": i, "why": why["en"], "why_zh": why["zh"]})
    return usable, skipped


def _verified(ctx: CheckContext, index: int, ref_index: int, what: str) -> None:
    ctx.verified("reference", [index, ref_index], key=f"reference.verified.{what}",
                 params={"claim_image": index, "reference_image": ref_index})


def _compared(ctx: CheckContext, claim: Prepared, refs: list[Prepared], cfg: ReferenceConfig) -> list[Comparison]:
    """``compare`` of the claim with each reference, side by side on the shared pool: every pair is aligned first
    (SIFT matching, the mirror image's features when needed, ECC, the same-capture test), then the pairs of one
    capture are searched for changes. The change search of one pair (~90 MiB of working arrays at 12 MP) then
    never runs beside the SIFT features (~45 MiB inside OpenCV) and alignment of another: the same comparisons,
    a lower peak. Each change search is a heavy part of the check (:meth:`CheckContext.heavy_part`, as are the
    SIFT features, :func:`run`): it waits for a heavy check of the analysis (tamper) to finish, and none starts
    while it runs; the matching and alignment, all that a claim that is no copy of a reference gets after its
    features, run beside them."""
    from refundguard.checks._align.compare import Comparison, align, detect
    from refundguard.parallel import fork

    def detected(aligned: Comparison | Aligned) -> Comparison:
        if isinstance(aligned, Comparison):
            return aligned
        with ctx.heavy_part():
            return detect(aligned, cfg)

    pending = [fork(align, claim, rp, cfg) for rp in refs[1:]]
    aligned = [align(claim, refs[0], cfg), *(f.result() for f in pending)]
    searched = [fork(detected, a) for a in aligned[1:]]
    return [detected(aligned[0]), *(f.result() for f in searched)]


def _decide(ctx: CheckContext, index: int, claim: Prepared, refs: list[tuple[int, Prepared]],
            skipped: list[dict[str, Any]]) -> list[Finding]:
    from refundguard.checks._align.similarity import colour_similarity

    cfg: ReferenceConfig = ctx.config
    compared = _compared(ctx, claim, [rp for _, rp in refs], cfg)
    results = [(ri, c) for (ri, _), c in zip(refs, compared, strict=True)]
    matched = [(ri, c) for ri, c in results if c.match is not None]
    if not matched:
        sims = [colour_similarity(claim.rgb, rp.rgb) for _, rp in refs]
        best_sim = max(sims)
        if best_sim >= cfg.different_similarity:
            return []
        score = 0.3 + 0.4 * (cfg.different_similarity - best_sim) / cfg.different_similarity
        return [ctx.finding(
            "reference.different_product", image=index, score=score, variant="unmatched",
            details={"colour_similarity": round(best_sim, 4), "references_compared": [ri for ri, _ in refs],
                     "references_count": len(refs), "references_skipped": skipped})]
    ri, best = max(matched, key=lambda rc: (rc[1].p_same, rc[1].match.inliers if rc[1].match else 0))
    if best.p_same < 0.5:  # a different capture of the same product: the honest buyer
        _verified(ctx, index, ri, "separate")
        return []
    details = _pair_details(ri, best)
    details["references_skipped"] = skipped
    details["alignment"] = ["residual" if details.get("alignment_residual_px") is not None else "subpixel"]
    damage = [(box, k) for box, k in zip(best.regions, best.kinds, strict=True) if k.family == "damage"]
    overlays = [(box, k) for box, k in zip(best.regions, best.kinds, strict=True) if k.family == "overlay"]
    details.update(damage_count=len(damage), damage_tally=_tally(best, "damage"),
                   overlay_count=len(overlays), overlay_tally=_tally(best, "overlay"))
    heat = Heatmap(best.heat) if best.heat is not None else None
    if damage and best.changes is not None:
        _verified(ctx, index, ri, "damage")
        return [ctx.finding(
            "reference.derived_edit", image=index, score=best.p_same * best.p_edit,
            variant="damage_and_overlays" if overlays else "damage",
            regions=[Region(*box) for box, _ in damage[:cfg.changes.max_regions]], heatmap=heat, details=details)]
    if overlays:
        _verified(ctx, index, ri, "overlays")
        return [ctx.finding(
            "reference.derived_overlay", image=index, score=best.p_same * best.p_overlay, variant="overlays",
            regions=[Region(*box) for box, _ in overlays[:cfg.changes.max_regions]], heatmap=heat,
            details=details)]
    _verified(ctx, index, ri, "copy")
    return [ctx.finding("reference.derived_copy", image=index, score=best.p_same, variant="copy", details=details)]


def store_references_in(folder: Path | None) -> None:
    """Keep this process's prepared reference photos in ``folder`` (a service worker: ``<data_dir>/reference-
    features``), so that every later claim with the same listing photo, in any worker, reads them back instead of
    preparing them again (:mod:`refundguard.checks._align.store`); None keeps them in memory only."""
    from refundguard.checks._align.store import use_folder

    use_folder(folder)


@check("reference", config=ReferenceConfig)
def run(ctx: CheckContext) -> list[Finding]:
    """Compare each claim photo with the merchant's reference photos."""
    if not any(True for _ in ctx.reference_images):
        raise not_applicable("reference.na.no_reference")
    with ctx.heavy_part():  # the working copies and SIFT features (~80 MiB inside OpenCV a 12 MP photo)
        refs, skipped = _usable_references(ctx)
        if not refs:
            raise not_applicable("reference.na.none_usable", skipped=skipped)
        for index, _ in ctx.claim_images:
            claim = _prepared(ctx, index)
            if claim.problem is None:
                claim.features()  # once, before the comparisons share it
    findings: list[Finding] = []
    judged = 0
    for index, _ in ctx.claim_images:
        claim = _prepared(ctx, index)
        if claim.problem is not None:
            ctx.skip(index, key="reference.skip.unusable_claim", params={"problem": [claim.problem]})
            continue
        judged += 1
        findings.extend(_decide(ctx, index, claim, refs, skipped))
    _store_references(ctx, refs)
    if not judged:
        raise not_applicable("reference.na.no_claim")
    return findings


def _store_references(ctx: CheckContext, refs: list[tuple[int, Prepared]]) -> None:
    """Keep the usable references, with every feature set the comparisons computed, for the next claims."""
    from refundguard.checks._align.store import shared_store

    store = shared_store()
    for i, p in refs:
        kept = len(p.cached_features())
        if ctx.cache.get(f"reference.stored.{i}") != kept:  # new, or with a feature set the store lacks
            store.put(_store_key(ctx, i), p)
            ctx.cache[f"reference.stored.{i}"] = kept
