"""Relit re-shoot test: the same object photographed again by a fixed camera under other light.

A fixed camera (industrial inspection, a studio rig) photographing the same object twice gives two
captures that align to a fraction of a pixel and share the object's surface texture, so the texture
tests of :mod:`capture` call them one capture and the lighting change looks like an edit. Two signs
together separate such a re-shoot from a photo derived from one capture:

- a smooth illumination residual over the whole unchanged area: after the global colour model, the
  claim minus the reference, blurred at sigma 8 px, still differs outside the changed regions (a new
  light direction shades the object differently everywhere; an edit is local and a re-encode or
  filter is explained by the colour model);
- surface texture shared, pixel-level detail not: the temporal sensor noise (shot and read noise) of two
  captures is independent, so the finest residual (image minus Gaussian sigma 0.8) correlates much less
  than the texture one scale up (``fine``), while a derived photo keeps its capture's noise realisation.

Each sign alone also occurs in derived photos (colour filters leave a smooth residual; diffusion
inpainting regenerates the finest detail everywhere and shifts colours), so only their conjunction is
used; the measurements are in docs/reference_check.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from refundguard.checks._align.capture import CaptureEvidence, capture_evidence

LOWFREQ_SIGMA = 8.0
#: median |smooth residual| (gray in [0, 1]) above which the unchanged area is considered relit
RELIT_MIN = 0.005
#: pixel-level detail NCC at or below which the finest detail is not shared
PIXEL_MAX = 0.76
#: share of textured tiles sharing fine texture (``fine``) at or above which the surface texture is shared
TEXTURE_MIN = 0.80
#: claim pixels per reference pixel above which the test runs at the reference's scale
MAGNIFIED = 1.25


@dataclass(frozen=True)
class Relighting:
    """Evidence of a relit re-shoot.

    Attributes
    ----------
    lowfreq : median absolute smooth residual (claim minus normalised reference, Gaussian sigma 8)
        over the unchanged footprint, gray in [0, 1].
    reshoot : True when the pair looks like a re-shoot under other light (see module docstring).
    evidence : the same-capture evidence the decision used (at the reference's scale when magnified).
    """

    lowfreq: float
    reshoot: bool
    evidence: CaptureEvidence


def _odd(size: float) -> int:
    return max(3, round(size) | 1)


def smooth_residual(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray, changed: np.ndarray,
                    scale: float = 1.0) -> float:
    """Median |Gaussian(sigma 8) of claim - ref| over the footprint minus the (dilated) changed area.

    Parameters
    ----------
    claim, ref : (h, w) float32 gray in [0, 1], aligned and colour-normalised.
    valid : footprint of the reference in the claim frame.
    changed : changed pixels (excluded with a 7 px margin).
    scale : claim working pixels per reference pixel, at most 1. The blur and the margins are reference
        pixels: on a claim downscaled to 0.44x, fixed claim-pixel margins cut 2.3x as much of the reference
        around every change and the blur spans 2.3x as much of the object, and the same relit re-shoot then
        measured 0.0049 instead of the 0.0052-0.0056 of its full-size re-sends (issue #16, the tile re-shoot
        test).
    """
    scale = min(1.0, max(scale, 0.1))
    near = cv2.dilate(changed.astype(np.uint8), np.ones((_odd(15 * scale),) * 2, np.uint8)) > 0
    keep = cv2.erode((valid & ~near).astype(np.uint8), np.ones((_odd(9 * scale),) * 2, np.uint8)) > 0
    if int(keep.sum()) < 500:
        return 0.0
    smooth = cv2.GaussianBlur(claim - ref, (0, 0), LOWFREQ_SIGMA * scale)
    return float(np.median(np.abs(smooth[keep])))


def _at_reference_scale(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray, changed: np.ndarray,
                        magnification: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reduce the aligned pair by ``magnification`` (area averaging) back to the reference's own scale."""
    h, w = claim.shape
    size = (max(16, round(w / magnification)), max(16, round(h / magnification)))
    small = [cv2.resize(a, size, interpolation=cv2.INTER_AREA) for a in (claim, ref)]
    masks = [cv2.resize(m.astype(np.float32), size, interpolation=cv2.INTER_AREA) for m in (valid, changed)]
    return small[0], small[1], masks[0] > 0.999, masks[1] > 0.0


def relighting(claim: np.ndarray, ref: np.ndarray, valid: np.ndarray, changed: np.ndarray,
               evidence: CaptureEvidence, magnification: float = 1.0) -> Relighting:
    """Decide whether an aligned pair is a relit re-shoot (see module docstring).

    Parameters
    ----------
    claim, ref, valid, changed : the aligned pair in the claim's working frame (gray in [0, 1]).
    evidence : the same-capture evidence of the pair (texture, pixel detail, alignment).
    magnification : claim working pixels per reference pixel. When the claim shows the reference
        enlarged (a screenshot of a small photo), interpolation smooths the finest detail of both and
        the texture tests run at the wrong scale, so the evidence is measured again at the reference's
        own scale.
    """
    if magnification > MAGNIFIED:
        claim, ref, valid, changed = _at_reference_scale(claim, ref, valid, changed, magnification)
        evidence = capture_evidence(claim, ref, valid)
    low = smooth_residual(claim, ref, valid, changed, scale=min(1.0, magnification))
    reshoot = low >= RELIT_MIN and evidence.pixel <= PIXEL_MAX and evidence.fine >= TEXTURE_MIN
    return Relighting(lowfreq=low, reshoot=reshoot, evidence=evidence)
