"""Per-check typed settings (issue 13 §3): the thresholds of tamper, capture, label, watermark, provenance and reuse
live in ``[checks.<name>]`` sections with the defaults the checks always had, and a changed value changes what
the check does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from refundguard.checks.capture import CaptureConfig
from refundguard.checks.label import LabelConfig, score_label
from refundguard.checks.provenance import ProvenanceConfig
from refundguard.checks.registry import ClaimInfo, registered
from refundguard.checks.reuse import ReuseCheckConfig
from refundguard.checks.tamper import TamperConfig
from refundguard.checks.watermark import WatermarkConfig
from refundguard.config import load_settings
from refundguard.engine import analyze
from refundguard.errors import ConfigError
from refundguard.index import open_index
from refundguard.media.load import load_image
from tests.helpers_provenance import label_fields, png_bytes, tc260_xmp

#: the values the checks used before they became settings; a change here moves benchmark numbers
DEFAULTS = {
    "tamper": {"report_min": 0.3, "strong_score": 0.6, "min_side": 64},
    "watermark": {"score_at_threshold": 0.9, "score_rise": 0.1, "min_pixels": 256 * 256},
    "label": {"corner_pass_min_side": 5120, "corner_fraction": (0.30, 0.15), "edge_band": 0.12,
              "min_ocr_confidence": 0.5, "large_text_height": 0.05, "small_text_height": 0.015,
              # where the OCR reads (issue 20): new settings, not old behaviour
              "text_regions": {"stroke_contrast": 60, "tile_density": 0.04, "tile": 32, "scales": 3,
                               "confirm_above": 0.25, "confirm_min_pixels": 400_000, "confirm_scale": 0.5,
                               "confirm_margin": 0.75, "overview_side": 320}},
    "provenance": {"label_scores": {"1": 1.0, "2": 0.6, "3": 0.4}, "remnant_score": 0.6,
                   "conflict_camera_score": 0.8, "conflict_capture_score": 1.0, "max_stealth_bytes": 1 << 20},
    "reuse": {"score_other_buyer": 0.95, "score_other_account": 0.85, "score_unknown_buyer": 0.75,
              "score_same_buyer": 0.55, "candidates": 20, "shown": 5},
    "capture": {"naive_tolerance_hours": 14.0, "clock_margin_minutes": 15.0, "gps_agreement_minutes": 10.0,
                "edit_after_capture_minutes": 1.0, "order_score_with_zone": 0.97, "order_score_without_zone": 0.92,
                "delivery_score": 0.6, "delivery_score_rise": 0.3, "delivery_full_after_hours": 48.0,
                "gps_confirms_bonus": 0.03, "camera_model_mismatch": 0.6, "camera_body_mismatch": 0.5,
                "camera_lens_mismatch": 0.2, "editor_retouch": 0.6, "editor_develop": 0.3,
                "editor_after_capture_bonus": 0.15, "screenshot_labelled": 0.95,
                "screenshot_common_photo_size": 0.2, "screenshot_screen_size": 0.4, "screenshot_status_bar": 0.45,
                "screenshot_png": 0.15, "screenshot_min": 0.4, "screenshot_max": 0.95, "no_camera_data": 0.3},
}
MODELS = {"tamper": TamperConfig, "watermark": WatermarkConfig, "label": LabelConfig, "provenance": ProvenanceConfig,
          "reuse": ReuseCheckConfig, "capture": CaptureConfig}


def _settings(tmp_path: Path, toml: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.toml"
    path.write_text(toml)
    return load_settings(path)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_check_declares_its_settings_with_the_old_defaults(name: str) -> None:
    check = next(c for c in registered() if c.name == name)
    assert check.config is MODELS[name]
    assert MODELS[name]().model_dump() == DEFAULTS[name]


@pytest.mark.parametrize(("toml", "message"), [
    ("[checks.tamper]\nreport_minimum = 0.5\n", "report_minimum"),
    ("[checks.capture]\nno_camera_data = 2\n", "no_camera_data"),
    ("[checks.watermark]\nscore_at_threshold = 0.95\nscore_rise = 0.1\n", "exceed 1"),
    ("[checks.provenance]\nlabel_scores = { \"1\" = 1.0 }\n", "label_scores"),
    ("[checks.tamper]\nmin_side = 8\n", "min_side"),
])
def test_bad_values_are_config_errors(tmp_path: Path, toml: str, message: str) -> None:
    photo = tmp_path / "p.jpg"
    Image.fromarray(np.full((80, 80, 3), 128, np.uint8)).save(photo)
    with pytest.raises(ConfigError, match=message):
        analyze([photo], settings=_settings(tmp_path, toml))


def _jpeg(tmp_path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    rng = np.random.default_rng(3)
    path = tmp_path / "plain.jpg"
    Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(path, quality=90)
    return path


def test_capture_scores_come_from_the_section(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path)
    default = analyze([photo], only=["capture"])
    settings = _settings(tmp_path, "[checks.capture]\nno_camera_data = 0.1\n")
    changed = analyze([photo], only=["capture"], settings=settings)
    score = {f.code: f.score for f in default.findings}
    assert score["capture.no_camera_data"] == 0.3
    assert {f.code: f.score for f in changed.findings}["capture.no_camera_data"] == 0.1


def test_tamper_and_watermark_size_limits_come_from_the_section(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path)
    assert analyze([photo], only=["tamper", "watermark"]).checks["tamper"].status == "ran"
    settings = _settings(tmp_path, "[checks.tamper]\nmin_side = 400\n[checks.watermark]\nmin_pixels = 100000\n")
    result = analyze([photo], only=["tamper", "watermark"], settings=settings)
    assert result.checks["tamper"].status == "not_applicable" and "400x400" in (result.checks["tamper"].why or "")
    assert result.checks["watermark"].status == "not_applicable"


def test_provenance_label_scores_come_from_the_section(tmp_path: Path) -> None:
    labelled = tmp_path / "label.png"
    labelled.write_bytes(png_bytes(xmp=tc260_xmp(label_fields(Label="2"))))
    default = {f.code: f.score for f in analyze([labelled], only=["provenance"]).findings}
    assert default["provenance.aigc_label"] == 0.6
    settings = _settings(tmp_path, '[checks.provenance]\nlabel_scores = { "1" = 1.0, "2" = 0.9, "3" = 0.4 }\n')
    changed = {f.code: f.score for f in analyze([labelled], only=["provenance"], settings=settings).findings}
    assert changed["provenance.aigc_label"] == 0.9


def test_reuse_scores_come_from_the_section(tmp_path: Path) -> None:
    photo = _jpeg(tmp_path)
    index = open_index(":memory:")
    from refundguard.index import image_fingerprint

    image = load_image(photo)
    index.add(image_fingerprint(image.pixels), claim_id="c-old", buyer_id="b-old", at=datetime(2026, 1, 1, tzinfo=UTC),
              image_sha256=image.sha256)
    info = ClaimInfo(claim_id="c-new", buyer_id="b-new")
    default = analyze([photo], only=["reuse"], index=index, info=info).findings[0]
    settings = _settings(tmp_path, "[checks.reuse]\nscore_other_buyer = 0.5\n")
    changed = analyze([photo], only=["reuse"], index=index, info=info, settings=settings).findings[0]
    assert default.code == changed.code == "reuse.duplicate"
    assert changed.score == pytest.approx(default.score * 0.5 / 0.95)


def test_label_scoring_reads_the_section() -> None:
    default = score_label("zh_label", 2, 0.03, 1.0)
    assert score_label("zh_label", 2, 0.03, 1.0, LabelConfig(large_text_height=0.02)) > default

