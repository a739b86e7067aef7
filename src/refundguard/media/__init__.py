"""Decoding evidence files under strict limits, and extracting every piece of metadata they carry.

Exports are imported on first use (:mod:`refundguard._lazy`): ``refundguard.media.sniff`` alone does not
load Pillow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refundguard._lazy import lazy_exports

if TYPE_CHECKING:
    from refundguard.media.load import LoadedImage, load_image

__all__ = ["LoadedImage", "load_image"]

__getattr__, __dir__ = lazy_exports(__name__, {"LoadedImage": "refundguard.media.load",
                                               "load_image": "refundguard.media.load"})
