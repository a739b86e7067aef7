"""Fingerprint robustness on real photos: every transformed copy is found, distinct photos are not."""

from __future__ import annotations

import numpy as np
import pytest

from refundguard.index import open_index
from refundguard.index.fingerprint import (
    PDQ_SIDE,
    QUERY_FEATURES,
    content_box,
    hamming,
    image_fingerprint,
    pack_bits,
    pdq_codes,
)
from tests.conftest import corpus_path
from tests.index._photos import TRANSFORMS, load_rgb, scale, screenshot, skimage_photos


def _photos() -> dict[str, np.ndarray]:
    natural = corpus_path("natural")
    photos = skimage_photos()
    for name in ("IMG_0003.jpg", "P1000827.jpg", "earth_apollo17.jpg"):
        photos[name] = load_rgb(natural / name)
    return photos


@pytest.fixture(scope="module")
def indexed() -> tuple[dict[str, np.ndarray], object]:
    photos = _photos()
    index = open_index(":memory:")
    for name, pixels in photos.items():
        index.add(image_fingerprint(pixels), claim_id=name, buyer_id="b-" + name)
    return photos, index


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_transformed_copy_is_found_first(indexed: tuple, transform: str) -> None:
    photos, index = indexed
    for name, pixels in photos.items():
        query = TRANSFORMS[transform](pixels)
        matches = index.query(query, k=3)
        assert matches, f"{transform} copy of {name} not found"
        assert matches[0].record.claim_id == name, (transform, name, [m.to_dict() for m in matches])


def test_distinct_photos_do_not_match(indexed: tuple) -> None:
    photos, index = indexed
    tiles = sorted(corpus_path("damage", "magnetic_tile", "MT_Crack", "Imgs").glob("exp1_*.jpg"))[:4]
    for path in tiles:
        assert index.query(load_rgb(path), k=3) == []
    for name, pixels in photos.items():
        others = [m.record.claim_id for m in index.query(pixels, k=10) if m.record.claim_id != name]
        assert others == [], name


def test_pdq_dihedral_variants_cover_mirror_and_rotation() -> None:
    astronaut = skimage_photos()["astronaut"]
    stored = image_fingerprint(astronaut).hashes[0]
    for variant in (astronaut[:, ::-1], np.rot90(astronaut), np.rot90(astronaut, 2)):
        query = image_fingerprint(np.ascontiguousarray(variant), features=QUERY_FEATURES)
        assert min(hamming(stored, v) for v in query.variants) <= 31
    other = image_fingerprint(skimage_photos()["coffee"], features=QUERY_FEATURES)
    assert min(hamming(stored, v) for v in other.variants) > 60


def test_content_box_finds_the_photo_inside_a_screenshot() -> None:
    coffee = skimage_photos()["coffee"]
    shot = screenshot(coffee)
    box = content_box(shot)
    expected_h = int(coffee.shape[0] * 720 / coffee.shape[1])
    assert abs(box.w - 720) <= 8 and abs(box.h - expected_h) <= 12, box
    assert content_box(coffee).w >= 0.95 * coffee.shape[1]
    fp = image_fingerprint(shot)
    assert len(fp.hashes) == 2  # full screenshot + the photo inside it
    assert hamming(fp.hashes[1], image_fingerprint(coffee).hashes[0]) <= 31


def test_fingerprint_stores_no_pixels() -> None:
    fp = image_fingerprint(skimage_photos()["chelsea"])
    assert all(len(h) == 32 for h in fp.hashes)
    assert fp.local.descriptors.shape[1] == 32 and fp.local.descriptors.dtype == np.uint8
    assert 0 < len(fp.local) <= 64 and fp.local.points.min() >= 0 and fp.local.points.max() <= 1


def test_pdq_of_a_large_photo_is_taken_on_a_reduced_copy_close_to_the_full_size_code() -> None:
    import pdqhash

    photo = next(iter(skimage_photos().values()))
    big = scale(photo, 3 * PDQ_SIDE / max(photo.shape[:2]))  # well above the reduction size
    full, _ = pdqhash.compute_dihedral(np.ascontiguousarray(big[..., :3]))
    code, variants, quality = pdq_codes(big)
    assert code == variants[0] and len(variants) == 8 and quality > 50
    assert hamming(code, pack_bits(full[0])) <= 16  # the match threshold is 31
    small = scale(photo, 0.5 * PDQ_SIDE / max(photo.shape[:2]))  # below it: the photo itself, as before
    assert pdq_codes(small)[0] == pack_bits(pdqhash.compute_dihedral(np.ascontiguousarray(small[..., :3]))[0][0])
