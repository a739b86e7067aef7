"""The capture benchmark's tuned fracture-network recipe (``bench.capture_session.add_craze``)."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from bench.capture_session import add_craze, damage_at


def test_craze_paints_a_network_of_hairlines_inside_its_patch() -> None:
    """On a light wall the network is dark hairlines (1-2 px, a lit lip), branching into several cells; nothing
    outside the patch changes, the mask covers what changed and is the painted lines, not the patch."""
    wall = np.dstack([data.brick()[:400, :400]] * 3).astype(np.uint8)
    wall = np.clip(wall.astype(np.int16) + 90, 0, 255).astype(np.uint8)  # a light surface: dark lines
    out, mask = damage_at(wall, (200, 200), 180, "craze", np.random.default_rng(4))
    changed = np.abs(out.astype(np.int16) - wall).max(axis=2) > 12
    patch = np.zeros(mask.shape, bool)
    patch[110:290, 110:290] = True
    assert not changed[~patch].any() and mask.any() and not mask[~patch].any()
    assert (mask & patch).sum() < 0.3 * patch.sum()  # lines, not the patch
    darker = (wall.astype(np.float32).mean(axis=2) - out.astype(np.float32).mean(axis=2))[changed]
    assert np.median(darker) > 0
    # thin: the mask's area over its outline's half length is a line's width, a few pixels (grown by one pixel)
    contours = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    assert 2.0 * mask.sum() / perimeter < 5.0
    # a network: more painted line than one crack across the patch would need, in more than one piece or branching
    assert perimeter / 2 > 2 * 180


def test_craze_is_lit_on_a_dark_surface() -> None:
    dark = np.full((300, 300, 3), 40, np.uint8)
    dark += np.random.default_rng(1).integers(0, 8, dark.shape, dtype=np.uint8)
    out, mask = add_craze(dark, np.random.default_rng(2))
    assert mask.any()
    assert float(out[mask].astype(np.float32).mean()) > float(dark[mask].astype(np.float32).mean()) + 20


def test_craze_is_drawn_from_its_own_generator() -> None:
    """The same generator state, the same network: the tuned sessions are reproducible."""
    wall = np.dstack([data.brick()[:300, :300]] * 3).astype(np.uint8)
    a, ma = add_craze(wall, np.random.default_rng(9))
    b, mb = add_craze(wall, np.random.default_rng(9))
    assert np.array_equal(a, b) and np.array_equal(ma, mb)
