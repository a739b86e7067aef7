"""Each decision of the reference check on real photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from bench.claimbench.damage import add_crack
from bench.claimbench.sources import inpainting_mask
from refundguard.messages import both
from tests.checks.reference.conftest import boxes_cover, codes, only_finding, run_reference
from tests.conftest import corpus_path


def _rgb(path) -> np.ndarray:
    return np.array(Image.open(path).convert("RGB"))


def test_sagi_inpainted_pair_is_derived_edit_with_regions_on_the_edit():
    folder = corpus_path("inpainting", "sagi")
    original = _rgb(folder / "017_final_paper_supp_good_07d4da9ff4908e0b.jpg")
    edited = _rgb(folder / "017_final_paper_supp_good_openimages_07d4da9ff4908e0b_removeanything_lama_1_None.jpg")
    result = run_reference(edited, [original])
    f = only_finding(result, "reference.derived_edit")
    assert f.image == 0 and f.score > 0.9
    assert f.details["reference_image"] == 1
    t = np.array(f.details["transform"])
    corners = np.array([[0, 0, 1], [1023, 0, 1], [1023, 767, 1], [0, 767, 1]], float).T
    mapped = t @ corners
    assert np.abs(mapped[:2] / mapped[2] - corners[:2]).max() < 1.0  # pixel-aligned pair: identity
    assert boxes_cover(f, inpainting_mask(original, edited)) > 0.8
    assert f.heatmap is not None and f.heatmap.values.max() >= 0.5
    assert 0.01 < f.details["changed_share"] < 0.2


def test_procedural_crack_on_corpus_photo_is_derived_edit():
    photo = _rgb(corpus_path("natural", "IMG_0003.jpg"))
    damaged, mask = add_crack(photo, np.random.default_rng(3))
    f = only_finding(run_reference(damaged, [photo]), "reference.derived_edit")
    assert boxes_cover(f, mask) > 0.7
    for r in f.regions:
        assert r.x >= 0 and r.x + r.w <= photo.shape[1] and r.y >= 0 and r.y + r.h <= photo.shape[0]


def test_reencoded_reference_is_derived_copy(coffee):
    from PIL import Image as PILImage

    small = np.array(PILImage.fromarray(coffee).resize((420, 280), PILImage.Resampling.LANCZOS))
    from bench.claimbench.launder import _encode

    claim = _encode(_encode(small, 70), 60)
    result = run_reference(claim, [coffee])
    f = only_finding(result, "reference.derived_copy")
    assert f.details["reference_image"] == 1
    assert "reference.derived_edit" not in codes(result)


@pytest.mark.parametrize("swap", [False, True])
def test_stereo_motorcycle_different_captures_give_no_finding(swap):
    left, right, _ = data.stereo_motorcycle()
    claim, ref = (left, right) if swap else (right, left)
    result = run_reference(claim, [ref])
    assert result.checks["reference"].status == "ran"
    assert codes(result) == []


def test_two_magnetic_tiles_of_one_type_are_not_derived():
    files = sorted(corpus_path("damage", "magnetic_tile", "MT_Crack", "Imgs").glob("*.jpg"))
    for claim_file, ref_file in ((files[0], files[5]), (files[10], files[20])):
        result = run_reference(_rgb(claim_file), [_rgb(ref_file)])
        assert not {"reference.derived_edit", "reference.derived_copy"} & set(codes(result))


def test_real_damaged_tile_against_another_tile_of_its_type_is_not_derived():
    crack = sorted(corpus_path("damage", "magnetic_tile", "MT_Crack", "Imgs").glob("*.jpg"))[3]
    other = sorted(corpus_path("damage", "magnetic_tile", "MT_Crack", "Imgs").glob("*.jpg"))[30]
    result = run_reference(_rgb(crack), [_rgb(other)])
    assert not any(c.startswith("reference.derived") for c in codes(result))


def test_unrelated_photo_is_different_product(coffee):
    tile = _rgb(sorted(corpus_path("damage", "magnetic_tile", "MT_Break", "Imgs").glob("*.jpg"))[0])
    f = only_finding(run_reference(tile, [coffee]), "reference.different_product")
    assert 0 < f.score < 0.8
    assert f.details["colour_similarity"] < 0.6


def test_the_matching_reference_is_chosen_among_several(coffee):
    damaged, _ = add_crack(coffee, np.random.default_rng(11))
    result = run_reference(damaged, [data.astronaut(), coffee])
    f = only_finding(result, "reference.derived_edit")
    assert f.details["reference_image"] == 2


def test_without_reference_the_check_is_not_applicable(coffee):
    from refundguard.engine import analyze
    from tests.checks.reference.conftest import loaded

    result = analyze([loaded(coffee)], [], only=["reference"])
    status = result.checks["reference"]
    assert status.status == "not_applicable"
    assert status.why == "no reference photo given" and status.key == "reference.na.no_reference"
    assert both(status.key, status.params)["zh"] == "未提供参考图片"
