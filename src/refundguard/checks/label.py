"""Visible AI-generation labels ("AI生成", "人工智能合成", "Generated with AI", "即梦AI" ...) found by OCR.

GB 45438-2025 §5.2 asks generators to print a text label with an AI element and a generation element,
on an edge or corner, legible, at least 5 % of the short side high. A buyer who forgets to crop it out
leaves a strong sign; a label cut at the border suggests it was cropped (weaker, with a note).

OCR is rapidocr 3.x (PP-OCRv6 small detector and recogniser, bundled in the wheel and loaded from the
package folder by explicit path, so nothing is ever downloaded) on onnxruntime. One engine per process,
created on first use; calls are serialised because the engine keeps per-call parameters as state.

Cost per photo: one OCR pass on a copy whose long side is at most 1280 px (it reads "AI生成" down to
0.8 % of the short side of a 12 MP photo), plus — only when the photo's long side exceeds 5120 px and
the first pass found no label — one pass per corner tile (30 % × 15 % of the photo) at up to 1280 px.
Each pass reads only where text can be: a stroke pass (:mod:`refundguard.checks._text_regions`, a few
ms) picks the regions of thin, high-contrast strokes, and the OCR reads those crops at the same scale; a
photo without such strokes is not read at all, and the models are then never loaded. See
bench/results/watermark_label.json for measured times; the models load once per process (~2–3 s).

Text rules: text is normalised first (NFKC folds full-width letters and digits, upper case, runs of
white space become one space, none around CJK). The AI element tolerates one OCR confusion of the
letter I (``Al``, ``A1``, ``A|``, ``A!``) and ``人工智能`` one wrong character; "AI" must stand on its own
(not inside a Latin word such as MAIL, EMAIL or AIR). A Chinese label needs an AI element and a
generation element (``生成`` or ``合成``), as GB 45438-2025 §5.2 requires.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from refundguard.checks._ocr import CALL_LOCK, DETECT_LONG_SIDE, engine, padded
from refundguard.checks._text_regions import TextRegionConfig, read_where_text
from refundguard.checks.registry import CheckContext, check
from refundguard.errors import not_applicable
from refundguard.findings import Finding, Region

CODE = "label.visible_ai_text"
#: the OCR models' input size (fixed when the engine is built; not a per-analysis setting)
OCR_LONG_SIDE = DETECT_LONG_SIDE  # the whole-photo pass reads a copy this long (the detector's limit)
#: GB 45438 §5.2: text height ≥ 5 % of the short side (the standard's figure, reported as ``meets_gb_height``)
GB_MIN_HEIGHT = 0.05


class LabelConfig(BaseModel):
    """``[checks.label]``: where the OCR looks and which text counts as a label."""

    model_config = ConfigDict(extra="forbid")

    #: the full pass reads glyphs down to ~8 px at 1280 px (measured: "AI生成" at 0.8 % of the short side of a
    #: 4000×3000 photo); the corner pass adds resolution only where the full pass shrank the photo over 4×
    corner_pass_min_side: int = Field(5120, ge=OCR_LONG_SIDE)
    #: width and height of each corner tile, as fractions of the photo
    corner_fraction: tuple[float, float] = (0.30, 0.15)
    #: a box within this fraction of the width/height from a border is "at" that border
    edge_band: float = Field(0.12, gt=0, lt=0.5)
    min_ocr_confidence: float = Field(0.5, ge=0, le=1)
    #: text at least this high (fraction of the short side) scores higher; under ``small_text_height`` lower
    large_text_height: float = Field(GB_MIN_HEIGHT, gt=0, lt=1)
    small_text_height: float = Field(0.015, gt=0, lt=1)
    #: where the OCR reads: the stroke pass and the detector's looks at reduced size (``[checks.label.text_regions]``)
    text_regions: TextRegionConfig = Field(default_factory=TextRegionConfig)


_DEFAULT = LabelConfig()
#: the detector grows each text kernel (unclip ratio 1.6): its line boxes are ~1.45x the glyph height
#: (measured on text rendered with WenQuanYi Micro Hei, CJK and Latin); boxes are shrunk back by that
BOX_TO_GLYPH = 1.45

# ------------------------------------------------------------------------------------------- text rules

_AI = r"(?<![A-Z])A[IL1|!](?![A-Z])"
_AI_END = r"A[IL1|!](?![A-Z])"  # after a fixed English word that OCR may have glued on
_CN_AI = r"(?:人工智能|.工智能|人.智能|人工.能|人工智.)"
_CJK = r"[\u3400-\u9fff]"

#: (kind, pattern) on normalised text; the first group-free match wins
_FULL: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("zh_label", re.compile(rf"(?:{_AI}|{_CN_AI}) ?{_CJK}{{0,3}}?(?:生成|合成)")),
    ("en_label", re.compile(rf"(?<![A-Z])(?:GENERATED|MADE|CREATED|IMAGINED|EDITED) ?(?:WITH|BY|USING) ?{_AI_END}")),
    ("en_label", re.compile(r"(?<![A-Z])A[IL1|!] ?-? ?(?:GENERATED|CREATED|GENERATION)(?![A-Z])")),
    ("brand", re.compile(rf"(?:即梦|可灵|豆包|千问|海螺|星绘|秒画) ?{_AI}")),
    ("brand", re.compile(r"通义万相|文心一格|腾讯元宝")),
)

#: fragments of a label cut by the image border: (border the text must touch, pattern)
_PARTIAL: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("end", re.compile(rf"(?:由 ?{_AI}|{_AI} ?[生合]|{_CN_AI}[生合])$")),
    ("end", re.compile(r"(?<![A-Z])(?:GENERATED|CREATED|MADE) ?(?:WITH|BY) ?A?$")),
    ("start", re.compile(rf"^[I1L|](?:生成|合成)|^(?:工智能|智能)(?:生成|合成)|^{_CJK}?(?:ITH|TH|BY) ?AI$")),
)


@dataclass(frozen=True, slots=True)
class TextMatch:
    """A label found in one OCR line: its kind, the matched text and where it sits in the line."""

    kind: str  # zh_label | en_label | brand | partial
    phrase: str
    normalized: str
    start: int
    end: int


def normalize(text: str) -> str:
    """NFKC, upper case, one space between words, no space around CJK characters."""
    folded = unicodedata.normalize("NFKC", text).upper()
    folded = re.sub(r"\s+", " ", folded).strip()
    return re.sub(rf"(?<={_CJK}) | (?={_CJK})", "", folded)


def find_label(text: str) -> TextMatch | None:
    """The first full AI label in ``text`` or ``None``."""
    norm = normalize(text)
    for kind, pattern in _FULL:
        m = pattern.search(norm)
        if m:
            return TextMatch(kind, m.group(0), norm, m.start(), m.end())
    return None


def find_partial(text: str, *, touches_start: bool, touches_end: bool) -> TextMatch | None:
    """A fragment of a label cut off by the border the line touches (start = left, end = right)."""
    norm = normalize(text)
    for side, pattern in _PARTIAL:
        if (side == "end" and not touches_end) or (side == "start" and not touches_start):
            continue
        m = pattern.search(norm)
        if m and len(m.group(0).replace(" ", "")) >= 2:
            return TextMatch("partial", m.group(0), norm, m.start(), m.end())
    return None


def char_span(norm: str, start: int, end: int) -> tuple[float, float]:
    """Fraction of the line's width taken before ``start`` and up to ``end`` (CJK ≈ 2× a Latin glyph)."""
    widths = [1.0 if re.match(_CJK, c) else 0.3 if c == " " else 0.55 for c in norm]
    total = sum(widths) or 1.0
    return sum(widths[:start]) / total, sum(widths[:end]) / total


