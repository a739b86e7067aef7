"""What every fuzz target checks: a file either loads within its budget or fails with one clean InputError,
and nothing reaches stdout/stderr (Python warnings, Pillow log records, C libraries writing to fd 2)."""

from __future__ import annotations

import numpy as np

from refundguard.config import Limits
from refundguard.errors import InputError
from refundguard.media import load_image

#: small limits: a mutated header may promise a large picture, the decode must stay quick
LIMITS = Limits(max_pixels=4_000_000, analysis_pixels=250_000, max_chunks=2_000, max_tiff_blocks=5_000)


def load_or_clean_error(data: bytes, capfd) -> None:
    try:
        image = load_image(data, limits=LIMITS, name="fuzz.bin")
    except InputError as exc:
        message = str(exc)
        assert message.startswith("fuzz.bin: ") and "\n" not in message and len(message) < 1000, message
    else:
        h, w, c = image.pixels.shape
        assert c == 3 and image.pixels.dtype == np.uint8 and w * h <= LIMITS.analysis_pixels
        assert image.alpha is None or image.alpha.shape == (h, w)
    out, err = capfd.readouterr()
    assert out == "" and err == "", (out, err)
