"""Pictures derived from the photos of one analysis, made once and shared by every check.

A photo is decoded once, by :func:`refundguard.media.load.load_image`. What the checks derive from it --
grey levels, copies reduced to a working size, pyramids, masks, feature points -- is asked of
:class:`Pictures` (``ctx.pictures`` in a check) instead of being recomputed by each check::

    small = ctx.pictures.reduced(image, 1280)            # RGB uint8, long side <= 1280 (INTER_AREA)
    grey = ctx.pictures.reduced_gray(image, 1280)        # its BT.601 luma, uint8
    levels = ctx.pictures.pyramid(image, 1280, 3)        # that grey copy halved twice (cv2.pyrDown)
    mask = ctx.pictures.get(image, "tamper.clipped", lambda: clipped_pixels(image.pixels))

Each value is computed by the first check that asks, under a per-key lock (checks run in parallel), and the
others wait for it and share it. Values live as long as the analysis, except those under a :data:`KEPT`
prefix, which the finished analysis keeps (``Analysis.pictures``) for the work done after it. Keys name the
photo by content (SHA-256 and decoded size), so the same file given twice is worked on once.

Outside an analysis, :func:`reduced_decode` makes a small picture straight from a file's bytes with
Pillow's reduced-size JPEG decoding (draft mode: the decoder scales the DCT by 1/2, 1/4 or 1/8 and never
builds the full-size picture), for pages that show thumbnails of stored evidence.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from refundguard.media.load import LoadedImage

T = TypeVar("T")

#: prefixes of the values a finished analysis keeps (:meth:`Pictures.kept`): ``index/``, the photos' reuse-index
#: codes, which the reuse check makes and the recorder (:mod:`refundguard.index.record`, the service's
#: ``record_new``) adds to the index after the analysis. Small (a 640-pixel copy and PDQ codes a photo).
KEPT = ("index/",)


class Pictures:
    """Per-analysis cache of pictures derived from its photos (thread-safe; see the module docstring)."""

    def __init__(self) -> None:
        self._values: dict[tuple[Any, ...], Any] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()

    @staticmethod
    def _photo(image: LoadedImage) -> tuple[str, int, int]:
        return image.sha256, image.width, image.height

    def get(self, image: LoadedImage, what: str, make: Callable[[], T]) -> T:
        """The value ``what`` of ``image``, made by ``make()`` the first time any check asks for it."""
        key = (*self._photo(image), what)
        try:
            return self._values[key]
        except KeyError:
            pass
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = make()
            return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def kept(self) -> Pictures:
        """A cache holding only the values under a :data:`KEPT` prefix (what outlives the analysis)."""
        out = Pictures()
        out._values = {k: v for k, v in self._values.items() if str(k[-1]).startswith(KEPT)}
        return out

    def __getstate__(self) -> dict[str, Any]:  # an analysis made in a worker process travels back pickled
        return {"values": dict(self._values)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._values = dict(state["values"])
        self._locks = {}
        self._guard = threading.Lock()

    def reduced(self, image: LoadedImage, long_side: int) -> np.ndarray:
        """RGB uint8 copy whose longer side is at most ``long_side`` (area-averaged; the photo itself when
        already that small)."""
        return self.get(image, f"reduced/{long_side}", lambda: reduce_to(image.pixels, long_side))

    def reduced_gray(self, image: LoadedImage, long_side: int) -> np.ndarray:
        """BT.601 luma (uint8) of :meth:`reduced`."""
        import cv2

        return self.get(image, f"reduced_gray/{long_side}",
                        lambda: cv2.cvtColor(self.reduced(image, long_side), cv2.COLOR_RGB2GRAY))

    def pyramid(self, image: LoadedImage, long_side: int, levels: int) -> list[np.ndarray]:
        """:meth:`reduced_gray` and ``levels - 1`` successive halvings of it (Gaussian pyramid, ``cv2.pyrDown``)."""
        import cv2

        def make() -> list[np.ndarray]:
            out = [self.reduced_gray(image, long_side)]
            for _ in range(levels - 1):
                if min(out[-1].shape[:2]) < 2:
                    break
                out.append(cv2.pyrDown(out[-1]))
            return out

        return self.get(image, f"pyramid/{long_side}/{levels}", make)


def reduce_to(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """``pixels`` area-averaged (``cv2.INTER_AREA``) so that the longer side is at most ``long_side``."""
    import cv2

    h, w = pixels.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1.0:
        return pixels
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def reduced_decode(data: bytes, long_side: int) -> np.ndarray:
    """Decode an image file to RGB uint8 with the longer side at most ``long_side``, EXIF orientation applied.

    JPEG files are decoded at the smallest DCT scale (1/1, 1/2, 1/4, 1/8) that is still at least
    ``long_side`` (Pillow's draft mode), then area-averaged to size: a 12 MP photo shown at 720 px is
    decoded at 1/4 of its size, at about a sixth of the cost of the full decode. Other formats are decoded
    fully. The caller is expected to have accepted the file with :func:`~refundguard.media.load.load_image`
    before (limits, bombs); a file that no longer decodes raises ``OSError`` or ``ValueError``.
    """
    from PIL import Image, ImageFile, ImageOps

    import refundguard.media.load  # noqa: F401  (registers the HEIF opener, as for the first decode)

    ImageFile.LOAD_TRUNCATED_IMAGES = False  # see media/load.py: other libraries flip it on import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as im:
            if im.format == "JPEG" and im.mode in ("RGB", "YCbCr", "L"):
                w, h = im.size
                scale = long_side / max(w, h)
                if scale < 1.0:
                    im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
            im.load()
            oriented = ImageOps.exif_transpose(im) or im
            rgb = np.asarray(oriented.convert("RGB"))
    return reduce_to(rgb, long_side)
