"""The thin pass of the multiview candidates: a long thin line unexplained only faintly is examined; a faint
blob at the same level is not (soft differences of light stay below the main pass's level)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import cv2
import numpy as np

from refundguard.checks._views.config import CompareSettings
from refundguard.checks._views.structure import candidates, dark_candidates, thin_candidates, thin_shape


def aligned(extra: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(extra=extra.astype(np.float32), scale=1.0, shape=extra.shape)


def faint_line_and_blob(level: float, blob_level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    extra = np.zeros((300, 400), np.float32)
    line = np.zeros_like(extra)
    cv2.polylines(line, [np.array([[40, 60], [120, 80], [200, 75], [260, 110]], np.int32)], False, 1.0, 2)
    blob = np.zeros_like(extra)
    cv2.circle(blob, (300, 220), 25, 1.0, -1)
    # the smoothing of the candidates (1 px) lowers a 2-px line's peak a little below ``level``
    extra += level * line + blob_level * blob
    return extra, line > 0, blob > 0


def test_a_faint_thin_line_is_a_thin_candidate_and_a_faint_blob_is_not() -> None:
    extra, line, blob = faint_line_and_blob(0.36, 0.27)
    off = CompareSettings(dark_level=0.0)  # structure only: no luminance planes in this sketch of an alignment
    on = CompareSettings(thin_level=0.2, dark_level=0.0)
    assert CompareSettings().thin_level == 0  # measured, no gain on the staged tuned and broad cases: off
    assert not candidates(aligned(extra), off.model_copy(update={"thin_level": 0.0}))  # below candidate_level
    thin = thin_candidates(aligned(extra), on)
    assert len(thin) == 1 and (thin[0] & line).sum() > 0.5 * line.sum() and not (thin[0] & blob).any()
    both = candidates(aligned(extra), on)
    assert len(both) == 1 and (both[0] & line).any()


def test_a_line_the_main_pass_found_is_not_measured_again() -> None:
    extra, line, _ = faint_line_and_blob(0.8, 0.27)  # above candidate_level: the main pass has it
    cfg = CompareSettings(thin_level=0.2, dark_level=0.0)
    main = candidates(aligned(extra), cfg.model_copy(update={"thin_level": 0.0}))
    assert any((m & line).any() for m in main)
    assert not thin_candidates(aligned(extra), cfg, main)


def test_thin_shape_measures_length_and_half_width() -> None:
    piece = np.zeros((50, 120), bool)
    piece[20:23, 10:110] = True
    length, half = thin_shape(piece)
    assert 99 <= length <= 101 and half <= 2.0
    disc = np.zeros((60, 60), np.uint8)
    cv2.circle(disc, (30, 30), 20, 1, -1)
    length, half = thin_shape(disc > 0)
    assert half > 5.0


def lit_views(blob_depth: float, gain: float = 0.0) -> SimpleNamespace:
    """Log-luminance of two views of a textured surface: X with a soft dark blob of ``blob_depth`` (log units),
    Y under an exposure ``gain`` (log units) and a slow shading ramp."""
    rng = np.random.default_rng(5)
    texture = cv2.GaussianBlur(rng.normal(0, 0.1, (300, 400)).astype(np.float32), (0, 0), 1.5) + 4.5
    yy, xx = np.mgrid[0:300, 0:400].astype(np.float32)
    blob = np.exp(-(((xx - 200) / 12) ** 2 + ((yy - 150) / 8) ** 2)).astype(np.float32)
    lum_x = texture - blob_depth * blob
    lum_y = texture + gain + 0.002 * xx
    return SimpleNamespace(lum_x=lum_x, lum_y=lum_y, overlap=np.ones((300, 400), bool),
                           clipped=np.zeros((300, 400), bool), shape=(300, 400), extra=np.zeros((300, 400), np.float32),
                           scale=1.0), blob > 0.5


def test_a_soft_dark_mark_is_a_dark_candidate_and_exposure_or_shading_is_not() -> None:
    cfg = CompareSettings(dark_level=0.15)
    al, blob = lit_views(0.4, gain=0.3)
    found = dark_candidates(al, cfg)
    assert len(found) == 1 and (found[0] & blob).sum() > 0.5 * blob.sum()
    assert found[0][~cv2.dilate(blob.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)].sum() == 0
    plain, _ = lit_views(0.0, gain=0.3)
    assert not dark_candidates(plain, cfg)
    with_pass = candidates(al, CompareSettings(dark_level=0.15))
    assert len(with_pass) == 1 and (with_pass[0] & blob).any()
    assert not candidates(al, CompareSettings())  # the committed default: no dark pass (measured, not adopted)


def test_a_soft_mark_is_a_difference_only_with_the_soft_rule_and_not_over_a_highlight_of_the_other_view() -> None:
    from refundguard.checks._views.evidence import Evidence, judge

    ev = Evidence(box=(10, 10, 60, 30), unexplained=0.02, ring=0.01, contrast=0.1, lift=0.0, darkening=0.3,
                  replaced=0.0, resolution=0.95, sharpness=0.9, clipped=0.0, ring_valid=0.95, ring_agreement=0.97,
                  area=1500, darkest=0.45, interior_agreement=0.9, share=2e-3, brightest=-0.1, other_plain=0.9)
    assert not judge(ev).difference  # the committed default: no soft-mark rule (measured, not adopted)
    soft = CompareSettings(soft_darkening=0.3)
    assert not judge(replace(ev, share=5e-4), soft).difference  # window panes of the untouched pairs are this small
    assert judge(ev, soft).difference
    assert not judge(replace(ev, other_dark=-0.2), soft).difference  # the other view has a highlight there
    assert not judge(replace(ev, darkest=0.2), soft).difference
    assert not judge(replace(ev, ring_agreement=0.7), soft).difference
    # the texture under a soft mark is found again along its epipolar line: not parallax for a soft mark ...
    assert judge(replace(ev, parallax_ncc=0.9), soft).difference
    # ... unless the rule is told to test it
    assert not judge(replace(ev, parallax_ncc=0.9), soft.model_copy(update={"soft_skip_parallax": False})).difference


def test_on_a_flat_scene_the_parallax_test_does_not_veto() -> None:
    from refundguard.checks._views.evidence import Evidence, judge

    ev = Evidence(box=(10, 10, 30, 8), unexplained=0.6, ring=0.02, contrast=1.5, lift=0.0, darkening=0.3,
                  replaced=0.0, resolution=0.98, sharpness=1.0, clipped=0.0, ring_valid=1.0, ring_agreement=0.9,
                  area=120, darkest=0.4, parallax_ncc=0.8, share=1e-3)
    skip = CompareSettings(planar_skip_parallax=True)
    assert not judge(ev, skip).difference  # a deep scene: found again along its epipolar line
    assert judge(replace(ev, planar=True), skip).difference  # a flat item: nothing stands at another depth
    assert not judge(replace(ev, planar=True), CompareSettings(planar_skip_parallax=False)).difference
