"""The one-time code: its alphabet, and finding it in OCR output and in photos of handwriting-like cards."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from bench.capture_session import FONTS_HELD_OUT, FONTS_TUNED, card, place_card
from refundguard.capture.links import new_code
from refundguard.checks._live.code import ALPHABET, CODE_LENGTH, find_code, normalise, read_code
from refundguard.checks._ocr import TextLine


def _lines(*texts: str) -> list[TextLine]:
    return [TextLine(t, 0.9, (10.0 + 60 * k, 10.0, 50.0 + 60 * k, 40.0)) for k, t in enumerate(texts)]


def test_alphabet_avoids_handwriting_lookalikes_and_codes_use_it() -> None:
    assert not set(ALPHABET) & set("0OQD1IL72Z5S6GB8UVF")
    codes = {new_code() for _ in range(300)}
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert len(codes) > 290  # drawn at random, not a sequence


@pytest.mark.parametrize(("texts", "status", "exact"), [
    (("K4AM",), "found", True),
    (("k4am",), "found", True),                      # lower case
    (("Ｋ４ＡＭ",), "found", True),                    # full-width forms
    (("K 4-A.M",), "found", True),                   # spaces and punctuation between the letters
    (("K4", "AM"), "found", True),                   # the line broken in two
    (("KAAM",), "found", False),                     # A for 4: one handwriting-alike substitution
    (("order 8812 K4AM ok",), "found", True),        # among other text
    (("KXAM",), "wrong", False),                     # another code-like text
    (("KHAMXY",), "missing", False),                 # too long to be a code, and not it
    (("裂痕",), "missing", False),
    ((), "missing", False),
])
def test_find_code_tolerates_ocr_and_handwriting(texts: tuple[str, ...], status: str, exact: bool) -> None:
    found = find_code(_lines(*texts), "K4AM")
    assert found.status == status
    if status == "found":
        assert found.exact is exact


def test_two_substitutions_are_not_the_code() -> None:
    assert find_code(_lines("RANM"), "K4AM").status != "found"
    assert normalise(" ｋ-4 a m ") == "K4AM"


@pytest.mark.parametrize("font", [FONTS_TUNED[2], FONTS_HELD_OUT[0], FONTS_HELD_OUT[1]])
def test_read_code_on_a_card_beside_a_real_item(font: str) -> None:
    from pathlib import Path

    if not Path(font).exists():
        pytest.skip(f"font {font} not installed (scripts/system-deps.sh installs it)")
    rng = np.random.default_rng(7)
    code = "".join(rng.choice(list(ALPHABET), 4))
    scene = np.ascontiguousarray(data.astronaut())
    scene = np.asarray(np.kron(scene, np.ones((3, 3, 1), np.uint8)))  # 1536 px
    photo = place_card(scene, card(code, 220, font, rng), rng, share=0.14)
    assert read_code(photo, code).status == "found"
    assert read_code(photo, "XXXX", tile_grid=1).status in ("wrong", "missing")
