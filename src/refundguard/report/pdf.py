"""The evidence bundle: one PDF a merchant can attach to an appeal or hand to the police.

The first page says in two sentences what was found and what it rests on, then the case in words (status,
decision, the merchant's statement). Each claim photo follows beside the matched merchant photo with the same
outlines (mapped into the merchant photo by the match's transform), then each changed region zoomed, claim and
reference side by side; every file with its SHA-256; the checks; the timeline; the audit chain; and the buyer's
adjudicated amounts (final decisions only) set against legal tiers, shown as information, never as legal advice.
The JSON report is attached, and its SHA-256 printed, so a reader can check the bundle against the stored report.

Two entry points: :func:`bundle_from_analysis` (engine only: CLI and local mode) and :func:`render_bundle`
(a stored report plus its images and case facts: the claim service). The text is Chinese first with the English
beside it; a missing Chinese font is an error (:func:`check_cjk_font`), never a page of empty boxes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import itertools
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from refundguard.casefile.facts import (
    AdjudicatedClaim,
    AuditHead,
    CaseFacts,
    CrossPlatform,
    LedgerEntryProof,
    TimelineEvent,
    cross_platform_amount,
    cumulative_amount,
)
from refundguard.casefile.legal import (
    KINDS,
    Law,
    LegalTiers,
    Standing,
    Tier,
    load_legal_tiers,
    parse_legal_tiers,
    standings,
)
from refundguard.engine import Analysis
from refundguard.errors import ConfigError
from refundguard.media.load import LoadedImage
from refundguard.messages import Context, render
from refundguard.messages.compose import actor_words, timeline_entry
from refundguard.messages.render import format_time
from refundguard.report.json import to_dict
from refundguard.report.templating import bilingual, env
from refundguard.report.view import Mark, evidence_lines, report_view

__all__ = ["KINDS", "AdjudicatedClaim", "AuditHead", "CaseFacts", "CrossPlatform", "FontMissing", "Law",
           "LedgerEntryProof", "LegalTiers", "Standing", "Tier", "TimelineEvent", "bundle_from_analysis",
           "canonical_json", "check_cjk_font", "cross_platform_amount", "cumulative_amount", "evidence_lines",
           "figure", "load_legal_tiers", "parse_legal_tiers", "render_bundle", "render_html", "report_digest",
           "standings", "write_bundle"]

#: outline colours of the strengths (the same as the pages' report.css)
COLOURS = {"proven": (213, 0, 0), "declared": (41, 98, 255), "cue": (224, 145, 0), "context": (107, 107, 112)}
#: the most zoomed crops a bundle holds (strongest regions first)
MAX_CROPS = 12


class FontMissing(ConfigError):
    """No Chinese font is installed: the bundle would print empty boxes instead of Chinese text."""


@functools.cache
def _cjk_families() -> tuple[str, ...]:
    exe = shutil.which("fc-list")
    if exe is None:
        return ()
    try:
        out = subprocess.run([exe, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return tuple(sorted({line.split(",")[0].strip() for line in out.stdout.splitlines() if line.strip()}))


def check_cjk_font() -> str:
    """The Chinese font family the bundle will use; raises :class:`FontMissing` with what to install."""
    families = _cjk_families()
    if not families:
        raise FontMissing("no Chinese (CJK) font is installed, so the evidence bundle would show empty boxes instead "
                          "of Chinese text: install one (Debian/Ubuntu: apt-get install fonts-wqy-microhei, or "
                          "fonts-noto-cjk; `make fonts` does it) and try again / 未安装中文字体，证据材料中的中文将"
                          "显示为方框：请安装中文字体（Debian/Ubuntu：apt-get install fonts-wqy-microhei 或 "
                          "fonts-noto-cjk；也可运行 make fonts）后重试")
    preferred = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC")
    return next((f for f in preferred if f in families), families[0])


# ----------------------------------------------------------------------------------------------- figures
def _decode_data_url(url: str) -> bytes | None:
    if not url.startswith("data:") or "," not in url:
        return None
    try:
        return base64.b64decode(url.split(",", 1)[1], validate=False)
    except ValueError:
        return None


def _jpeg_url(img: PILImage.Image) -> str:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _dashed(draw: ImageDraw.ImageDraw, points: Sequence[tuple[float, float]], colour: tuple[int, int, int],
            width: int, dash: float) -> None:
    """A closed outline through ``points``, dashed (``dash`` > 0) or solid."""
    closed = [*points, points[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(closed):
        if dash <= 0:
            draw.line([(x0, y0), (x1, y1)], fill=colour, width=width)
            continue
        length = max(float(np.hypot(x1 - x0, y1 - y0)), 1e-6)
        steps = int(length // (2 * dash)) + 1
        for k in range(steps):
            t0, t1 = (2 * k * dash) / length, min((2 * k + 1) * dash / length, 1.0)
            if t0 >= 1.0:
                break
            draw.line([(x0 + (x1 - x0) * t0, y0 + (y1 - y0) * t0), (x0 + (x1 - x0) * t1, y0 + (y1 - y0) * t1)],
                      fill=colour, width=width)


def _outline(draw: ImageDraw.ImageDraw, points: Sequence[tuple[float, float]], strength: str, size: int) -> None:
    width = max(2, round(size / 250))
    _dashed(draw, points, COLOURS.get(strength, COLOURS["proven"]), width, 3 * width if strength == "cue" else 0)


def _box(x: float, y: float, w: float, h: float) -> list[tuple[float, float]]:
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def figure(image: LoadedImage, *, heatmaps: Sequence[str] = (), regions: Sequence[dict[str, int]] = (),
           marks: Sequence[Mark] = (), polygons: Sequence[Mark] = (), max_side: int = 900) -> str:
    """The photo as a JPEG data URL with heatmaps blended in and the regions outlined.

    Parameters
    ----------
    image : the loaded photo; its EXIF-oriented ``pixels`` are the coordinate frame of the outlines.
    heatmaps : PNG data URLs of grey-level maps in [0, 255] (any size; scaled to the photo).
    regions : plain boxes ``{"x", "y", "w", "h"}`` (drawn as proven changes).
    marks : outlined regions in the style of their strength (solid red, solid blue, dashed amber).
    polygons : marks drawn at their ``on_reference`` corners (the same regions on a matched reference).
    max_side : longest side of the figure in pixels.
    """
    base = PILImage.fromarray(image.pixels).convert("RGB")
    scale = min(1.0, max_side / max(base.size))
    if scale < 1.0:
        base = base.resize((max(1, round(base.width * scale)), max(1, round(base.height * scale))),
                           PILImage.Resampling.LANCZOS)
    rgb = np.asarray(base, dtype=np.float32)
    for url in heatmaps:
        raw = _decode_data_url(url)
        if raw is None:
            continue
        try:
            heat = PILImage.open(io.BytesIO(raw)).convert("L").resize(base.size, PILImage.Resampling.BILINEAR)
        except (OSError, ValueError):
            continue
        alpha = np.asarray(heat, dtype=np.float32)[..., None] / 255.0 * 0.55
        rgb = rgb * (1.0 - alpha) + np.array([230.0, 20.0, 40.0], dtype=np.float32) * alpha
    out = PILImage.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(out)
    size = max(out.size)
    for r in regions:
        _outline(draw, _box(r["x"] * scale, r["y"] * scale, r["w"] * scale, r["h"] * scale), "proven", size)
    for m in marks:
        _outline(draw, _box(m.x * scale, m.y * scale, m.w * scale, m.h * scale), m.strength, size)
    for m in polygons:
        if m.on_reference:
            _outline(draw, [(x * scale, y * scale) for x, y in m.on_reference], m.strength, size)
    return _jpeg_url(out)


def _crop_box(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> tuple[int, int, int, int]:
    """A box around the region with a margin to see its surroundings (a quarter of its size, at least 32 px):
    tight enough that the region fills most of the zoomed picture."""
    pad = max(32.0, 0.25 * max(x1 - x0, y1 - y0))
    return (max(0, int(x0 - pad)), max(0, int(y0 - pad)), min(width, int(np.ceil(x1 + pad))),
            min(height, int(np.ceil(y1 + pad))))


def _zoomed(image: LoadedImage, box: tuple[int, int, int, int], outline: list[tuple[float, float]], strength: str,
            side: int = 520) -> str:
    left, top, right, bottom = box
    crop = PILImage.fromarray(image.pixels[top:bottom, left:right]).convert("RGB")
    scale = side / max(crop.size)
    crop = crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                       PILImage.Resampling.LANCZOS if scale < 1 else PILImage.Resampling.BICUBIC)
    draw = ImageDraw.Draw(crop)
    _outline(draw, [((x - left) * scale, (y - top) * scale) for x, y in outline], strength, 700)
    return _jpeg_url(crop)


def crops(claim: LoadedImage, reference: LoadedImage | None, marks: Sequence[Mark]) -> list[dict[str, Any]]:
    """Each proven or declared region zoomed: the claim's crop and, where the region maps into a matched
    reference, the same place on the reference with the same outline."""
    out: list[dict[str, Any]] = []
    for m in marks:
        if m.strength not in ("proven", "declared") or len(out) >= MAX_CROPS:
            continue
        claim_box = _crop_box(m.x, m.y, m.x + m.w, m.y + m.h, claim.width, claim.height)
        item: dict[str, Any] = {"mark": m, "claim": _zoomed(claim, claim_box, _box(m.x, m.y, m.w, m.h), m.strength),
                                "reference": None}
        if reference is not None and m.on_reference:
            xs, ys = [p[0] for p in m.on_reference], [p[1] for p in m.on_reference]
            ref_box = _crop_box(min(xs), min(ys), max(xs), max(ys), reference.width, reference.height)
            if ref_box[2] - ref_box[0] > 4 and ref_box[3] - ref_box[1] > 4:
                item["reference"] = _zoomed(reference, ref_box, list(m.on_reference), m.strength)
        out.append(item)
    return out


# ------------------------------------------------------------------------------------------- rendering
def report_digest(report: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON report (sorted keys, UTF-8) that is attached to the bundle."""
    return hashlib.sha256(canonical_json(report).encode("utf-8")).hexdigest()


