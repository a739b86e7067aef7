"""One typed view of a report for every surface: the standalone HTML, the web case page and the PDF bundle.

:func:`report_view` parses the stored JSON once (:class:`~refundguard.report.schema.ReportModel`) and words
everything for one reader (:class:`~refundguard.messages.Context`: language, photo names, time zone) with the
message catalogue: each sentence comes as :class:`Words` (the reader's language and the other one). The surfaces
differ only in how they draw the photos (SVG outlines over a thumbnail, or outlines burnt into a PDF figure) and
in the case facts around the report; the shared Jinja partials (``report/templates/_*.html``) show the rest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from refundguard.findings import CODES
from refundguard.messages import Context, finding_key, render, shown
from refundguard.messages.compose import coverage_summary, failure_notes, photo_prefix
from refundguard.report.schema import FindingModel, ReportModel

#: how strong each finding is as evidence: a change proven against independent evidence, a declaration or mark
#: of AI generation, a weak blind cue, or context about the claim (not the pixels)
STRENGTH: dict[str, str] = {
    "reference.derived_edit": "proven", "reference.derived_copy": "proven", "multiview.inconsistent_damage": "proven",
    "reuse.duplicate": "proven", "reuse.template": "proven", "provenance.c2pa.tampered": "proven",
    "live.damage_absent": "proven", "live.item_not_matched": "proven", "live.inconsistent_views": "proven",
    "live.code_wrong": "proven",
    "provenance.c2pa.ai_source": "declared", "provenance.aigc_label": "declared",
    "provenance.iptc.ai_source": "declared",
    "provenance.generator_metadata": "declared", "watermark.invisible": "declared", "label.visible_ai_text": "declared",
    "ledger.prior_abuse": "context", "provenance.c2pa.valid_capture": "context", "live.damage_confirmed": "context",
}
STRENGTHS = ("proven", "declared", "cue", "context")


def strength_of(code: str) -> str:
    return STRENGTH.get(code, "cue")


@dataclass(frozen=True, slots=True)
class Words:
    """A sentence for the reader (``text``) and the same in the other language (``alt``)."""

    text: str
    alt: str

    def __str__(self) -> str:
        return self.text


def words(key: str, params: Mapping[str, Any] | None, ctx: Context) -> Words:
    return Words(render(key, params, ctx), render(key, params, ctx.other()))


@dataclass(frozen=True, slots=True)
class Mark:
    """An outlined region on a photo, drawn in the style of its finding's strength; ``number`` labels it."""

    x: int
    y: int
    w: int
    h: int
    code: str
    strength: str
    number: int
    finding: int | None = None
    role: str | None = None  # a multiview region's role (damage, expected_damage_missing)
    #: the same region in the matched reference's pixels (the finding's transform inverted), as (x, y) corners
    on_reference: tuple[tuple[float, float], ...] | None = None


@dataclass(frozen=True, slots=True)
class FindingView:
    index: int
    code: str
    variant: str | None
    check: str
    image: int | None
    score: float
    weight: float
    counted: bool
    strength: str
    title: Words
    text: Words
    evidence: list[tuple[str, str]]
    regions: int
    heatmap: str | None = None


@dataclass
class PhotoView:
    index: int
    number: int
    name: str
    role: str
    role_words: Words
    sha256: str
    width: int
    height: int
    format: str
    risk: float
    level: str
    level_words: Words
    thumb: str | None = None
    findings: list[FindingView] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    heatmaps: list[str] = field(default_factory=list)
    reference: int | None = None
    #: the error-level picture (standalone HTML only: an aid for the eye, never evidence)
    ela: str | None = None

    @property
    def evidence(self) -> bool:
        """A photo offered as evidence of the claim (the buyer's, or a live shot), not the merchant's."""
        return self.role != "reference"


@dataclass(frozen=True, slots=True)
class CheckRow:
    name: str
    name_words: Words
    status: str
    status_words: Words
    ms: float | None
    why: Words | None
    skipped: list[Words]


@dataclass
class ReportView:
    lang: str
    report: ReportModel
    risk: float
    level: str
    level_words: Words
    basis: str
    basis_words: Words
    summary: Words
    headline: Words
    reasons: list[Words]
    photos: list[PhotoView]
    claim_level: list[FindingView]
    checks: list[CheckRow]
    verifications: list[Words]
    failed: list[str]
    legend: list[tuple[str, Words]]
    recorded_coverage: bool
    #: every finding in report order (``findings[i].index == i``)
    findings: list[FindingView] = field(default_factory=list)

    @property
    def evidence_photos(self) -> list[PhotoView]:
        return [p for p in self.photos if p.evidence]

    @property
    def references(self) -> list[PhotoView]:
        return [p for p in self.photos if not p.evidence]

    def photo(self, index: int | None) -> PhotoView | None:
        return self.photos[index] if index is not None and 0 <= index < len(self.photos) else None


