"""Compare one claim photo with one reference photo: match, align, normalise, test capture, find changes."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._align.area import find_area_changes
from refundguard.checks._align.capture import NCC_CONSISTENT, TILE, CaptureEvidence, capture_evidence
from refundguard.checks._align.changes import find_changes
from refundguard.checks._align.kinds import classify, classify_area
from refundguard.checks._align.laundering import Simulated, launder_like
from refundguard.checks._align.match import Match, match
from refundguard.checks._align.merge import Change, Merged, area_kinds, merge
from refundguard.checks._align.photometric import apply_colour, fit_colour
from refundguard.checks._align.prepare import Prepared
from refundguard.checks._align.refine import refine, warp
from refundguard.checks._align.relight import Relighting, relighting
from refundguard.checks._align.settings import ReferenceConfig

#: logistic calibration of "same capture" on tile consistency (see docs/reference_check.md)
SAME_CENTER = 0.46
SAME_WIDTH = 0.025
#: same-capture probability left to a pair that looks like a relit re-shoot (``relight``)
RESHOOT_P_SAME = 0.1


def _logistic(x: float, center: float, width: float) -> float:
    return float(1.0 / (1.0 + np.exp(-(x - center) / width)))


@dataclass(frozen=True)
class Comparison:
    """Result of comparing a claim with one reference (coordinates in full-resolution pixels).

    Attributes
    ----------
    match : the feature match (None when the reference does not match the claim).
    homography : reference full pixels -> claim full pixels (None without a match).
    capture : same-capture statistics (None without a match).
    changes : the reported changed regions of both detectors (:mod:`merge`; None unless the photos share a
        capture).
    p_same : probability that the claim is derived from this reference's capture.
    p_edit : probability that damage-like regions were changed (given same capture).
    p_overlay : probability that overlays (text, stickers, bars) were drawn over the photo.
    regions : changed boxes (x, y, w, h) in full claim pixels, one per ``changes.changes`` entry.
    heat : change heatmap aligned to the whole claim photo at its working resolution (None unless derived):
        below 0.5 sub-threshold differences, 0.5-0.7 overlays, 0.75-1 damage-like changes.
    coverage : share of the claim frame covered by the reference.
    relight : relit re-shoot evidence (None unless the texture tests said "same capture").
    noise : the laundering noise level of the structure detector's fine channel (0 unless compared).
    laundering : the claim's JPEG laundering simulated on the reference before differencing (:mod:`laundering`).
    """

    match: Match | None
    homography: np.ndarray | None = None
    capture: CaptureEvidence | None = None
    changes: Merged | None = None
    p_same: float = 0.0
    p_edit: float = 0.0
    p_overlay: float = 0.0
    regions: tuple[tuple[int, int, int, int], ...] = ()
    coverage: float = 0.0
    ecc_converged: bool = False
    heat: np.ndarray | None = None
    relight: Relighting | None = None
    noise: float = 0.0
    laundering: Simulated | None = None

    @property
    def kinds(self) -> tuple[Change, ...]:
        """The reported changes (family, kind, detector, measures) in the order of ``regions``."""
        return tuple(self.changes.changes) if self.changes is not None else ()


#: interpolation of the reference copy the structure detector compares (fine detail kept)
SHARP_INTERPOLATION = cv2.INTER_CUBIC
#: when a reference covers less than this share of the claim frame, compare on a full-detail crop
CROP_BELOW = 0.5


def _to_full(h_work: np.ndarray, claim: Prepared, ref: Prepared) -> np.ndarray:
    full = np.linalg.inv(claim.from_full()) @ h_work @ ref.from_full()
    return full / full[2, 2]


def _focus(claim: Prepared, ref: Prepared, h: np.ndarray) -> tuple[Prepared, np.ndarray]:
    """Re-prepare the claim on the area the reference covers when that area is small (screenshots).

    Returns the frame to compare in and ``h`` expressed in that frame's working pixels.
    """
    if claim.pixels is None or claim.scale >= 0.999:
        return claim, h
    w, hh = ref.size
    corners = np.array([[0, 0], [w, 0], [w, hh], [0, hh]], np.float64).reshape(-1, 1, 2)
    proj = cv2.perspectiveTransform(corners, h).reshape(-1, 2)
    cw, ch = claim.size
    x0, y0 = np.clip(proj.min(axis=0), 0, [cw, ch])
    x1, y1 = np.clip(proj.max(axis=0), 0, [cw, ch])
    if (x1 - x0) * (y1 - y0) >= CROP_BELOW * cw * ch:
        return claim, h
    fw, fh = claim.full_size
    box = (int(max(0, np.floor(x0 / claim.scale) - 2)), int(max(0, np.floor(y0 / claim.scale) - 2)),
           int(min(fw, np.ceil(x1 / claim.scale) + 2)), int(min(fh, np.ceil(y1 / claim.scale) + 2)))
    if box[2] - box[0] < 16 or box[3] - box[1] < 16:
        return claim, h
    sub = claim.crop(box)
    return sub, sub.from_full() @ np.linalg.inv(claim.from_full()) @ h


def _embed(heat: np.ndarray, frame: Prepared, claim: Prepared) -> np.ndarray:
    """Place a heatmap computed on ``frame`` (maybe a crop) into the whole claim's working frame."""
    if frame is claim:
        return heat
    canvas = np.zeros(claim.gray.shape, np.float32)
    ox = (frame.offset[0] - claim.offset[0]) * claim.scale
    oy = (frame.offset[1] - claim.offset[1]) * claim.scale
    fw, fh = frame.full_size
    x0, y0 = round(ox), round(oy)
    x1 = min(canvas.shape[1], round(ox + fw * claim.scale))
    y1 = min(canvas.shape[0], round(oy + fh * claim.scale))
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = cv2.resize(heat, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return canvas


def _boxes_to_full(boxes: list[tuple[int, int, int, int]], claim: Prepared) -> tuple[tuple[int, int, int, int], ...]:
    """Working-pixel boxes of ``claim`` (maybe a crop) as boxes in full claim-photo pixels."""
    back = np.linalg.inv(claim.from_full())
    fw, fh = claim.full_size
    ox, oy = claim.offset
    out = []
    for x, y, w, h in boxes:
        corners = np.array([[x - 0.5, y - 0.5], [x + w - 0.5, y + h - 0.5]], np.float64).reshape(-1, 1, 2)
        (x0, y0), (x1, y1) = cv2.perspectiveTransform(corners, back).reshape(-1, 2)
        x0, y0 = max(ox, int(np.floor(x0 + 0.5))), max(oy, int(np.floor(y0 + 0.5)))
        x1, y1 = min(ox + fw, int(np.ceil(x1 + 0.5))), min(oy + fh, int(np.ceil(y1 + 0.5)))
        out.append((x0, y0, max(1, x1 - x0), max(1, y1 - y0)))
    return tuple(out)


def _consistent_pixels(evidence: CaptureEvidence, size: tuple[int, int]) -> np.ndarray:
    """Pixels of the tiles whose fine detail correlates with the reference (unchanged area)."""
    good = np.nan_to_num(evidence.tile_ncc, nan=0.0) >= NCC_CONSISTENT
    up = np.kron(good, np.ones((TILE, TILE), bool))
    out = np.zeros((size[1], size[0]), bool)
    out[: up.shape[0], : up.shape[1]] = up
    return out


def _frame_moved(h: np.ndarray, h2: np.ndarray, size: tuple[int, int]) -> float:
    """Largest movement (working px) of the claim frame's corners between two reference -> claim homographies."""
    corners = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], np.float64).reshape(-1, 1, 2)
    back = cv2.perspectiveTransform(corners, np.linalg.inv(h))
    return float(np.abs(cv2.perspectiveTransform(back, h2) - corners).max())


