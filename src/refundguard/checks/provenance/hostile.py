"""Metadata built to break the tools that read it.

No camera, phone or editor writes an XMP packet nested hundreds of levels deep: such a packet exists to
make a parser give up, so that the labels beside it go unread. The loader reads such packets iteratively
down to a depth limit (so the labels are still found) and marks them; here the fact itself becomes
evidence a person should see.
"""

from __future__ import annotations

from refundguard.checks.provenance.signal import Signal
from refundguard.media.load import LoadedImage


def hostile_signals(image: LoadedImage) -> list[Signal]:
    """One signal when any XMP packet of ``image`` is nested beyond the configured depth."""
    deep = [p for p in image.metadata.xmp if p.too_deep]
    if not deep:
        return []
    worst = max(deep, key=lambda p: p.too_deep or 0)
    return [Signal("provenance.hostile_metadata", 1.0, "nested",
                   {"sources": sorted({p.source for p in deep}), "depth": worst.too_deep, "read_to": worst.max_depth})]