# ------------------------------------------------------------------------------------------------ helpers
#: finding details that hold photo indices (0-based in the JSON), at the top level or nested (multiview's
#: ``pairs[].images``, ``differences[].shown_in``): shown as the photo's number and name
IMAGE_KEYS = frozenset({"reference_image", "image", "images", "shown_in", "missing_in"})
#: details that only word a finding's sentence (which parts it says, what it repeats of other details): not
#: evidence lines of their own
WORDING_KEYS = frozenset({"notes", "sentence", "unlisted", "more_actions", "shown_action", "camera_shown",
                          "remnant_parts", "shown_claims", "content", "summary", "time_source"})


def _photo_label(value: Any, names: Sequence[str]) -> str | None:
    """``#2 listing.jpg`` for a photo index (or a list of them), as every surface numbers photos; else None."""
    indices = value if isinstance(value, list) else [value]
    if not indices or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(names)
                              for i in indices):
        return None
    return ", ".join(f"#{i + 1} {names[i]}" for i in indices)


def _numbered(value: Any, names: Sequence[str]) -> Any:
    """``value`` with the photo indices nested in it (under :data:`IMAGE_KEYS`) shown as ``#2 listing.jpg``."""
    if isinstance(value, Mapping):
        return {k: (_photo_label(v, names) or v) if k in IMAGE_KEYS else _numbered(v, names)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_numbered(v, names) for v in value]
    return value