def _comparison_copies(claim: Prepared, ref: Prepared, h: np.ndarray, normalised: np.ndarray, coef: np.ndarray,
                       valid: np.ndarray, consistent: np.ndarray, cfg: ReferenceConfig
                       ) -> tuple[np.ndarray, np.ndarray, Simulated]:
    """The reference as both detectors compare it: the normalised bilinear warp and a bicubic one, with the
    claim's JPEG laundering redone on them when the compared frame is the claim's own pixel grid."""
    sharp = np.clip(apply_colour(warp(ref.rgb, h, claim.size, SHARP_INTERPOLATION)[0], coef), 0.0, 1.0)
    if claim.scale >= 0.999:  # the compared frame is the claim's own pixel grid: its JPEG blocks can be redone
        (normalised, sharp), laundered = launder_like(claim.rgb, [normalised, sharp], valid, consistent & valid,
                                                      claim.offset, cfg.laundering)
        return normalised, sharp, laundered
    return normalised, sharp, Simulated(None, 0.0, 0.0)


@dataclass(frozen=True)
class Aligned:
    """A pair aligned and tested for same capture, before its changes are looked for (:func:`detect`).

    ``whole`` is the claim, ``claim`` the frame compared (the claim or a crop of it, :func:`_focus`), ``h``
    the reference -> frame homography (working pixels) and ``normalised`` the colour-normalised warp.
    """

    match: Match
    whole: Prepared
    claim: Prepared
    ref: Prepared
    h: np.ndarray
    converged: bool
    coverage: float
    evidence: CaptureEvidence
    p_same: float
    coef: np.ndarray
    valid: np.ndarray
    normalised: np.ndarray
    ref_gray: np.ndarray


