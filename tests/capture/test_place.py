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


def test_the_shape_test_finds_a_painted_hairline_lacking_though_a_bright_edge_explains_its_gradient() -> None:
    """The ridge 5 px away explains the painted line's gradient (the displaced test finds it nearby), but the other
    view is no darker in the line's shape anywhere near: the line is lacking."""
    from refundguard.checks._live.place import _is_lack

    settings = PlaceSettings()
    line = _the_line(settings)
    assert line.best_match >= settings.found_nearby  # what let painted cracks on busy surfaces through
    assert line.shape_shown is not None and line.shape_shown < settings.shape_shown
    assert _is_lack(line, settings)
    off = _the_line(PlaceSettings(shape_test=False))
    assert off.shape_shown is None and not _is_lack(off, PlaceSettings(shape_test=False))


def test_the_shape_test_keeps_a_real_mark_that_the_other_view_shows_fainter_and_displaced() -> None:
    """A real dark line the other view shows 3 px aside, softer and at half the contrast (a hazier, more distant
    view): dark in its shape there, so not lacking by the shape test."""
    from refundguard.checks._live.place import _shape_shown

    shows = _ridge_scene(65)
    other = _ridge_scene(None)
    other[125:195, 68:70] -= 0.35
    other = cv2.GaussianBlur(other, (0, 0), 1.2)
    mask = np.zeros(shows.shape, np.uint8)
    mask[125:195, 65:67] = 1
    _, labels = cv2.connectedComponents(mask)
    share, ring = _shape_shown(shows, other, np.ones(shows.shape, bool), labels, 1, (65, 125, 2, 70),
                               PlaceSettings())
    assert share is not None and share >= PlaceSettings().shape_shown and ring > 0.5


def _bricks(line: float | None, *, light: bool = False) -> np.ndarray:
    """Log-luminance of a real brick wall (scikit-image's ``brick``, 320 px) and, with ``line``, a thin diagonal line
    90 px long painted over it (dark, or ``light``: a scuff or a shatter's lit edge)."""
    lum = np.log(data.brick()[100:420, 100:420].astype(np.float32) + 10.0)
    if line is not None:
        mark = np.zeros(lum.shape, np.uint8)
        cv2.line(mark, (120, 110), (150, 200), 1, 2)
        lum[mark > 0] += line if light else -line
    return cv2.GaussianBlur(lum, (0, 0), 0.7)