# -------------------------------------------------------------------------------------------------- OCR

@dataclass(frozen=True, slots=True)
class TextLine:
    """One OCR line with its box (x0, y0, x1, y1) in the photo's pixel coordinates."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]
    source: str  # "full" or "corners"


def _ocr(rgb: np.ndarray) -> list[tuple[str, float, np.ndarray]]:
    bgr = np.ascontiguousarray(padded(rgb)[:, :, ::-1])
    with CALL_LOCK:
        out = engine()(bgr, use_det=True, use_cls=True, use_rec=True)  # explicit: the engine keeps them
    if out.boxes is None or out.txts is None:
        return []
    return [(str(t), float(s), np.asarray(b, dtype=np.float64)) for t, s, b in zip(out.txts, out.scores, out.boxes,
                                                                                  strict=False)]


def _detect(rgb: np.ndarray) -> list[np.ndarray]:
    """Text-line quadrilaterals of the detector alone (no recognition), in ``rgb``'s pixels."""
    bgr = np.ascontiguousarray(padded(rgb)[:, :, ::-1])
    with CALL_LOCK:
        out = engine()(bgr, use_det=True, use_cls=False, use_rec=False)
    return [] if out.boxes is None else [np.asarray(b, dtype=np.float64) for b in out.boxes]


