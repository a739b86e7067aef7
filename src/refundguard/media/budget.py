"""The cost budget of a photo and of a claim, decided from the container walk before decoding.

Two kinds of bounds apply:

* hard limits (:func:`check_geometry`): a file over them is refused — more pixels or a longer side than
  the decoder may allocate, an aspect ratio no photo has, too many frames, an RLE bitmap too large for
  Pillow's pure-Python decoder;
* the analysis budget (:func:`claim_budgets`): every photo may use ``analysis_pixels`` decoded pixels,
  and all the photos of one claim together ``claim_pixels``. A photo over its share is decoded at
  reduced size (:class:`Reduction`, carried on the loaded image and in the report) or, with
  ``over_budget = "refuse"``, refused. Nothing is silently slow and nothing is silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from refundguard.config import Limits
from refundguard.errors import InputTooLarge, UnreadableImage
from refundguard.media.geometry import Geometry

Scope = Literal["photo", "claim"]


@dataclass(frozen=True, slots=True)
class Budget:
    """Decoded pixels one photo may use, and which bound set it (``photo`` or ``claim``)."""

    pixels: int
    scope: Scope = "photo"


@dataclass(frozen=True, slots=True)
class Reduction:
    """A photo analysed at reduced size: its size in the file, the size analysed, the bound and the method.

    Coordinates in findings are in the analysed size; multiply by ``original_width / width`` to map them
    back to the file.
    """

    original_width: int
    original_height: int
    width: int
    height: int
    budget: int
    scope: Scope
    method: str  # "jpeg-dct-scaling", "resampling", or both joined by "+"

    @property
    def scale(self) -> float:
        return self.width / max(1, self.original_width)

    def params(self) -> dict[str, object]:
        """The parameters of its sentence in the message catalogue (``media.reduced.<scope>``)."""
        return {"original_width": self.original_width, "original_height": self.original_height,
                "width": self.width, "height": self.height,
                "original_pixels": self.original_width * self.original_height, "pixels": self.width * self.height,
                "budget_pixels": self.budget, "scope": self.scope}

    def message(self) -> tuple[str, str]:
        """One sentence in English and in Chinese, for reports and skip reasons."""
        from refundguard.messages import both

        made = both(f"media.reduced.{self.scope}", self.params())
        return made["en"], made["zh"]

    def to_dict(self) -> dict[str, object]:
        en, zh = self.message()
        return {"original_width": self.original_width, "original_height": self.original_height,
                "width": self.width, "height": self.height, "scale": round(self.scale, 4),
                "budget_pixels": self.budget, "scope": self.scope, "method": self.method,
                "message": {"en": en, "zh": zh}}


def check_geometry(geometry: Geometry, fmt: str, limits: Limits) -> None:
    """Refuse a file whose declared geometry is over the hard limits (before any decoder runs)."""
    g = geometry
    if not g.known:
        if g.width or g.height:
            raise UnreadableImage(f"{fmt} declares an image of {g.width}×{g.height} pixels (no pixels)",
                                  zh=f"{fmt} 声明的图像为 {g.width}×{g.height} 像素（没有像素）")
        return
    if g.pixels > limits.max_pixels or max(g.width, g.height) > limits.max_side:
        raise InputTooLarge(f"{g.width}x{g.height} exceeds the limit of {limits.max_pixels:,} pixels or "
                            f"{limits.max_side:,} px per side",
                            zh=f"{g.width}x{g.height} 超过 {limits.max_pixels:,} 像素"
                               f"或每边 {limits.max_side:,} 像素的上限")
    if g.aspect > limits.max_aspect:
        raise InputTooLarge(f"{g.width}x{g.height} has an aspect ratio of {g.aspect:,.0f}:1; photos up to "
                            f"{limits.max_aspect:g}:1 are accepted",
                            zh=f"{g.width}x{g.height} 的长宽比为 {g.aspect:,.0f}:1，"
                               f"只接受不超过 {limits.max_aspect:g}:1 的图片")
    if g.frames > limits.max_frames:
        raise InputTooLarge(f"{g.frames:,} frames; at most {limits.max_frames} are accepted",
                            zh=f"共 {g.frames:,} 帧，最多接受 {limits.max_frames} 帧")
    if fmt == "BMP" and g.codec.startswith("rle") and g.pixels > limits.max_rle_pixels:
        raise InputTooLarge(f"RLE-compressed BMP of {g.pixels / 1e6:.1f} MP; RLE bitmaps up to "
                            f"{limits.max_rle_pixels / 1e6:.1f} MP are accepted (their decoder is slow)",
                            zh=f"RLE 压缩的 BMP 有 {g.pixels / 1e6:.1f} MP，只接受不超过 "
                               f"{limits.max_rle_pixels / 1e6:.1f} MP 的 RLE 位图（其解码很慢）")


def check_budget(pixels: int, budget: Budget, limits: Limits) -> None:
    """With ``over_budget = "refuse"``, refuse a photo whose pixels exceed its budget."""
    if limits.over_budget != "refuse" or pixels <= budget.pixels:
        return
    mp, claim = pixels / 1e6, limits.claim_pixels / 1e6
    if budget.scope == "claim":
        raise InputTooLarge(f"the claim's photos together exceed the analysis budget of {claim:.1f} MP; "
                            "send fewer or smaller photos",
                            zh=f"本次申请的图片合计超过 {claim:.1f} MP 的分析上限，请减少或缩小图片")
    raise InputTooLarge(f"{mp:.1f} MP exceeds the analysis budget of {budget.pixels / 1e6:.1f} MP per photo",
                        zh=f"{mp:.1f} MP 超过每张图片 {budget.pixels / 1e6:.1f} MP 的分析上限")


def fit(width: int, height: int, pixels: int) -> tuple[int, int]:
    """The largest size of the same aspect ratio with at most ``pixels`` pixels (each side ≥ 1)."""
    if width * height <= pixels:
        return width, height
    scale = math.sqrt(pixels / (width * height))
    w, h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    while w * h > pixels and (w > 1 or h > 1):
        w, h = (w - 1, h) if w >= h else (w, h - 1)
    return w, h


def claim_budgets(pixels: Sequence[int], limits: Limits) -> list[Budget]:
    """Each photo's share of the claim budget (water-filling: small photos keep their size, the large ones
    share what is left equally), never more than the per-photo budget."""
    caps = [min(p, limits.analysis_pixels) for p in pixels]
    if sum(caps) <= limits.claim_pixels:
        return [Budget(limits.analysis_pixels, "photo") for _ in pixels]
    left, level = limits.claim_pixels, 0
    ordered = sorted(caps)
    for i, cap in enumerate(ordered):
        share = left // (len(ordered) - i)
        if cap > share:
            level = share
            break
        left -= cap
    else:
        level = max(ordered)
    return [Budget(level, "claim") if cap > level else Budget(limits.analysis_pixels, "photo") for cap in caps]
