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


def _ridge_scene(dark_at: int | None) -> np.ndarray:
    """Log-luminance of a lightly textured 320 px surface with a bright thin ridge at column 60 and, at ``dark_at``,
    a dark thin line (a painted hairline crack) 70 px long."""
    rng = np.random.default_rng(3)
    lum = cv2.GaussianBlur(rng.normal(0, 0.03, (320, 320)).astype(np.float32), (0, 0), 2.0) + float(np.log(120.0))
    lum[120:190, 59:61] += 0.5
    if dark_at is not None:
        lum[125:195, dark_at:dark_at + 2] -= 0.7
    return cv2.GaussianBlur(lum, (0, 0), 0.7)


def _the_line(settings: PlaceSettings):  # type: ignore[no-untyped-def]
    from refundguard.checks._live.place import _candidates, _gradient

    shows, other = _ridge_scene(65), _ridge_scene(None)
    valid = np.ones(shows.shape, bool)
    found = _candidates(shows, _gradient(shows), other, _gradient(other), valid, valid, settings)
    [line] = [c for c in found if c.box[0] >= 62 and c.box[3] >= 50]
    return line


def test_a_dark_hairline_beside_a_bright_edge_is_not_explained_by_it() -> None:
    """Gradient magnitude alone lets the bright ridge 5 px away explain the painted dark line (found nearby); the
    signed search looks for a mark as dark and finds none."""
    plain = _the_line(PlaceSettings())  # off by default: on held-out honest sessions it flagged 4 of 24
    assert plain.best_match >= PlaceSettings().found_nearby and not plain.signed
    signed = _the_line(PlaceSettings(signed_search=True))
    assert signed.best_match < PlaceSettings().found_nearby and signed.signed
    assert signed.unsigned_match == pytest.approx(plain.best_match)
