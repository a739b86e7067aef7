"""The change detector's noise model (issue 16, eighth session): the line channel judges each orientation
against its own noise, and the luminance noise is binned by what the simulated laundering did to the reference."""

from __future__ import annotations

import numpy as np

from refundguard.checks._align import changes
from refundguard.checks._align.changes import _line_z
from refundguard.checks._align.noise import TextureModel, churn_energy, texture_energy


def _blocky_residual_with_a_diagonal(contrast: float) -> tuple[np.ndarray, np.ndarray]:
    """JPEG-like residual: horizontal and vertical block-edge dashes every 8 px, plus a faint diagonal line."""
    rng = np.random.default_rng(3)
    h = w = 160
    res = rng.normal(0, 0.002, (h, w)).astype(np.float32)
    for k in range(0, h, 8):
        res[k, :] += rng.normal(0, 0.012, w).astype(np.float32)
        res[:, k] += rng.normal(0, 0.012, h).astype(np.float32)
    line = np.zeros((h, w), bool)
    for t in range(40):
        line[60 + t, 60 + t] = True
    res[line] += contrast
    return res, line


def test_a_diagonal_line_among_block_edges_is_judged_against_its_own_orientations_noise():
    res, line = _blocky_residual_with_a_diagonal(0.012)
    valid = np.ones(res.shape, bool)
    flat = (0.5 + np.random.default_rng(4).normal(0, 0.01, res.shape)).astype(np.float32)
    model = TextureModel(texture_energy(flat), valid & ~np.pad(np.ones((60, 60), bool), 50))
    _, z_own, _ = _line_z(res, 0.8, model, 1e-4, 6, valid)
    # the strongest orientation's response against the noise of that maximum (the former rule)
    resp = changes._response("line", 0.8, res, valid)
    scale, _ = model.scale(resp, 1e-4)
    scale = np.maximum(changes.local_scale(resp, 6, scale), scale)
    z_max = np.abs(resp) / scale
    assert np.median(z_own[line]) > 1.3 * np.median(z_max[line])
    # off the line, the block edges stay where they were: no orientation is noisier than its own scale
    off = ~np.pad(np.ones((60, 60), bool), 50)
    assert np.quantile(z_own[off], 0.999) < 1.3 * np.quantile(z_max[off], 0.999)


def test_churn_energy_follows_what_the_laundering_changed():
    churn = np.zeros((50, 50), np.float32)
    churn[20, 20] = 0.05
    e = churn_energy(churn)
    assert e[20, 20] > 0.02 and e[21, 21] > 0.01 and e[5, 5] == 0
