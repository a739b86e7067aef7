"""Re-photographed screens and prints: periodic colour, and the claim photo framed inside a live shot."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from bench.capture_session import print_photo, screen_photo
from refundguard.checks._live.config import LiveConfig
from refundguard.checks._live.recapture import frame_edge_support, periodicity

CFG = LiveConfig()


def _camera(img: np.ndarray) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=90)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea", "rocket"])
def test_real_photos_are_not_periodic_and_screens_and_prints_are(name: str) -> None:
    img = getattr(data, name)()
    big = cv2.resize(img, (img.shape[1] * 3, img.shape[0] * 3), interpolation=cv2.INTER_CUBIC)
    honest = periodicity(_camera(big), prominence=CFG.moire_prominence)
    assert honest.share < CFG.moire_share, honest
    rng = np.random.default_rng(3)
    for shown in (screen_photo(img, rng, out=(1600, 1200)), print_photo(img, rng, out=(1600, 1200))):
        cue = periodicity(_camera(shown), prominence=CFG.moire_prominence)
        assert cue.share >= CFG.moire_share, cue


def test_a_picture_inside_the_picture_has_its_border_on_an_edge() -> None:
    photo = data.coffee()
    canvas = np.full((900, 1200, 3), 40, np.uint8)
    canvas[200:600, 300:900] = photo
    gray = cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY)
    framed = np.float64([[300, 200], [900, 200], [900, 600], [300, 600]])
    assert frame_edge_support(gray, framed) >= CFG.frame_edge_share
    elsewhere = framed + np.float64([130, 90])  # the same quadrilateral on arbitrary content
    assert frame_edge_support(gray, elsewhere) < CFG.frame_edge_share
    outside = np.float64([[-50, -40], [1250, -40], [1250, 950], [-50, 950]])  # a re-framed real view
    assert frame_edge_support(gray, outside) == 0.0
