"""multiview: consistent vs independently painted damage across two views of one real object."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from bench.multiview import make_pair
from refundguard.checks._views.match import features, map_box, match, work_image
from refundguard.engine import Analysis, analyze
from refundguard.media.load import load_image
from tests.conftest import corpus_path

CODE = "multiview.inconsistent_damage"
BASES = {"coffee": data.coffee, "astronaut": data.astronaut, "chelsea": data.chelsea, "rocket": data.rocket}


def run_views(*views: bytes) -> Analysis:
    images = [load_image(v, name=f"view{k}.jpg") for k, v in enumerate(views)]
    return analyze(images, only=["multiview"])


def jpeg(pixels: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def overlaps(a: list[int] | tuple[int, ...], b: tuple[int, ...], slack: int = 8) -> bool:
    return (a[0] < b[0] + b[2] + slack and b[0] < a[0] + a[2] + slack
            and a[1] < b[1] + b[3] + slack and b[1] < a[1] + a[3] + slack)


@pytest.mark.parametrize(("base", "seed"), [("coffee", 5), ("astronaut", 1), ("chelsea", 2), ("rocket", 5)])
def test_consistent_damage_passes(base: str, seed: int) -> None:
    pair = make_pair(BASES[base](), seed, consistent=True)
    result = run_views(pair.view_a, pair.view_b)
    assert result.checks["multiview"].status == "ran"
    assert not result.findings


#: the place the other view sees featureless amid texture (plain_place) is not compared since the real-views
#: rework: cracks painted across the cat's plain nose and the rocket's plain hull are missed (bench numbers)
MISSED = pytest.mark.xfail(strict=True, reason="known miss: a mark on a plain patch amid texture")


@pytest.mark.parametrize(("base", "seed"), [("coffee", 5), ("astronaut", 1), pytest.param("chelsea", 2, marks=MISSED),
                                            ("rocket", 5)])
def test_independent_damage_is_flagged_with_both_regions(base: str, seed: int) -> None:
    pair = make_pair(BASES[base](), seed, consistent=False)
    result = run_views(pair.view_a, pair.view_b)
    [finding] = result.findings
    assert finding.code == CODE and finding.image is None and finding.score >= 0.6
    [details] = finding.details["pairs"]
    assert details["images"] == [0, 1]
    truth = {0: pair.crack_a, 1: pair.crack_b}
    for diff in details["differences"]:
        shown = diff["shown_in"]
        assert set(diff["regions"]) == {"0", "1"}
        # the reported damage is the painted crack of that view
        assert overlaps(diff["regions"][str(shown)], truth[shown])
    # the sentence is the catalogue's, made from the details (photo numbers from 1)
    assert finding.variant in ("added", "two_sided", "replaced")
    assert "photo 1" in finding.message.en and "照片 1" in finding.message.zh
    assert finding.details["shown_number"] == finding.details["shown_in"] + 1
    assert set(finding.details["regions_by_image"]) <= {"0", "1"}


def test_clean_views_pass() -> None:
    pair = make_pair(data.astronaut(), 5, consistent=True, damaged=False)
    result = run_views(pair.view_a, pair.view_b)
    assert result.checks["multiview"].status == "ran" and not result.findings


@pytest.mark.xfail(strict=True, reason="known false positive: small dark parts of the motorcycle that the other "
                   "camera sees hidden behind nearer parts (docs/checks/capture_and_multiview.md)")
def test_real_stereo_pair_without_damage_passes() -> None:
    left, right, _ = data.stereo_motorcycle()
    result = run_views(jpeg(left), jpeg(right, 85))
    assert result.checks["multiview"].status == "ran"
    assert not result.findings


def test_corpus_photo_views() -> None:
    with Image.open(corpus_path("natural", "IMG_0003.jpg")) as im:
        base = np.asarray(im.convert("RGB"))
    consistent = make_pair(base, 4, consistent=True)
    assert not run_views(consistent.view_a, consistent.view_b).findings
    forged = make_pair(base, 4, consistent=False)
    assert [f.code for f in run_views(forged.view_a, forged.view_b).findings] == [CODE]


def test_real_damage_photographed_twice_under_other_light_passes() -> None:
    # one magnetic tile with a real break, the same rig camera, two lighting set-ups (MT dataset)
    folder = corpus_path("damage", "magnetic_tile", "MT_Break", "Imgs")
    views = [(folder / name).read_bytes() for name in ("exp4_num_348673.jpg", "exp6_num_348888.jpg")]
    result = run_views(*views)
    assert result.checks["multiview"].status == "ran"
    assert not result.findings


def test_match_recovers_the_true_geometry() -> None:
    pair = make_pair(data.rocket(), 3, consistent=True)
    wa = work_image(np.asarray(Image.open(io.BytesIO(pair.view_a)).convert("RGB")))
    wb = work_image(np.asarray(Image.open(io.BytesIO(pair.view_b)).convert("RGB")))
    vm = match(features(wa), features(wb))
    assert vm is not None and vm.inliers >= 50
    # the crack box of A, mapped through the estimated homography, lands on the crack box of B
    x, y, w, h = map_box(np.linalg.inv(vm.homography), tuple(float(v) for v in pair.crack_a))
    bx, by, bw, bh = pair.crack_b
    assert abs((x + w / 2) - (bx + bw / 2)) < 6 and abs((y + h / 2) - (by + bh / 2)) < 6


def test_fewer_than_two_photos_is_not_applicable() -> None:
    result = analyze([load_image(jpeg(data.coffee()), name="one.jpg")], only=["multiview"])
    status = result.checks["multiview"]
    assert status.status == "not_applicable" and "fewer than two" in (status.why or "")


def test_different_objects_are_not_applicable() -> None:
    result = run_views(jpeg(data.coffee()), jpeg(data.astronaut()))
    status = result.checks["multiview"]
    assert status.status == "not_applicable" and "same object" in (status.why or "")


def test_references_are_not_compared() -> None:
    pair = make_pair(data.chelsea(), 2, consistent=False)
    result = analyze([load_image(pair.view_a, name="claim.jpg")], [load_image(pair.view_b, name="ref.jpg")],
                     only=["multiview"])
    assert result.checks["multiview"].status == "not_applicable"


def test_featureless_photos_are_not_applicable() -> None:
    flat = np.full((300, 400, 3), 128, np.uint8)
    result = run_views(jpeg(flat), jpeg(flat))
    assert result.checks["multiview"].status == "not_applicable"