def align(claim: Prepared, ref: Prepared, cfg: ReferenceConfig) -> Comparison | Aligned:
    """Match, align and colour-normalise ``ref`` on ``claim`` and test for same capture: a finished
    :class:`Comparison` when the pair is no derived copy, else the :class:`Aligned` pair to :func:`detect` on."""
    m = match(claim, ref)
    if m is None:
        return Comparison(match=None)
    whole = claim
    claim, h = _focus(claim, ref, m.homography)
    h, converged = refine(claim.gray, ref.gray, h, cfg.ecc_give_up_px)
    warped, valid = warp(ref.rgb, h, claim.size)
    coverage = float(valid.mean())
    if coverage < 0.05:
        return Comparison(match=m, homography=_to_full(h, claim, ref), coverage=coverage)
    coef = fit_colour(claim.rgb, warped, valid)
    normalised = apply_colour(warped, coef)
    ref_gray = cv2.cvtColor(normalised, cv2.COLOR_RGB2GRAY)
    evidence = capture_evidence(claim.gray, ref_gray, valid)
    p_same = _logistic(evidence.consistency, SAME_CENTER, SAME_WIDTH)
    if evidence.textured_tiles < 6:
        p_same = min(p_same, 0.2)
    if evidence.pixel < cfg.capture.pixel_shared and max(evidence.fine, evidence.mid) < cfg.capture.texture_shared:
        # neither the capture's noise nor most of its texture is shared: sub-pixel alignment alone (a static
        # or nearly static camera) does not prove one capture (multiview buddha 46/47: aligned 0.81,
        # fine 0.33, mid 0.35, pixel 0.02-0.05; the lowest AI-inpainted SAGI pairs keep pixel >= 0.16 or
        # mid >= 0.52, docs/reference_check.md)
        p_same = min(p_same, cfg.capture.unshared_p_same)
    if p_same < 0.5:
        return Comparison(match=m, homography=_to_full(h, claim, ref), capture=evidence, p_same=p_same,
                          coverage=coverage, ecc_converged=converged)
    return Aligned(match=m, whole=whole, claim=claim, ref=ref, h=h, converged=converged, coverage=coverage,
                   evidence=evidence, p_same=p_same, coef=coef, valid=valid, normalised=normalised,
                   ref_gray=ref_gray)