def canonical_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _zone(name: str | None) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def render_html(report: dict[str, Any], images: Sequence[LoadedImage], case: CaseFacts | None = None, *,
                tiers: LegalTiers | None = None, generated_at: datetime | None = None) -> str:
    """The bundle as HTML (the PDF's source). ``images`` are in the order of ``report["images"]``."""
    if len(images) != len(report["images"]):
        raise ValueError(f"{len(images)} images given for a report of {len(report['images'])}")
    case = case or CaseFacts()
    tiers = tiers or load_legal_tiers()
    tz = _zone(case.timezone)
    names = [im.name for im in images]
    zh, en = Context("zh", names, tz, tiers.symbol), Context("en", names, tz, tiers.symbol)
    view = report_view(report, names=names, lang="zh", tz=tz, symbol=tiers.symbol, overlays=False)
    facts = report.get("claim") or {}
    claim_id = case.claim_id or facts.get("claim_id")
    amount = case.amount if case.amount is not None else facts.get("amount")
    photos = []
    titles = {f.index: f.title for p in view.photos for f in p.findings}
    for p in view.evidence_photos:
        ref = view.photo(p.reference)
        own = [f for f in report["findings"] if f["image"] == p.index]
        photos.append({
            "view": p, "reference": ref,
            "figure": figure(images[p.index], heatmaps=[f["heatmap"] for f in own if f.get("heatmap")][:1],
                             marks=p.marks),
            "reference_figure": figure(images[ref.index], polygons=p.marks) if ref else None,
            "crops": [{**c, "title": titles.get(c["mark"].finding)}
                      for c in crops(images[p.index], images[ref.index] if ref else None, p.marks)],
        })

    def when(value: Any) -> str:
        return format_time(value, tz) if value is not None else "—"

    def words(key: str, params: dict[str, Any] | None = None) -> tuple[str, str]:
        return render(key, params or {}, zh), render(key, params or {}, en)

    timeline = []
    for e in sorted(case.timeline, key=lambda e: e.at.timestamp() if e.at.tzinfo else e.at.replace(
            tzinfo=UTC).timestamp()):
        details = e.details or {}
        title_zh, lines_zh = timeline_entry(e.action, details, zh, case.file_names)
        title_en, lines_en = timeline_entry(e.action, details, en, case.file_names)
        if not details and e.detail:  # an event given as plain text (engine-only callers)
            lines_zh, lines_en = [e.detail], []
        timeline.append({"at": when(e.at), "title": (title_zh, title_en), "lines": (lines_zh, lines_en),
                         "actor": (actor_words(e.actor, zh), actor_words(e.actor, en))})
    history = sorted(case.history, key=lambda h: (h.decided_at is None, h.decided_at or datetime.min, h.claim_id))
    total = cumulative_amount(history, tiers.counted_outcomes)
    cross_total = round(total + cross_platform_amount(case.ledger, tiers.currency), 2)
    css = (Path(__file__).parent / "templates" / "bundle.css").read_text("utf-8")
    return env.get_template("bundle.html").render(
        view=view, report=report, images=images, photos=photos, case=case, claim_id=claim_id, amount=amount,
        tiers=tiers, standings=standings(tiers, total), total=total, history=history, ledger=case.ledger,
        cross_total=cross_total, cross_standings=standings(tiers, cross_total), counted=tiers.counted_outcomes,
        digest=report_digest(report), when=when, words=words, timeline=timeline, css=css, t=bilingual(), lang="zh",
        show_alt=True, technical_appendix=True,
        generated_at=when(generated_at or datetime.now(UTC)),
        money=lambda v: "—" if v is None else f"{tiers.symbol}{v:,.2f}",
    )


