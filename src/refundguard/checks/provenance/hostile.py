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
    where = ", ".join(sorted({p.source for p in deep}))
    return [Signal(
        "provenance.hostile_metadata", 1.0,
        f"The XMP metadata in {where} is nested {worst.too_deep} levels deep (real metadata nests fewer than 10): "
        f"it is built to make analysis tools fail. It was read down to {worst.max_depth} levels.",
        f"{where} 中的 XMP 元数据嵌套了 {worst.too_deep} 层（正常元数据少于 10 层）：这是为了让分析工具出错而构造的。"
        f"已读取前 {worst.max_depth} 层。",
        {"sources": sorted({p.source for p in deep}), "depth": worst.too_deep, "read_to": worst.max_depth})]
