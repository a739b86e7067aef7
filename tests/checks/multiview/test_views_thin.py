"""The thin pass of the multiview candidates: a long thin line unexplained only faintly is examined; a faint
blob at the same level is not (soft differences of light stay below the main pass's level)."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np

from refundguard.checks._views.config import CompareSettings
from refundguard.checks._views.structure import candidates, thin_candidates, thin_shape


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
    off = CompareSettings()
    on = CompareSettings(thin_level=0.2)
    assert off.thin_level == 0 or thin_candidates(aligned(extra), on)  # the default is measured, not assumed
    assert not candidates(aligned(extra), off.model_copy(update={"thin_level": 0.0}))  # below candidate_level
    thin = thin_candidates(aligned(extra), on)
    assert len(thin) == 1 and (thin[0] & line).sum() > 0.5 * line.sum() and not (thin[0] & blob).any()
    both = candidates(aligned(extra), on)
    assert len(both) == 1 and (both[0] & line).any()


def test_a_line_the_main_pass_found_is_not_measured_again() -> None:
    extra, line, _ = faint_line_and_blob(0.8, 0.27)  # above candidate_level: the main pass has it
    cfg = CompareSettings(thin_level=0.2)
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