def _the_painted_line(shows: np.ndarray, other: np.ndarray, settings: PlaceSettings):  # type: ignore[no-untyped-def]
    from refundguard.checks._live.place import _candidates, _gradient

    valid = np.ones(shows.shape, bool)
    found = _candidates(shows, _gradient(shows), other, _gradient(other), valid, valid, settings)
    on_line = [c for c in found if 110 <= c.box[0] + c.box[2] // 2 <= 160 and 100 <= c.box[1] + c.box[3] // 2 <= 210]
    assert on_line, [c.box for c in found]
    return max(on_line, key=lambda c: c.area)


def test_a_dark_line_painted_across_a_brick_wall_is_lacking_by_the_shape_test() -> None:
    """A thin dark line painted across real bricks, the other view without it: where the surface around it aligns,
    the other view is not dark in the line's shape, searched as far as the gradient test (8 px) or only where the
    surroundings align (``shape_align``)."""
    from refundguard.checks._live.place import _is_lack

    shows, other = _bricks(0.6), _bricks(None)
    for settings in (PlaceSettings(), PlaceSettings(shape_align=True)):
        line = _the_painted_line(shows, other, settings)
        assert line.shape_shown is not None and line.shape_shown < settings.shape_shown
        assert line.shape_ring >= settings.shape_ring
        assert _is_lack(line, settings)


def test_the_shape_test_finds_a_real_line_the_other_view_shows_displaced() -> None:
    """The same line on the item, seen 4 px aside by the other view (parallax the flow left): shown, not lacking."""
    from refundguard.checks._live.place import _is_lack

    shows = _bricks(0.6)
    other = np.roll(shows, 4, axis=1)  # the wall and its line 4 px aside
    try:
        line = _the_painted_line(shows, other, PlaceSettings())
    except AssertionError:  # nothing unexplained there at all: the line is explained, as it should be
        return
    assert line.shape_shown is None or line.shape_shown >= PlaceSettings().shape_shown
    assert not _is_lack(line, PlaceSettings())


def test_a_light_line_the_other_view_does_not_show_light_is_lacking_only_with_light_marks() -> None:
    """A light line 3 px wide (a scuff, a shatter's lit edge) on a dark, lightly textured surface the other view shows
    without it is lacking when light marks are looked for, not by the dark-mark tests. The width bar is raised here:
    with the default (6 px, measured on the candidate, which holds the line's two edges) a 3 px line is too wide, and
    a 1 px line's candidate is mostly its edges, whose median is the surface's (docs/capture.md: the light test found
    nothing new on the benchmark)."""
    from refundguard.checks._live.place import _is_lack

    other = _ridge_scene(None) - 1.2  # a dark surface (its bright ridge at column 60)
    shows = other.copy()
    mark = np.zeros(shows.shape, np.uint8)
    cv2.line(mark, (150, 100), (190, 210), 1, 3)
    shows[mark > 0] += 0.8
    on = PlaceSettings(light_max_width=12.0)
    line = _the_painted_line_at(shows, other, on, (170, 155))
    assert line.lightening >= on.min_lightening and line.width <= on.light_max_width
    assert line.darkening < on.min_darkening
    assert line.light_shown is not None and line.light_shown < on.shape_shown
    assert _is_lack(line, on)
    off = on.model_copy(update={"light_marks": False})
    assert not _is_lack(_the_painted_line_at(shows, other, off, (170, 155)), off)
    default = _the_painted_line_at(shows, other, PlaceSettings(), (170, 155))
    assert default.width > PlaceSettings().light_max_width and not _is_lack(default, PlaceSettings())


def _the_painted_line_at(shows: np.ndarray, other: np.ndarray, settings: PlaceSettings,  # type: ignore[no-untyped-def]
                         centre: tuple[int, int]):
    from refundguard.checks._live.place import _candidates, _gradient

    valid = np.ones(shows.shape, bool)
    found = _candidates(shows, _gradient(shows), other, _gradient(other), valid, valid, settings)
    near = [c for c in found if c.box[0] <= centre[0] <= c.box[0] + c.box[2] and c.box[1] <= centre[1] <= c.box[1]
            + c.box[3]]
    assert near, [c.box for c in found]
    return max(near, key=lambda c: c.area)


def test_a_broad_light_patch_is_a_reflection_not_a_light_mark() -> None:
    """A light blob (a highlight that moved) is never lacking as a light mark: only thin lines are."""
    from refundguard.checks._live.place import _candidates, _gradient, _is_lack

    shows, other = _bricks(None) - 0.8, _bricks(None) - 0.8
    cv2.circle(shows, (140, 150), 22, float(np.log(200.0)), -1)
    valid = np.ones(shows.shape, bool)
    found = _candidates(shows, _gradient(shows), other, _gradient(other), valid, valid, PlaceSettings())
    blob = [c for c in found if c.box[0] <= 140 <= c.box[0] + c.box[2] and c.box[1] <= 150 <= c.box[1] + c.box[3]]
    assert blob and all(c.light_shown is None for c in blob)
    assert not any(_is_lack(c, PlaceSettings()) for c in blob)


def test_a_plain_magnetic_tile_is_matched_on_equalised_copies() -> None:
    """A real magnetic tile (a crack on an almost textureless surface, 606 × 242 px) seen again larger, re-framed and
    relit: its own SIFT features do not match; equalised working copies (``plain_surfaces``) do."""
    from tests.conftest import corpus_path

    path = corpus_path("damage", "magnetic_tile", "MT_Crack", "Imgs", "exp1_num_85781.jpg")
    with open(path, "rb") as fh:
        claim_bytes = fh.read()
    claim = load_image(claim_bytes, name="tile.jpg")
    big = cv2.resize(claim.pixels, None, fx=800 / 606, fy=800 / 606, interpolation=cv2.INTER_LINEAR)
    shot = reframe(np.clip(big.astype(np.float32) * 1.1, 0, 255).astype(np.uint8), zoom=1.2, centre=(0.5, 0.5),
                   tilt=0.04)
    live = load_image(jpeg(shot), name="shot.jpg")
    assert compare(claim, live, settings=PlaceSettings(plain_surfaces=False)) is None
    comp = compare(claim, live, settings=PlaceSettings())
    assert comp is not None and comp.shared[0] > 0.5


def test_a_thin_light_line_is_measured_on_its_own_pixels_with_light_core() -> None:
    """A 1–3 px light line on a dark surface the other view shows without it: its candidate (the line's two edges and
    the surface between) is too wide for a light line and its median is the surface's, so the default finds nothing;
    measured on its own lighter pixels (``light_core``) it is a thin line the other view does not show light."""
    from refundguard.checks._live.place import _is_lack

    core = PlaceSettings(light_core=True)
    for width in (1, 2, 3):
        other = _ridge_scene(None) - 1.2
        shows = other.copy()
        mark = np.zeros(shows.shape, np.uint8)
        cv2.line(mark, (150, 100), (190, 210), 1, width)
        shows[mark > 0] += 0.8
        default = _the_painted_line_at(shows, other, PlaceSettings(), (170, 155))
        assert default.light_shown is None and not _is_lack(default, PlaceSettings())
        line = _the_painted_line_at(shows, other, core, (170, 155))
        assert line.width <= core.light_max_width and line.elongation >= core.light_elongation
        assert line.light_shown is not None and line.light_shown < core.shape_shown and _is_lack(line, core)
        # the same line on the item, seen by the other view too: shown, not lacking
        seen = other.copy()
        seen[mark > 0] += 0.8
        found = _candidates_near(shows, seen, core, (170, 155))
        assert not any(_is_lack(c, core) for c in found)


def _candidates_near(shows: np.ndarray, other: np.ndarray, settings: PlaceSettings,  # type: ignore[no-untyped-def]
                     centre: tuple[int, int]):
    from refundguard.checks._live.place import _candidates, _gradient

    valid = np.ones(shows.shape, bool)
    found = _candidates(shows, _gradient(shows), other, _gradient(other), valid, valid, settings)
    return [c for c in found if c.box[0] <= centre[0] <= c.box[0] + c.box[2]
            and c.box[1] <= centre[1] <= c.box[1] + c.box[3]]


def _jointed(mark_at: int | None) -> np.ndarray:
    """Log-luminance of a lightly textured surface with a dark joint at columns 71-72 (both views show it) and, at
    ``mark_at``, a dark line 2 px wide, 70 px long."""
    rng = np.random.default_rng(3)
    lum = cv2.GaussianBlur(rng.normal(0, 0.03, (320, 320)).astype(np.float32), (0, 0), 2.0) + float(np.log(120.0))
    lum[115:200, 71:73] -= 0.7
    if mark_at is not None:
        lum[125:195, mark_at:mark_at + 2] -= 0.7
    return cv2.GaussianBlur(lum, (0, 0), 0.7)


def test_the_paired_shape_test_does_not_take_a_joint_both_views_show_for_the_mark() -> None:
    """A line painted 6 px beside a dark joint: the other view's darkest placement of its shape lands on the joint (as
    dark as the mark: shown, by the plain shape test); the claim photo is as dark there itself, at the same placement
    off the mark, so with ``shape_paired`` that darkness is the surface's and the line is lacking. A real line the
    other view shows 3 px aside, or in place, is still shown."""
    from refundguard.checks._live.place import _shape_shown

    mask = np.zeros((320, 320), np.uint8)
    mask[125:195, 65:67] = 1
    _, labels = cv2.connectedComponents(mask)
    valid = np.ones(mask.shape, bool)
    plain, paired = PlaceSettings(shape_paired=False), PlaceSettings()
    assert paired.shape_paired

    def shown(other: np.ndarray, settings: PlaceSettings) -> float:
        share, ring = _shape_shown(_jointed(65), other, valid, labels, 1, (65, 125, 2, 70), settings)
        assert share is not None and ring >= settings.shape_ring
        return share

    assert shown(_jointed(None), plain) >= plain.shape_shown  # the joint passes for the painted line
    assert shown(_jointed(None), paired) < paired.shape_shown
    for real in (_jointed(68), _jointed(65)):
        assert shown(real, paired) >= paired.shape_shown
