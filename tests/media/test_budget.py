"""The cost budget: photos over it are decoded at reduced size (recorded) or refused, never silently slow."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from bench.hostile_files import gif_bomb, jpeg_header_bomb, jpeg_photo, png_bomb
from refundguard.config import Limits, load_settings
from refundguard.engine import analyze
from refundguard.errors import InputTooLarge
from refundguard.media import load_image
from refundguard.media.budget import Budget, claim_budgets, fit
from refundguard.media.load import decode, fit_loaded, load_claim, probe
from refundguard.report import json as json_report

SMALL = Limits(analysis_pixels=250_000, claim_pixels=600_000)


def _jpeg(width: int, height: int, **kw) -> bytes:
    buf = io.BytesIO()
    arr = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(arr).save(buf, format="JPEG", quality=90, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("size,budget", [((8000, 8000), 16_000_000), ((6000, 4000), 1000), ((1, 7), 3), ((5, 5), 25)])
def test_fit_keeps_the_aspect_and_stays_within_the_budget(size, budget):
    w, h = fit(*size, budget)
    assert w * h <= budget and w >= 1 and h >= 1
    assert abs(w / h - size[0] / size[1]) < max(0.02 * size[0] / size[1], 1.0 / h + 1.0 / w)
    if size[0] * size[1] <= budget:
        assert (w, h) == size


def test_claim_budget_is_shared_by_water_filling():
    limits = Limits(analysis_pixels=100, claim_pixels=200)
    budgets = claim_budgets([50, 400, 400], limits)
    assert budgets[0] == Budget(100, "photo")  # the small photo keeps its size
    assert budgets[1] == budgets[2] == Budget(75, "claim")  # the others share the rest: 150 / 2
    assert claim_budgets([50, 60], limits) == [Budget(100, "photo")] * 2
    shares = claim_budgets([1000] * 5, limits)
    assert sum(b.pixels for b in shares) <= 200 and {b.scope for b in shares} == {"claim"}


def test_small_jpeg_promising_64_mp_is_decoded_by_dct_scaling_within_the_budget():
    data = jpeg_header_bomb()  # 3.2 KB, 8000×8000, 100 scans
    im = load_image(data, limits=Limits(analysis_pixels=1_100_000), name="bomb.jpg")
    assert im.width * im.height <= 1_100_000
    r = im.reduction
    assert r is not None and (r.original_width, r.original_height) == (8000, 8000)
    assert r.method.startswith("jpeg-dct-scaling") and r.scope == "photo" and im.reduced
    en, zh = r.message()
    assert "8000×8000" in en and "reduced size" in en and "缩小" in zh


@pytest.mark.parametrize("make", [lambda: png_bomb(3000, 3000), lambda: gif_bomb(3000)], ids=["png", "gif"])
def test_formats_without_scaled_decoding_are_resized_right_after_decoding(make):
    im = load_image(make(), limits=SMALL, name="bomb")
    assert im.width * im.height <= SMALL.analysis_pixels
    assert im.reduction is not None and im.reduction.method == "resampling"
    assert im.original_size == (3000, 3000)


def test_photo_within_budget_is_untouched():
    im = load_image(_jpeg(400, 300), limits=SMALL)
    assert im.reduction is None and (im.width, im.height) == (400, 300)


def test_refuse_mode_refuses_instead_of_reducing():
    limits = Limits(analysis_pixels=250_000, over_budget="refuse")
    with pytest.raises(InputTooLarge, match="analysis budget") as info:
        load_image(_jpeg(800, 600), limits=limits, name="big.jpg")
    assert "big.jpg" in str(info.value) and info.value.zh and "分析上限" in info.value.zh


def test_orientation_is_applied_to_the_reduced_picture(tmp_path):
    arr = np.zeros((600, 1000, 3), np.uint8)
    arr[:, :500] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(arr).save(path, quality=95, exif=exif)
    im = load_image(path, limits=Limits(analysis_pixels=40_000))
    assert im.reduction is not None and im.height > im.width  # displayed upright, reduced
    assert (im.reduction.original_width, im.reduction.original_height) == (600, 1000)
    top, bottom = im.pixels[: im.height // 3].mean(), im.pixels[-im.height // 3:].mean()
    assert top > 200 and bottom < 50  # the former left half is on top


def test_claim_budget_is_decided_before_decoding_and_recorded_per_photo():
    files = [_jpeg(600, 400), _jpeg(800, 600), _jpeg(100, 100)]
    limits = Limits(analysis_pixels=400_000, claim_pixels=600_000)
    images = load_claim(files, limits=limits)
    assert sum(im.width * im.height for im in images) <= limits.claim_pixels
    assert images[2].reduction is None
    assert images[1].reduction is not None and images[1].reduction.scope == "claim"


def test_an_image_loaded_earlier_is_resized_to_its_claim_share():
    im = decode(probe(_jpeg(800, 600), limits=SMALL), limits=SMALL, budget=Budget(10**9))
    assert im.reduction is None
    small = fit_loaded(im, Budget(120_000, "claim"), SMALL)
    assert small.width * small.height <= 120_000 and small.reduction is not None
    assert small.reduction.scope == "claim" and small.original_size == (800, 600)
    assert small.sha256 == im.sha256 and small.data is im.data


def test_reduced_photo_is_reported_and_skipped_by_checks_that_need_its_own_pixels(tmp_path):
    config = tmp_path / "small.toml"
    config.write_text("[limits]\nanalysis_pixels = 300000\n")
    settings = load_settings(config)
    result = analyze([jpeg_photo(1200, 900)], settings=settings, only=["tamper", "watermark", "capture"])
    image = result.images[0]
    assert image.reduction is not None
    report = json.loads(json_report.dumps(result, heatmaps=False))
    reduced = report["images"][0]["reduced"]
    assert reduced["original_width"] == 1200 and reduced["width"] == report["images"][0]["width"]
    assert reduced["message"]["en"].startswith("analysed at reduced size") and reduced["message"]["zh"]
    skipped = {s.check for s in result.skips if s.image == 0}
    assert {"tamper", "watermark"} <= skipped
    assert result.checks["tamper"].status == "not_applicable" and "reduced size" in result.checks["tamper"].why