def evidence_lines(details: Mapping[str, Any], limit: int = 16, names: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Finding details as short ``(key, value)`` lines (metadata field, matched claim, OCR text ...); photo
    indices become the photo's number and file name (``#2 listing.jpg``), never the JSON's 0-based index."""
    lines: list[tuple[str, str]] = []
    hidden = {"transform", "regions_by_image", "shown_cues", *WORDING_KEYS}
    items = [(k, v) for k, v in details.items() if k not in hidden]
    for key, value in items:
        if len(lines) >= limit:
            lines.append(("…", f"+{len(items) - limit}"))
            break
        label = _photo_label(value, names) if key in IMAGE_KEYS else None
        text = label or (value if isinstance(value, str)
                         else json.dumps(_numbered(value, names), ensure_ascii=False, default=str))
        lines.append((str(key), text if len(text) <= 300 else text[:300] + "…"))
    return lines


def matched_reference(findings: Sequence[FindingModel], count: int) -> int | None:
    """The merchant photo a finding of this photo matched (``details.reference_image``), if any."""
    for f in findings:
        ref = f.details.get("reference_image")
        if isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < count:
            return ref
    return None


def to_reference(transform: Any, box: tuple[int, int, int, int]) -> tuple[tuple[float, float], ...] | None:
    """The corners of ``box`` (claim pixels) in the reference's pixels: ``transform`` maps reference -> claim."""
    try:
        h = np.asarray(transform, dtype=np.float64)
        if h.shape != (3, 3) or not np.all(np.isfinite(h)):
            return None
        inv = np.linalg.inv(h)
    except (ValueError, TypeError, np.linalg.LinAlgError):
        return None
    x, y, w, hh = box
    corners = np.array([[x, y, 1.0], [x + w, y, 1.0], [x + w, y + hh, 1.0], [x, y + hh, 1.0]]).T
    mapped = inv @ corners
    if np.any(np.abs(mapped[2]) < 1e-9):
        return None
    pts = (mapped[:2] / mapped[2]).T
    return tuple((round(float(px), 1), round(float(py), 1)) for px, py in pts)


def _finding_view(i: int, f: FindingModel, ctx: Context) -> FindingView:
    key = finding_key(f.code, f.variant)
    stored = f.message.model_dump()
    title = CODES.get(f.code, (f.code, f.code))
    text = Words(shown(key, f.details, ctx, stored=stored), shown(key, f.details, ctx.other(), stored=stored))
    return FindingView(index=i, code=f.code, variant=f.variant, check=f.check, image=f.image, score=f.score,
                       weight=f.weight, counted=f.counted, strength=strength_of(f.code),
                       title=Words(title[1], title[0]) if ctx.lang == "zh" else Words(title[0], title[1]),
                       text=text, evidence=evidence_lines(f.details, names=ctx.names), regions=len(f.regions),
                       heatmap=f.heatmap)


def _overlay(url: str) -> str | None:
    from refundguard.findings import Heatmap

    try:
        return Heatmap.from_data_url(url).to_overlay_data_url()
    except (ValueError, OSError):
        return None


def _reasons(report: ReportModel, findings: list[FindingView], ctx: Context) -> tuple[list[Words], list[FindingView]]:
    """The reasons behind the level (failed-check notes first, then findings, strongest first) and those findings."""
    if report.reason_findings is None:  # stored before the catalogue: the reasons as written
        en, zh = report.reasons, report.reasons_zh
        return [Words(z, e) if ctx.lang == "zh" else Words(e, z) for e, z in zip(en, zh, strict=False)], []
    cov = report.coverage.model_dump()
    out = [Words(a, b) for a, b in zip(failure_notes(cov, ctx), failure_notes(cov, ctx.other()), strict=True)]
    evidence = sum(1 for im in report.images if im.role != "reference")
    behind = [findings[i] for i in report.reason_findings if 0 <= i < len(findings)]
    for f in behind:
        out.append(Words(photo_prefix(ctx.names, f.image, evidence, ctx) + f.text.text,
                         photo_prefix(ctx.names, f.image, evidence, ctx.other()) + f.text.alt))
    return out, behind


def _headline(report: ReportModel, reasons: list[Words], behind: list[FindingView], basis: str,
              ctx: Context) -> Words:
    """Two sentences for the first page: what was found, and what that rests on."""
    params: dict[str, Any] = {"risk": report.risk, "level": report.level}
    evidence = sum(1 for im in report.images if im.role != "reference")
    made = []
    for c in (ctx, ctx.other()):
        top = next((f for f in behind if f.strength == "proven"), behind[0] if behind else None)
        if top is not None:
            reason = photo_prefix(c.names, top.image, evidence, c) + (top.text.text if c.lang == ctx.lang
                                                                       else top.text.alt)
            first = render("headline.found", {**params, "reason": reason}, c)
        elif reasons:
            first = render("headline.found", {**params, "reason": reasons[0].text if c.lang == ctx.lang
                                              else reasons[0].alt}, c)
        else:
            first = render("headline.nothing", params, c)
        made.append(first + ("" if c.lang == "zh" else " ") + render(f"headline.basis.{basis}", {}, c))
    return Words(made[0], made[1])


def _marks(report: ReportModel, index: int, findings: list[FindingView], reference: int | None) -> list[Mark]:
    marks: list[Mark] = []
    transform = None
    for f in report.findings:
        if f.image == index and reference is not None and f.details.get("reference_image") == reference:
            transform = f.details.get("transform")
    for i, f in enumerate(report.findings):
        if f.image == index:
            for r in f.regions:
                on_ref = to_reference(transform, (r.x, r.y, r.w, r.h)) if (
                    transform is not None and strength_of(f.code) == "proven") else None
                marks.append(Mark(r.x, r.y, r.w, r.h, f.code, strength_of(f.code), len(marks) + 1, i,
                                  on_reference=on_ref))
        for r in ((f.details.get("regions_by_image") or {}).get(str(index)) or []):
            if f.image != index and all(isinstance(r.get(k), int | float) for k in ("x", "y", "w", "h")):
                marks.append(Mark(int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"]), f.code, strength_of(f.code),
                                  len(marks) + 1, i, role=str(r.get("role") or "") or None))
    return marks


def _checks(report: ReportModel, ctx: Context) -> list[CheckRow]:
    rows = []
    for name, c in report.checks.items():
        name_words = words(f"check.{name}", {}, ctx) if f"check.{name}" in _catalogue() else Words(name, name)
        why: Words | None = None
        if c.status == "failed":
            why = Words(c.error or "", c.error or "")
        elif c.why or c.key:
            stored = c.why
            why = Words(shown(c.key, c.params, ctx, stored=stored), shown(c.key, c.params, ctx.other(), stored=stored))
        skipped = []
        for p in c.photos or []:
            if p.status == "skipped":
                stored_p = {"en": p.why or "", "zh": p.why_zh or p.why or ""}
                name_p = ctx.names[p.image] if 0 <= p.image < len(ctx.names) else f"#{p.image + 1}"
                skipped.append(Words(f"{name_p}: " + shown(p.key, p.params, ctx, stored=stored_p),
                                     f"{name_p}: " + shown(p.key, p.params, ctx.other(), stored=stored_p)))
        status = "not_requested" if c.status == "not_requested" else c.status
        rows.append(CheckRow(name=name, name_words=name_words, status=c.status,
                             status_words=words(f"check_status.{status}", {}, ctx), ms=c.ms, why=why, skipped=skipped))
    return rows


def _catalogue() -> Any:
    from refundguard.messages import CATALOGUE

    return CATALOGUE


def report_view(report: Mapping[str, Any] | ReportModel, *, names: Sequence[str] | None = None,
                lang: str = "zh", thumbs: Sequence[str | None] | None = None, tz: Any = None,
                symbol: str = "¥", overlays: bool = True) -> ReportView:
    """The view of ``report`` for a reader of ``lang``.

    ``names`` are the photos' display names in report order (the uploaded file names; by default the last part of
    ``images[].path``); ``thumbs`` their pictures as data URLs where the surface shows them; ``tz`` the zone the
    reader's times are in; ``overlays`` draws the strongest finding's heatmap over each photo (pages).
    """
    recorded = True
    if not isinstance(report, ReportModel):
        data = dict(report)
        if not isinstance(data.get("coverage"), dict):  # stored before coverage was recorded: unverified
            recorded = False
            data["coverage"] = {"basis": "unverified", "incomplete": False, "verified": False,
                                "summary": {"en": "", "zh": ""}, "photos": [], "verifications": [], "failed": [],
                                "not_requested": []}
        data.setdefault("reasons_zh", data.get("reasons", []))
        model = ReportModel.model_validate(data)
    else:
        model = report
    if names is None:
        names = [im.path.replace("\\", "/").rsplit("/", 1)[-1] for im in model.images]
    if len(names) != len(model.images):
        raise ValueError(f"{len(names)} names for a report of {len(model.images)} images")
    if thumbs is not None and len(thumbs) != len(model.images):
        raise ValueError(f"{len(thumbs)} thumbnails for {len(model.images)} images")
    ctx = Context(lang=lang, names=tuple(names), tz=tz, symbol=symbol)
    findings = [_finding_view(i, f, ctx) for i, f in enumerate(model.findings)]
    photos: list[PhotoView] = []
    for i, im in enumerate(model.images):
        own = [f for f in model.findings if f.image == i]
        ref = matched_reference(own, len(model.images)) if im.role != "reference" else None
        photo = PhotoView(
            index=i, number=i + 1, name=names[i], role=im.role,
            role_words=(words(f"role.{im.role}", {}, ctx) if f"role.{im.role}" in _catalogue()
                        else Words(im.role, im.role)),
            sha256=im.sha256, width=im.width, height=im.height, format=im.format, risk=im.risk, level=im.level,
            level_words=words(f"level.{im.level}", {}, ctx), thumb=thumbs[i] if thumbs else None,
            findings=[findings[j] for j, f in enumerate(model.findings) if f.image == i], reference=ref)
        photo.marks = _marks(model, i, findings, ref)
        if overlays:
            ranked = sorted((f for f in photo.findings if f.heatmap), key=lambda f: -f.weight * f.score)
            photo.heatmaps = [o for o in (_overlay(f.heatmap) for f in ranked[:1] if f.heatmap) if o]
        photos.append(photo)
    cov = model.coverage
    basis = cov.basis
    if recorded:
        summary = Words(coverage_summary(cov.model_dump(), model.level, ctx),
                        coverage_summary(cov.model_dump(), model.level, ctx.other()))
    else:
        summary = words("basis.unrecorded", {}, ctx)
    reasons, behind = _reasons(model, findings, ctx)
    present = {f.strength for f in findings if f.regions or f.strength != "context"}
    legend = [(s, words(f"strength.{s}", {}, ctx)) for s in STRENGTHS if s in present]
    verifications = [Words(shown(v.key, v.params, ctx, stored=v.message.model_dump()),
                           shown(v.key, v.params, ctx.other(), stored=v.message.model_dump()))
                     for v in cov.verifications if v.kind != "provenance"]
    return ReportView(
        lang=lang, report=model, risk=model.risk, level=model.level, level_words=words(f"level.{model.level}", {}, ctx),
        basis=basis, basis_words=words(f"basis.{basis}", {}, ctx), summary=summary,
        headline=_headline(model, reasons, behind, basis, ctx), reasons=reasons, photos=photos,
        claim_level=[f for f in findings if f.image is None], checks=_checks(model, ctx), verifications=verifications,
        failed=[f.check for f in cov.failed], legend=legend, recorded_coverage=recorded, findings=findings)
