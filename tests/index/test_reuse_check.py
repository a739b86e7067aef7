"""The ``reuse`` check: duplicates across claims and buyers, resubmissions, damage templates."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from refundguard.checks.registry import CheckContext, ClaimInfo, registered
from refundguard.config import default_settings
from refundguard.engine import analyze
from refundguard.findings import Finding, Message, Region
from refundguard.index import ReuseIndex, image_fingerprint, open_index, record_analysis
from refundguard.media.load import load_image
from refundguard.messages import Context, render
from tests.conftest import corpus_path
from tests.index._photos import TRANSFORMS, load_rgb, paste, skimage_photos


def _save(tmp_path: Path, name: str, pixels: np.ndarray) -> Path:
    path = tmp_path / name
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def index() -> ReuseIndex:
    ix = open_index(":memory:")
    photos = skimage_photos()
    ix.add(image_fingerprint(photos["coffee"]), claim_id="C1", buyer_id="B1", merchant_id="M1", account_id="A1",
           image_sha256="coffee-original")
    ix.add(image_fingerprint(photos["rocket"]), claim_id="C0", buyer_id="B0")
    return ix


def _reuse(path: Path, info: ClaimInfo, index: ReuseIndex | None) -> tuple[list[Finding], str]:
    result = analyze([path], info=info, index=index, only=["reuse"])
    return [f for f in result.findings if f.check == "reuse"], result.checks["reuse"].status


def test_duplicate_from_a_different_buyer_is_strong(index: ReuseIndex, tmp_path: Path) -> None:
    copy = _save(tmp_path, "copy.png", TRANSFORMS["crop_mirror_jpeg"](skimage_photos()["coffee"]))
    findings, status = _reuse(copy, ClaimInfo(claim_id="C2", buyer_id="B2", merchant_id="M1", account_id="A2"),
                              index)
    assert status == "ran"
    assert [f.code for f in findings] == ["reuse.duplicate"]
    f = findings[0]
    assert f.score >= 0.65 and f.image == 0
    match = f.details["matches"][0]
    assert match["claim_id"] == "C1" and match["buyer_differs"] is True and match["merchant_differs"] is False
    assert match["account_differs"] is True
    assert "C1" in f.message.en and "C1" in f.message.zh and "其他买家" in f.message.zh
    assert f.variant == "copy" and f.details["who"] == "other_buyer" and f.details["claim_count"] == 1
    assert [c["claim_id"] for c in f.details["shown_claims"]] == ["C1"] and f.details["unlisted"] == []


def test_same_buyer_other_claim_is_medium(index: ReuseIndex, tmp_path: Path) -> None:
    copy = _save(tmp_path, "copy.jpg", TRANSFORMS["jpeg_q40"](skimage_photos()["coffee"]))
    other_buyer, _ = _reuse(copy, ClaimInfo(claim_id="C2", buyer_id="B2"), index)
    same_buyer, _ = _reuse(copy, ClaimInfo(claim_id="C3", buyer_id="B1", account_id="A1"), index)
    assert other_buyer[0].score > same_buyer[0].score >= 0.4
    assert same_buyer[0].details["matches"][0]["buyer_differs"] is False


def test_resubmission_in_the_same_claim_is_not_reuse(index: ReuseIndex, tmp_path: Path) -> None:
    copy = _save(tmp_path, "again.png", skimage_photos()["coffee"])
    findings, status = _reuse(copy, ClaimInfo(claim_id="C1", buyer_id="B1"), index)
    assert status == "ran" and findings == []


def test_unseen_photo_gives_nothing(index: ReuseIndex, tmp_path: Path) -> None:
    fresh = _save(tmp_path, "fresh.png", skimage_photos()["chelsea"])
    findings, status = _reuse(fresh, ClaimInfo(claim_id="C5", buyer_id="B5"), index)
    assert status == "ran" and findings == []


def test_without_index_the_check_is_not_applicable(tmp_path: Path) -> None:
    fresh = _save(tmp_path, "fresh.png", skimage_photos()["chelsea"])
    result = analyze([fresh], info=ClaimInfo(claim_id="C5"), index=None, only=["reuse"])
    assert result.checks["reuse"].status == "not_applicable"
    status = result.checks["reuse"]
    assert (status.key, status.why) == ("reuse.na.no_index", "no reuse index configured")
    assert render(status.key, status.params, Context("zh")) == "未配置复用索引"


def _crack() -> np.ndarray:
    imgs = sorted(corpus_path("damage", "magnetic_tile", "MT_Break", "Imgs").glob("*.jpg"))
    path = imgs[4]
    tile, mask = load_rgb(path), np.array(Image.open(path.with_suffix(".png")))
    ys, xs = np.nonzero(mask)
    cy, cx = int(ys.mean()), int(xs.mean())
    return np.ascontiguousarray(tile[max(0, cy - 60):cy + 60, max(0, cx - 60):cx + 60])


def _tamper(region: tuple[int, int, int, int]) -> Finding:
    return Finding(code="tamper.local", check="tamper", image=0, score=0.8, message=Message("edited", "编辑"),
                   regions=(Region(*region),))


def test_template_pasted_on_two_different_products(tmp_path: Path) -> None:
    crack = _crack()
    photos = skimage_photos()
    first, first_box = paste(photos["coffee"], crack, 100, 80)
    second, second_box = paste(photos["chelsea"], crack, 200, 100, 1.2)
    index = open_index(":memory:")
    # claim A was analysed earlier: the tamper check marked the crack; record_analysis stores its fingerprint
    earlier = analyze([_save(tmp_path, "a.png", first)], info=ClaimInfo(claim_id="A", buyer_id="BA"),
                      only=["reuse"])
    earlier = dataclasses.replace(earlier, findings=[*earlier.findings, _tamper(first_box)])
    ids = record_analysis(index, earlier)
    assert len(ids) == 2 and index.stats().regions == 1
    # claim B: another product with the same crack, found by the tamper check
    reuse = {c.name: c for c in registered()}["reuse"]
    ctx = CheckContext(images=[load_image(_save(tmp_path, "b.png", second))], roles=["claim"],
                       claim=ClaimInfo(claim_id="B", buyer_id="BB"), settings=default_settings(), index=index,
                       prior=[_tamper(second_box)], check_name="reuse")
    findings = reuse.run(ctx)
    assert [f.code for f in findings] == ["reuse.template"]
    assert findings[0].regions == (Region(*second_box),) and findings[0].details["matches"][0]["claim_id"] == "A"
    assert findings[0].score >= 0.65
    # a region without the crack on a third product does not match
    ctx.prior = [_tamper((150, 60, 144, 144))]
    ctx.images = [load_image(_save(tmp_path, "c.png", photos["astronaut"]))]
    assert reuse.run(ctx) == []


def test_record_analysis_needs_a_claim_id(tmp_path: Path) -> None:
    result = analyze([_save(tmp_path, "x.png", skimage_photos()["rocket"])], only=["reuse"])
    with pytest.raises(ValueError, match="claim id"):
        record_analysis(open_index(":memory:"), result)


def test_recording_an_analysis_reuses_the_codes_its_query_made(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    from refundguard.index import fingerprint, record
    from refundguard.index.fingerprint import QUERY_FEATURES, mirrored_local, photo_codes

    photos = skimage_photos()
    framed = np.full((600, 520, 3), 250, np.uint8)  # a framed photo: a second (content) PDQ code
    framed[100:300, 60:360] = photos["coffee"][::2, ::2]
    paths = [_save(tmp_path, "a.png", photos["chelsea"]), _save(tmp_path, "b.png", framed)]
    made: list[int] = []
    real = fingerprint.photo_codes
    monkeypatch.setattr(record, "photo_codes", lambda pixels: made.append(1) or real(pixels))
    index = open_index(":memory:")
    result = analyze(paths, info=ClaimInfo(claim_id="C9", buyer_id="B9"), index=index, only=["reuse"])
    assert result.checks["reuse"].status == "ran" and len(made) == 2

    def same_local(a: fingerprint.LocalFeatures, b: fingerprint.LocalFeatures) -> bool:
        return np.array_equal(a.descriptors, b.descriptors) and np.array_equal(a.points, b.points)

    def same(a: fingerprint.ImageFingerprint, b: fingerprint.ImageFingerprint) -> bool:
        return (a.hashes, a.variants, a.quality) == (b.hashes, b.variants, b.quality) and same_local(a.local, b.local)

    for image in result.images:  # the kept codes give the very fingerprints made from the pixels alone
        codes = record.codes_of(result.pictures, image)
        assert same(image_fingerprint(image.pixels, codes=codes), image_fingerprint(image.pixels))
        assert same(image_fingerprint(image.pixels, features=QUERY_FEATURES, codes=codes),
                    image_fingerprint(image.pixels, features=QUERY_FEATURES))
        assert same_local(mirrored_local(codes), mirrored_local(image.pixels))
    assert len(photo_codes(framed).hashes) == 2
    travelled = pickle.loads(pickle.dumps(result))  # an analysis made in a worker process comes back pickled
    assert len(travelled.pictures) == 2 and len(record_analysis(index, travelled)) == 2
    assert len(made) == 2  # recorded without making the codes again
