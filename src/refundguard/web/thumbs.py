"""Thumbnails of stored evidence for the pages, made once per photo and kept in the evidence store.

A case page used to decode every photo of the claim at full size on every view (12 MP each) to draw a
720-px picture. The thumbnail is now made on the first view -- with reduced-size JPEG decoding
(:func:`refundguard.media.derived.reduced_decode`: a 12 MP JPEG is decoded at 1/4 scale) -- stored beside
the evidence by its SHA-256 (:meth:`EvidenceStore.derived`), and read back on later views.
"""

from __future__ import annotations

import base64
import io

from refundguard.media.derived import reduced_decode
from refundguard.service.evidence.store import EvidenceStore

#: JPEG quality of stored thumbnails (the HTML report uses the same)
QUALITY = 85


def thumbnail_jpeg(data: bytes, max_side: int) -> bytes:
    """A JPEG of the image file ``data`` whose longer side is at most ``max_side``."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(reduced_decode(data, max_side)).save(buf, format="JPEG", quality=QUALITY)
    return buf.getvalue()


def thumbnail_url(store: EvidenceStore, sha256: str, max_side: int = 720) -> str:
    """The stored thumbnail of evidence ``sha256`` as a data URL, made on first use."""
    jpeg = store.derived(sha256, f"thumb-{max_side}.jpg", lambda data: thumbnail_jpeg(data, max_side))
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
