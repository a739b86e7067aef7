"""The one-time code: its alphabet, and finding it in what OCR read on the buyer's paper.

Codes are drawn from :data:`ALPHABET`, 17 capitals and digits that stay distinct when written by hand in
print letters and read by OCR: no 0/O/D/Q, 1/I/L/7, 2/Z, 5/S, 6/G/b, 8/B, U/V, F (E with a faint foot).
Reading tolerates what OCR does to handwriting: lower case, full-width forms (NFKC), spaces and punctuation
between the characters, a line broken in two, a few glyph confusions folded back (:data:`FOLD`) and at most
one substitution between characters that handwriting makes alike (:data:`CONFUSABLE`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from refundguard.checks._ocr import TextLine, read, read_line, read_tiles

ALPHABET = "ACEHJKMNPRTWXY349"
CODE_LENGTH = 4
#: what OCR commonly returns for a character of the alphabet (before upper-casing)
FOLD = {"(": "C", "[": "C", "<": "C", "€": "C", "×": "X", "✕": "X", "g": "9", "q": "9", "Ч": "4", "з": "3",
        "З": "3", "Е": "E", "Н": "H", "К": "K", "М": "M", "Р": "P", "Т": "T", "Х": "X", "У": "Y", "А": "A",
        "С": "C", "}": "3", "¥": "Y"}
#: pairs that handwriting in print letters makes alike: one such substitution still reads as the code
CONFUSABLE = frozenset({frozenset(p) for p in (("A", "4"), ("M", "N"), ("H", "N"), ("W", "M"), ("K", "X"),
                                               ("Y", "X"), ("J", "T"), ("9", "P"), ("R", "P"))})


def normalise(text: str) -> str:
    """NFKC, folded confusions, upper case, only letters and digits."""
    folded = "".join(FOLD.get(c, c) for c in unicodedata.normalize("NFKC", text))
    folded = folded.replace("VV", "W").replace("vv", "W")
    return re.sub(r"[^0-9A-Z]", "", folded.upper())


@dataclass(frozen=True, slots=True)
class CodeRead:
    """What was read where the code should be.

    ``status``: ``found`` (the code, exactly or within one confusable substitution), ``wrong`` (a short
    code-like text that is not this code) or ``missing`` (nothing like a code).
    """

    status: str
    read: str | None = None
    box: tuple[float, float, float, float] | None = None
    confidence: float | None = None
    exact: bool = False


def _near(window: str, code: str) -> bool:
    diffs = [(a, b) for a, b in zip(window, code, strict=True) if a != b]
    return len(diffs) == 1 and frozenset(diffs[0]) in CONFUSABLE


def _union(boxes: Sequence[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _candidates(lines: Sequence[TextLine]) -> list[tuple[str, tuple[float, float, float, float], float]]:
    """Each line's normalised text, and each pair of neighbouring short lines joined (a code split in two)."""
    out = [(normalise(ln.text), ln.box, ln.confidence) for ln in lines]
    short = [(t, b, c) for t, b, c in out if 1 <= len(t) <= CODE_LENGTH - 1]
    for i, (ta, ba, ca) in enumerate(short):
        for tb, bb, cb in short[i + 1:]:
            height = max(ba[3] - ba[1], bb[3] - bb[1], 1.0)
            if abs((ba[1] + ba[3]) / 2 - (bb[1] + bb[3]) / 2) > height or abs(ba[0] - bb[0]) > 8 * height:
                continue
            first, second = ((ta, ba), (tb, bb)) if ba[0] <= bb[0] else ((tb, bb), (ta, ba))
            out.append((first[0] + second[0], _union([ba, bb]), min(ca, cb)))
    return out


def find_code(lines: Sequence[TextLine], code: str) -> CodeRead:
    """Whether ``code`` is among the OCR ``lines`` (see the module's tolerance rules)."""
    code = code.upper()
    best_wrong: CodeRead | None = None
    for text, box, conf in _candidates(lines):
        if code in text:
            return CodeRead("found", code, box, conf, exact=True)
        for k in range(len(text) - CODE_LENGTH + 1):
            window = text[k:k + CODE_LENGTH]
            if _near(window, code):
                return CodeRead("found", window, box, conf, exact=False)
        in_alphabet = sum(c in ALPHABET for c in text)
        code_like = CODE_LENGTH <= len(text) <= CODE_LENGTH + 1 and in_alphabet >= CODE_LENGTH - 1
        if code_like and (best_wrong is None or conf > (best_wrong.confidence or 0)):
            best_wrong = CodeRead("wrong", text, box, conf)
    return best_wrong or CodeRead("missing")


def _second_look(pixels: np.ndarray, lines: Sequence[TextLine], code: str) -> CodeRead | None:
    """Read each short detected line again from the full-resolution photo, upright and upside down (the page's
    text detector works on a reduced copy, and its orientation guess can turn handwriting over)."""
    h, w = pixels.shape[:2]
    for line in sorted(lines, key=lambda ln: -ln.confidence)[:8]:
        x0, y0, x1, y1 = line.box
        if (x1 - x0) > 12 * max(1.0, y1 - y0):
            continue  # a long line of text, not a code
        pad = 0.25 * (y1 - y0)
        crop = pixels[max(0, int(y0 - pad)):min(h, int(y1 + pad)), max(0, int(x0 - pad)):min(w, int(x1 + pad))]
        for view in (crop, crop[::-1, ::-1]):
            again = read_line(np.ascontiguousarray(view))
            if again is None:
                continue
            found = find_code([TextLine(again.text, again.confidence, line.box)], code)
            if found.status == "found":
                return found
    return None


_READ: OrderedDict[tuple[str, str, int], CodeRead] = OrderedDict()
_READ_LOCK = threading.Lock()


def read_code(pixels: np.ndarray, code: str, *, tile_grid: int = 2, key: str | None = None) -> CodeRead:
    """Look for ``code`` in a photo: OCR of the whole photo, then of ``tile_grid``² tiles when not found there.

    ``key`` (the photo's SHA-256) keeps the answer for the process: a shot read when it arrived is not read again.
    """
    memo = (key, code, tile_grid) if key else None
    if memo is not None:
        with _READ_LOCK:
            if memo in _READ:
                return _READ[memo]
    lines = read(pixels)
    found = find_code(lines, code)
    if found.status != "found":
        found = _second_look(pixels, lines, code) or found
    if found.status != "found" and tile_grid > 1:
        tiled_lines = read_tiles(pixels, grid=tile_grid)
        tiled = find_code(tiled_lines, code)
        if tiled.status != "found":
            tiled = _second_look(pixels, tiled_lines, code) or tiled
        if tiled.status == "found" or found.status == "missing":
            found = tiled
    if memo is not None:
        with _READ_LOCK:
            _READ[memo] = found
            while len(_READ) > 64:
                _READ.popitem(last=False)
    return found
