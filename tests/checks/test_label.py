"""Visible AI-label check: text rules (no OCR) and a few real OCR runs on rendered labels and real photos."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from refundguard.checks import label as lab
from refundguard.checks.label import char_span, find_label, find_partial, normalize
from refundguard.engine import analyze
from refundguard.media.load import load_image
from tests.conftest import corpus_path
from tests.helpers_text import draw_label, iou

# ----------------------------------------------------------------------------------------- text rules


@pytest.mark.parametrize("text,phrase", [
    ("AI生成", "AI生成"), ("ＡＩ生成", "AI生成"), ("Al生成", "AL生成"), ("A1 生成", "A1生成"),
    ("内容由 AI 生成", "AI生成"), ("人工智能生成", "人工智能生成"), ("人工智熊合成", "人工智熊合成"),
    ("AI合成", "AI合成"), ("豆包AI生成", "AI生成"), ("即梦AI", "即梦AI"), ("可灵 Al", "可灵AL"),
    ("Generated with AI", "GENERATED WITH AI"), ("GeneratedwithAI", "GENERATEDWITHAI"),
    ("made with ai", "MADE WITH AI"), ("AI-generated content", "AI-GENERATED"),
    ("Imagined with AI", "IMAGINED WITH AI"),
])
def test_labels_are_recognised(text: str, phrase: str) -> None:
    match = find_label(text)
    assert match is not None and match.phrase == phrase


@pytest.mark.parametrize("text", ["MAIL", "EMAIL", "SALE 50%", "AI", "AIR生成", "TRAIL生成", "本产品能生成",
                                  "MAIL GENERATED", "MADE WITH ALL", "AIGC", "DETAIL", "Made with love"])
def test_words_that_merely_contain_ai_do_not_match(text: str) -> None:
    assert find_label(text) is None


def test_partial_labels_need_the_border() -> None:
    assert find_partial("AI生", touches_start=False, touches_end=True) is not None
    assert find_partial("AI生", touches_start=True, touches_end=False) is None
    assert find_partial("I生成", touches_start=True, touches_end=False) is not None
    assert find_partial("能生成", touches_start=True, touches_end=True) is None
    assert find_partial("SALE", touches_start=True, touches_end=True) is None


def test_normalize_and_span() -> None:
    assert normalize("  ｇｅｎｅｒａｔｅｄ   with　AI ") == "GENERATED WITH AI"
    assert normalize("由 AI 生成") == "由AI生成"
    a, b = char_span("由AI生成", 1, 5)
    assert 0.0 < a < b == 1.0


def test_position_and_score_rules() -> None:
    assert lab.position_of((900, 700, 1000, 740), 1000, 750) == ("bottom-right corner", 2)
    assert lab.position_of((400, 5, 600, 40), 1000, 750) == ("top edge", 1)
    assert lab.position_of((400, 300, 600, 340), 1000, 750) == ("centre", 0)
    corner = lab.score_label("zh_label", 2, 0.05, 1.0)
    assert corner > lab.score_label("zh_label", 1, 0.05, 1.0) > lab.score_label("zh_label", 0, 0.05, 1.0)
    assert corner > lab.score_label("zh_label", 2, 0.02, 1.0) > lab.score_label("zh_label", 2, 0.01, 1.0)
    assert lab.score_label("partial", 2, 0.05, 1.0) < 0.6 < corner


def test_engine_is_one_per_process_for_every_check_that_reads_text() -> None:
    from refundguard.checks import _ocr

    engines: list[object] = []
    threads = [threading.Thread(target=lambda: engines.append(_ocr.engine())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(e) for e in engines}) == 1 and engines[0] is lab.engine()  # label reads with the same one
    assert _ocr.model_dir().is_dir() and "rapidocr" in str(_ocr.model_dir())


# ------------------------------------------------------------------------------------------------ OCR


@pytest.fixture(scope="module")
def engine() -> object:
    return lab.engine()  # load the models once for this module


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return load_image(corpus_path("natural", "IMG_0003.jpg")).pixels


def jpeg(rgb: np.ndarray, quality: int = 70) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def test_cjk_label_in_a_jpeg_q70_end_to_end(engine: object, photo: np.ndarray, tmp_path: Path) -> None:
    marked, box = draw_label(photo, "AI生成", height_frac=0.05, where="bottom-right")
    path = tmp_path / "claim.jpg"
    Image.fromarray(marked).save(path, format="JPEG", quality=70)
    analysis = analyze([path], only=["label"])
    assert analysis.checks["label"].status == "ran"
    [finding] = [f for f in analysis.findings if f.code == "label.visible_ai_text"]
    assert finding.image == 0 and finding.score >= 0.9
    assert iou(finding.regions[0], box) >= 0.6
    first = finding.details["labels"][0]
    assert first["kind"] == "zh_label" and first["position"] == "bottom-right corner" and first["meets_gb_height"]
    assert "AI生成" in finding.message.zh and "右下角" in finding.message.zh and "bottom-right" in finding.message.en


def test_english_label(engine: object) -> None:
    coffee = np.ascontiguousarray(data.coffee())
    marked, box = draw_label(coffee, "Generated with AI", height_frac=0.05, where="top-left")
    [found, *_] = lab.find_labels(jpeg(marked))
    assert found.match.kind == "en_label" and found.position == "top-left corner"
    assert iou(found.region, box) >= 0.6


def test_corner_scores_higher_than_centre(engine: object, photo: np.ndarray) -> None:
    corner = lab.find_labels(jpeg(draw_label(photo, "人工智能合成", where="bottom-left")[0]))
    centre = lab.find_labels(jpeg(draw_label(photo, "人工智能合成", where="centre")[0]))
    assert corner and centre
    assert corner[0].score > centre[0].score
    assert centre[0].position == "centre" and centre[0].score < 0.75


def test_label_cut_at_the_border_is_partial(engine: object, photo: np.ndarray, tmp_path: Path) -> None:
    marked, _ = draw_label(photo, "AI生成", where="cut-right")
    path = tmp_path / "cropped.jpg"
    Image.fromarray(marked).save(path, format="JPEG", quality=85)
    [finding] = analyze([path], only=["label"]).findings
    assert finding.details["labels"][0]["partial"] and "cropped" in finding.details["note"]
    assert finding.score < 0.7 and "cut off" in finding.message.en and "截断" in finding.message.zh
    region = finding.regions[0]
    assert region.x + region.w >= photo.shape[1] - 8


def test_corner_tile_maps_back_to_photo_pixels(engine: object, photo: np.ndarray) -> None:
    big = cv2.resize(photo, (3400, 2267), interpolation=cv2.INTER_CUBIC)
    marked, box = draw_label(big, "AI生成", height_frac=0.012, where="bottom-right")
    lines = [line for line in lab.read_corners(marked, ("bottom-right",)) if find_label(line.text)]
    assert lines and lines[0].source == "corners"
    x0, y0, x1, y1 = lines[0].box
    assert x0 <= box.x + 10 and x1 >= box.x + box.w - 10 and y0 <= box.y + 10 and y1 >= box.y + box.h - 10
    assert x1 <= big.shape[1] and y1 <= big.shape[0]


def test_unrelated_text_is_not_a_label(engine: object, photo: np.ndarray) -> None:
    marked, _ = draw_label(photo, "SALE 50%", where="bottom-right")
    marked, _ = draw_label(marked, "MAIL", where="top-left")
    lines = lab.read_full(jpeg(marked))
    assert any("SALE" in line.text.upper() for line in lines)
    assert lab.find_labels(jpeg(marked)) == []


def test_no_label_on_corpus_photos(engine: object) -> None:
    photos = sorted(corpus_path("natural").glob("*.jpg"))
    tiles = sorted(corpus_path("damage", "magnetic_tile").glob("*/Imgs/*.jpg"))[::40]
    assert len(photos) == 3 and len(tiles) >= 3
    analysis = analyze(photos + tiles, only=["label"])
    assert analysis.checks["label"].status == "ran"
    assert [f for f in analysis.findings if f.code == "label.visible_ai_text"] == []


def test_thin_strips_and_tiny_images_are_read_safely(engine: object) -> None:
    for shape in [(1, 1, 3), (3000, 8, 3), (6, 900, 3)]:
        assert lab.find_labels(np.zeros(shape, np.uint8)) == []