def compare(claim: Prepared, ref: Prepared, settings: ReferenceConfig | None = None) -> Comparison:
    """Decide how ``claim`` relates to ``ref`` (both prepared; neither may have a ``problem``)."""
    cfg = settings or ReferenceConfig()
    aligned = align(claim, ref, cfg)
    return aligned if isinstance(aligned, Comparison) else detect(aligned, cfg)


def detect(a: Aligned, cfg: ReferenceConfig) -> Comparison:
    """The changed regions of an aligned pair of one capture, their kinds and the pair's probabilities."""
    m, whole, claim, ref, h, converged = a.match, a.whole, a.claim, a.ref, a.h, a.converged
    valid, coef, normalised, ref_gray, evidence, p_same, coverage = (a.valid, a.coef, a.normalised, a.ref_gray,
                                                                     a.evidence, a.p_same, a.coverage)
    result = Comparison(match=m, homography=_to_full(h, claim, ref), capture=evidence, p_same=p_same,
                        coverage=coverage, ecc_converged=converged)
    consistent = _consistent_pixels(evidence, claim.size)
    normalised, sharp, laundered = _comparison_copies(claim, ref, h, normalised, coef, valid, consistent, cfg)
    area = find_area_changes(claim.rgb, normalised, valid, consistent, cfg.area)
    if converged and cfg.realign_share > 0 and area.share >= cfg.realign_share:
        # a large change (a viewer's bar, a sticker, a big edit) pulls ECC: edges elsewhere are then misplaced
        # by a fraction of a pixel and light up as changes. Refine again without it and compare in that frame.
        exclude = cv2.dilate(area.mask.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
        h2, ok = refine(claim.gray, ref.gray, h, cfg.ecc_give_up_px, exclude=exclude)
        if ok and _frame_moved(h, h2, claim.size) >= cfg.realign_px:
            h = h2
            warped, valid = warp(ref.rgb, h, claim.size)
            coef = fit_colour(claim.rgb, warped, valid & ~exclude)
            normalised = apply_colour(warped, coef)
            ref_gray = cv2.cvtColor(normalised, cv2.COLOR_RGB2GRAY)
            normalised, sharp, laundered = _comparison_copies(claim, ref, h, normalised, coef, valid, consistent, cfg)
            area = find_area_changes(claim.rgb, normalised, valid, consistent, cfg.area)
            result = Comparison(match=m, homography=_to_full(h, claim, ref), capture=evidence, p_same=p_same,
                                coverage=coverage, ecc_converged=converged)
    changes = find_changes(claim.rgb, sharp, valid, consistent, cfg.changes, claim_scale=claim.scale)
    relit = relighting(claim.gray, ref_gray, valid, area.mask, evidence,
                       magnification=float(np.sqrt(valid.sum() / max(1, ref.size[0] * ref.size[1]))))
    if relit.reshoot:
        return Comparison(match=m, homography=result.homography, capture=evidence, coverage=coverage,
                          p_same=min(p_same, RESHOOT_P_SAME), ecc_converged=converged, relight=relit)
    kinds = classify(changes, claim.rgb, sharp, valid, cfg.kinds)
    own = classify_area(area, changes, claim.rgb, sharp, valid, cfg.kinds)
    merged = merge(area, area_kinds(area, changes, kinds, own, cfg.merge), changes, kinds, valid, cfg.merge,
                   cfg.changes.seed_z, cfg.changes.min_visibility, cfg.changes.peak_z)
    return Comparison(match=m, homography=result.homography, capture=evidence, changes=merged, p_same=p_same,
                      p_edit=merged.p_edit, p_overlay=merged.p_overlay,
                      regions=_boxes_to_full([c.box for c in merged.changes], claim), coverage=coverage,
                      ecc_converged=converged, heat=_embed(merged.heat, claim, whole), relight=relit,
                      noise=changes.noise, laundering=laundered)