def _resized(rgb: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, long_side / max(rgb.shape[:2]))
    if scale >= 1.0:
        return rgb, 1.0
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def read_full(rgb: np.ndarray, regions: TextRegionConfig | None = None,
              working: np.ndarray | None = None) -> list[TextLine]:
    """OCR of the whole photo on a copy whose long side is at most :data:`OCR_LONG_SIDE` (where text can be);
    ``working`` is that copy when the caller has it (the analysis's picture cache)."""
    if working is None:
        small, scale = _resized(rgb, OCR_LONG_SIDE)
    else:
        small, scale = working, min(1.0, OCR_LONG_SIDE / max(rgb.shape[:2]))  # as _resized reports it
    lines = []
    for text, conf, quad in read_where_text(small, _ocr, _detect, regions):
        q = quad / scale
        box = (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
        lines.append(TextLine(text, conf, box, "full"))
    return lines


CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def read_corners(rgb: np.ndarray, corners: tuple[str, ...] = CORNERS,
                 fraction: tuple[float, float] = _DEFAULT.corner_fraction,
                 regions: TextRegionConfig | None = None) -> list[TextLine]:
    """OCR of corner tiles (30 % × 15 % of the photo each), each read on its own at up to 1280 px.

    Tiles are read one by one: pasting them into one mosaic made the detector miss small text that it
    finds in each tile alone.
    """
    h, w = rgb.shape[:2]
    cw, ch = max(32, round(w * fraction[0])), max(32, round(h * fraction[1]))
    lines = []
    for corner in corners:
        px = 0 if corner.endswith("left") else w - cw
        py = 0 if corner.startswith("top") else h - ch
        tile, scale = _resized(np.ascontiguousarray(rgb[py:py + ch, px:px + cw]), OCR_LONG_SIDE)
        for text, conf, quad in read_where_text(tile, _ocr, _detect, regions):
            q = quad / scale
            box = (float(q[:, 0].min() + px), float(q[:, 1].min() + py), float(q[:, 0].max() + px),
                   float(q[:, 1].max() + py))
            lines.append(TextLine(text, conf, box, "corners"))
    return lines


@dataclass(frozen=True, slots=True)
class Label:
    """A label found in a photo, with the facts that set its score."""

    line: TextLine
    match: TextMatch
    region: Region
    position: str
    height_ratio: float
    score: float


def position_of(box: tuple[float, float, float, float], width: int, height: int,
                edge_band: float = _DEFAULT.edge_band) -> tuple[str, int]:
    """Where a box sits: e.g. ``"bottom-right corner"``, ``"top edge"``, ``"centre"``; and how many borders."""
    x0, y0, x1, y1 = box
    vertical = "top" if y0 <= edge_band * height else "bottom" if y1 >= (1 - edge_band) * height else ""
    horizontal = "left" if x0 <= edge_band * width else "right" if x1 >= (1 - edge_band) * width else ""
    if vertical and horizontal:
        return f"{vertical}-{horizontal} corner", 2
    if vertical or horizontal:
        return f"{vertical or horizontal} edge", 1
    return "centre", 0


def score_label(kind: str, borders: int, height_ratio: float, confidence: float,
                config: LabelConfig = _DEFAULT) -> float:
    """Score of one label: a legible, large label in a corner scores highest; text mid-image lowest.

    base 0.75 (Chinese or English label), 0.70 (a generator's brand mark), 0.35 (a label cut at the
    border); +0.15 in a corner, +0.10 at an edge, −0.15 in the middle; +0.08 when the text is at least
    5 % of the short side high, −0.10 under 1.5 %; times (0.6 + 0.4 × OCR confidence).
    """
    base = {"zh_label": 0.75, "en_label": 0.75, "brand": 0.70}.get(kind, 0.35)
    base += {2: 0.15, 1: 0.10}.get(borders, -0.15)
    if height_ratio >= config.large_text_height:
        base += 0.08
    elif height_ratio < config.small_text_height:
        base -= 0.10
    return float(np.clip(base * (0.6 + 0.4 * min(max(confidence, 0.0), 1.0)), 0.05, 1.0))


def _label(line: TextLine, width: int, height: int, config: LabelConfig) -> Label | None:
    x0, y0, x1, y1 = line.box
    touch_x = max(3.0, 0.006 * width)
    match = find_label(line.text) or find_partial(line.text, touches_start=x0 <= touch_x,
                                                   touches_end=x1 >= width - touch_x)
    if match is None or line.confidence < config.min_ocr_confidence:
        return None
    horizontal = (x1 - x0) >= (y1 - y0)
    pad = min(x1 - x0, y1 - y0) * (1 - 1 / BOX_TO_GLYPH) / 2
    at_left, at_right = x0 <= touch_x, x1 >= width - touch_x  # a border-cut glyph keeps its border edge
    x0, y0, x1, y1 = x0 + (0 if at_left else pad), y0 + pad, x1 - (0 if at_right else pad), y1 - pad
    if horizontal and len(match.normalized) > 2 * len(match.phrase):  # a long line: keep the label's share
        a, b = char_span(match.normalized, match.start, match.end)
        x0, x1 = x0 + a * (x1 - x0), x0 + b * (x1 - x0)
    x0, y0 = max(0.0, x0), max(0.0, y0)
    x1, y1 = min(float(width), x1), min(float(height), y1)
    region = Region(round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0)))
    ratio = ((y1 - y0) if horizontal else (x1 - x0)) / min(width, height)
    position, borders = position_of((x0, y0, x1, y1), width, height, config.edge_band)
    return Label(line, match, region, position, ratio,
                 score_label(match.kind, borders, ratio, line.confidence, config))


