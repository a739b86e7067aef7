"""The live check's own comparison of a place of a photo with another view (``checks/_live/place.py``), on a real
photo (scikit-image's stereo motorcycle) seen again re-framed and relit, and on its real second camera view."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from refundguard.checks._live.config import LiveConfig, PlaceSettings
from refundguard.checks._live.place import examine_place
from refundguard.checks._live.views import compare
from refundguard.media.load import load_image
from tests.capture.sessions import jpeg, paint_crack, reframe

BOX = (300, 200, 160, 90)


@pytest.fixture(scope="module")
def views() -> tuple[np.ndarray, np.ndarray]:
    left, right = data.stereo_motorcycle()[:2]
    return np.ascontiguousarray(left), np.ascontiguousarray(right)


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _look(claim: np.ndarray, shot: np.ndarray, region: tuple[int, int, int, int]):  # type: ignore[no-untyped-def]
    comp = compare(load_image(jpeg(claim), name="claim.jpg"), load_image(jpeg(shot), name="shot.jpg"),
                   regions=[region], settings=LiveConfig().place)
    assert comp is not None
    [seen] = comp.regions
    return seen


def test_the_same_place_seen_again_is_present(views) -> None:  # type: ignore[no-untyped-def]
    left, right = views
    brighter = np.clip(left.astype(np.float32) * 1.15, 0, 255).astype(np.uint8)  # another moment's exposure
    assert _look(left, reframe(brighter, zoom=1.6, centre=(0.5, 0.45), tilt=0.02), BOX).status == "present"
    assert _look(left, right, BOX).status == "present"  # the real second camera view: parallax, not damage


def test_a_crack_painted_on_the_photo_is_absent_from_the_live_view(views) -> None:  # type: ignore[no-untyped-def]
    left, _ = views
    forged = paint_crack(left, BOX)
    seen = _look(forged, reframe(left, zoom=1.6, centre=(0.5, 0.45), tilt=0.02), BOX)
    assert seen.status == "absent" and seen.place is not None and seen.place.lacking
    x, y, w, h = BOX
    assert all(x - 10 <= m.box[0] <= x + w and y - 10 <= m.box[1] <= y + h for m in seen.place.lacking)


def test_a_place_outside_the_other_view_is_not_seen(views) -> None:  # type: ignore[no-untyped-def]
    left, _ = views
    gray = _gray(left)
    shift = np.float64([[1, 0, 600], [0, 1, 0], [0, 0, 1]])  # the place maps far outside the other photo
    seen = examine_place(gray, gray, shift, BOX, PlaceSettings())
    assert seen.status == "not_seen"


def test_a_view_too_coarse_to_show_the_place_does_not_resolve_it(views) -> None:  # type: ignore[no-untyped-def]
    left, _ = views
    gray = _gray(left)
    small = cv2.resize(gray, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    seen = examine_place(gray, small, np.diag([0.3, 0.3, 1.0]), BOX, PlaceSettings())
    assert seen.status == "not_seen" and seen.why == "resolution"