def _data_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that serves inline ``data:`` URLs only: nothing from disk or network."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint >= 66
    except ImportError:  # older WeasyPrint: a plain function
        from weasyprint.urls import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
            if url.startswith("data:"):
                return default_url_fetcher(url, *args, **kwargs)
            raise ValueError(f"external resource refused in evidence bundle: {url[:80]}")

        return fetch
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def render_bundle(report: dict[str, Any], images: Sequence[LoadedImage], case: CaseFacts | None = None, *,
                  tiers: LegalTiers | None = None, generated_at: datetime | None = None,
                  progress: Callable[[str], None] | None = None) -> bytes:
    """The evidence bundle as PDF bytes, with the JSON report attached as ``report.json``; ``progress`` hears the
    stages (``stage.bundle.figures``, ``stage.bundle.pdf``)."""
    from weasyprint import HTML, Attachment

    check_cjk_font()
    if progress:
        progress("stage.bundle.figures")
    html = render_html(report, images, case, tiers=tiers, generated_at=generated_at)
    if progress:
        progress("stage.bundle.pdf")
    attachments = [Attachment(string=canonical_json(report), name="report.json",
                              description="RefundGuard JSON report (refundguard.report/1)")]
    if case is not None and case.audit_head is not None and case.audit_head.checkpoint:
        attachments.append(Attachment(string=json.dumps(case.audit_head.checkpoint, indent=2, sort_keys=True),
                                      name="audit-checkpoint.json",
                                      description="Signed audit checkpoint (refundguard.audit-checkpoint/1)"))
    if case is not None and case.ledger is not None and case.ledger.records:
        attachments.append(Attachment(string=json.dumps({"records": case.ledger.records}, ensure_ascii=False,
                                                        indent=1),
                                      name="ledger-records.json",
                                      description="Signed ledger records (check: refundguard ledger verify-records)"))
    pdf = HTML(string=html, url_fetcher=_data_only_fetcher()).write_pdf(attachments=attachments)
    if pdf is None:  # write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint produced no PDF")
    return pdf


def bundle_from_analysis(analysis: Analysis, case: CaseFacts | None = None, *,
                         tiers: LegalTiers | None = None, progress: Callable[[str], None] | None = None) -> bytes:
    """The evidence bundle of an engine-only analysis (CLI, local mode)."""
    return render_bundle(to_dict(analysis), analysis.images, case, tiers=tiers, progress=progress)


def write_bundle(pdf: bytes, path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return out