def find_labels(rgb: np.ndarray, config: LabelConfig = _DEFAULT, working: np.ndarray | None = None) -> list[Label]:
    """Every AI label OCR finds in a photo, strongest first (``working``: see :func:`read_full`)."""
    height, width = rgb.shape[:2]
    labels = [lab for lab in (_label(line, width, height, config)
                              for line in read_full(rgb, config.text_regions, working)) if lab]
    if max(height, width) > config.corner_pass_min_side and not any(lab.match.kind != "partial" for lab in labels):
        more = [lab for lab in (_label(line, width, height, config)
                                for line in read_corners(rgb, fraction=config.corner_fraction,
                                                         regions=config.text_regions)) if lab]
        labels += [lab for lab in more if not any(_overlap(lab.region, old.region) for old in labels)]
    return sorted(labels, key=lambda lab: lab.score, reverse=True)


def _overlap(a: Region, b: Region) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _finding(ctx: CheckContext, index: int, labels: list[Label]) -> Finding:
    top = labels[0]
    text = top.line.text.strip()
    details = {
        "text": text, "position": top.position, "height_ratio": round(top.height_ratio, 4),
        "labels": [{
            "text": lab.line.text, "normalized": lab.match.normalized, "matched": lab.match.phrase,
            "kind": lab.match.kind, "ocr_confidence": round(lab.line.confidence, 3), "position": lab.position,
            "height_ratio": round(lab.height_ratio, 4), "meets_gb_height": lab.height_ratio >= GB_MIN_HEIGHT,
            "partial": lab.match.kind == "partial", "pass": lab.line.source, "score": round(lab.score, 3),
            "region": lab.region.to_dict(),
        } for lab in labels],
    }
    if top.match.kind == "partial":
        details["note"] = "label cut at the image border: possibly cropped out"
    variant = "partial" if top.match.kind == "partial" else "label"
    return ctx.finding(CODE, image=index, score=top.score, variant=variant, regions=[lab.region for lab in labels],
                       details=details)


@check("label", config=LabelConfig)
def run(ctx: CheckContext) -> list[Finding]:
    """OCR each claim photo for a visible AI-generation label."""
    findings: list[Finding] = []
    seen = 0
    for index, image in ctx.claim_images:
        seen += 1
        # the ≤ 1280-px copy comes from the analysis's picture cache (same INTER_AREA reduction as _resized)
        labels = find_labels(image.pixels, ctx.config, ctx.pictures.reduced(image, OCR_LONG_SIDE))
        if labels:
            findings.append(_finding(ctx, index, labels))
    if seen == 0:
        raise not_applicable("label.na.no_claim_photo")
    return findings
