"""The evidence bundle: one PDF a merchant can attach to an appeal or hand to the police.

It holds the case summary, every image with its SHA-256, the findings drawn on the photos (heatmap and
outlined regions) beside the matched merchant reference, the timeline, the head of the audit chain, and
the buyer's cumulative adjudicated amounts set against legal tiers. The tiers and their citations are data
(``data/legal_tiers.toml``), shown as information, never as legal advice. The JSON report is attached to
the PDF, and its SHA-256 is printed, so that a reader can check the bundle against the stored report.

Two entry points: :func:`bundle_from_analysis` (engine only: CLI and local mode) and :func:`render_bundle`
(a stored report plus its images and case facts: the claim service).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw

from refundguard.engine import Analysis
from refundguard.errors import ConfigError
from refundguard.media.load import LoadedImage
from refundguard.report.json import to_dict
from refundguard.report.templating import BASIS_TEXT, LEVEL_TEXT, basis_of, env

ROLE_TEXT = {"claim": ("buyer's evidence", "买家凭证"), "reference": ("merchant reference", "商家参考图")}
KINDS = ("criminal", "administrative", "civil")


# --------------------------------------------------------------------------------------------- legal tiers
@dataclass(frozen=True, slots=True)
class Tier:
    """One threshold of a law: it applies from ``min_amount`` upwards."""

    min_amount: float
    label_en: str
    label_zh: str


@dataclass(frozen=True, slots=True)
class Law:
    id: str
    kind: str  # criminal | administrative | civil
    citation_en: str
    citation_zh: str
    summary_en: str
    summary_zh: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True)
class LegalTiers:
    laws: tuple[Law, ...]
    currency: str
    symbol: str
    disclaimer_en: str
    disclaimer_zh: str
    counted_outcomes: frozenset[str]
    source: str


@dataclass(frozen=True, slots=True)
class Standing:
    """Where an amount stands against one law: the highest tier reached and the next one."""

    law: Law
    amount: float
    reached: Tier | None
    next: Tier | None

    @property
    def shortfall(self) -> float | None:
        """How much more would reach the next tier (``None`` above the last tier)."""
        return None if self.next is None else round(self.next.min_amount - self.amount, 2)


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"legal tiers: {where}: '{key}' must be a non-empty string")
    return value.strip()


def parse_legal_tiers(data: dict[str, Any], source: str = "<data>") -> LegalTiers:
    """Validate parsed TOML into :class:`LegalTiers`; raise :class:`ConfigError` with the faulty key."""
    laws: list[Law] = []
    raw_laws = data.get("law")
    if not isinstance(raw_laws, list) or not raw_laws:
        raise ConfigError(f"legal tiers {source}: at least one [[law]] table is required")
    seen: set[str] = set()
    for n, raw in enumerate(raw_laws):
        where = f"{source} law #{n + 1}"
        law_id = _text(raw, "id", where)
        if law_id in seen:
            raise ConfigError(f"legal tiers {source}: duplicate law id {law_id!r}")
        seen.add(law_id)
        kind = _text(raw, "kind", where)
        if kind not in KINDS:
            raise ConfigError(f"legal tiers {where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        tiers: list[Tier] = []
        for m, t in enumerate(raw.get("tier") or []):
            amount = t.get("min_amount")
            if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount) \
                    or amount < 0:
                raise ConfigError(f"legal tiers {where} tier #{m + 1}: min_amount must be a number ≥ 0")
            tiers.append(Tier(float(amount), _text(t, "label_en", where), _text(t, "label_zh", where)))
        if not tiers:
            raise ConfigError(f"legal tiers {where}: at least one [[law.tier]] is required")
        amounts = [t.min_amount for t in tiers]
        if amounts != sorted(amounts) or len(set(amounts)) != len(amounts):
            raise ConfigError(f"legal tiers {where}: tiers must be in strictly increasing min_amount order")
        laws.append(Law(law_id, kind, _text(raw, "citation_en", where), _text(raw, "citation_zh", where),
                        _text(raw, "summary_en", where), _text(raw, "summary_zh", where), tuple(tiers)))
    outcomes = (data.get("adjudication") or {}).get("counted_outcomes", ["rejected"])
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise ConfigError(f"legal tiers {source}: adjudication.counted_outcomes must be a list of strings")
    return LegalTiers(laws=tuple(laws), currency=str(data.get("currency", "CNY")), symbol=str(data.get("symbol", "¥")),
                      disclaimer_en=_text(data, "disclaimer_en", source),
                      disclaimer_zh=_text(data, "disclaimer_zh", source),
                      counted_outcomes=frozenset(outcomes), source=source)


def load_legal_tiers(path: str | os.PathLike[str] | None = None) -> LegalTiers:
    """The legal tiers from ``path``, ``$REFUNDGUARD_LEGAL_TIERS``, or the packaged defaults."""
    path = path or os.environ.get("REFUNDGUARD_LEGAL_TIERS")
    if path:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read legal tiers {path}: {exc.strerror or exc}") from exc
        source = os.fspath(path)
    else:
        text = resources.files("refundguard.data").joinpath("legal_tiers.toml").read_text("utf-8")
        source = "refundguard/data/legal_tiers.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"legal tiers {source} is not valid TOML: {exc}") from exc
    return parse_legal_tiers(data, source)


def standings(tiers: LegalTiers, amount: float) -> list[Standing]:
    """Each law's highest tier reached by ``amount`` and the next tier above it."""
    out: list[Standing] = []
    for law in tiers.laws:
        reached = None
        nxt = None
        for tier in law.tiers:
            if amount >= tier.min_amount:
                reached = tier
            elif nxt is None:
                nxt = tier
        out.append(Standing(law=law, amount=amount, reached=reached, next=nxt))
    return out


# -------------------------------------------------------------------------------------------- case facts
@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: datetime
    action: str
    actor: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AdjudicatedClaim:
    """One of the buyer's claims that a reviewer decided (this claim included, if decided)."""

    claim_id: str
    amount: float
    outcome: str
    decided_at: datetime | None = None
    merchant_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The head of the hash-chained audit log when the bundle was made, and what its verification found.

    ``verified`` is None when the chain was not walked; False when anything disagrees: an entry, the head, a
    claim row against the chain's snapshot of its facts, or the chain against a held checkpoint (``problems``
    says which, ``checkpoints`` how many signed checkpoints were compared). ``checkpoint`` is the signed
    checkpoint of this head (only for an intact chain) for the reader to keep.
    """

    hash: str
    entries: int
    verified: bool | None = None
    chain: str | None = None
    problems: tuple[str, ...] = ()
    checkpoints: int = 0
    checkpoint: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntryProof:
    """A cross-platform ledger entry in the bundle, with the signed record that proves it (issue #18)."""

    issuer: str
    entry_id: str
    decided_on: str | None
    outcome: str | None
    amount: float | None
    currency: str | None
    record_seq: int
    record_hash: str
    key_fingerprint: str
    verified: bool  # the issuer's Ed25519 signature checked when the bundle was made
    status: str  # active | contested | revoked | expired, as held when the bundle was made
    own: bool  # issued by this platform (then it is one of the claims in ``history``)


@dataclass
class CrossPlatform:
    """The ledger's entries for the buyer (reviewer and police views only) and the records to attach."""

    entries: list[LedgerEntryProof] = field(default_factory=list)
    note_en: str | None = None
    note_zh: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)


def cross_platform_amount(ledger: CrossPlatform | None, currency: str) -> float:
    """Sum of other platforms' standing, verified entries in ``currency`` (own entries are in the history)."""
    if ledger is None:
        return 0.0
    return round(sum(e.amount or 0.0 for e in ledger.entries
                     if not e.own and e.verified and e.status == "active" and e.currency == currency), 2)


@dataclass
class CaseFacts:
    """What the claim service knows beyond the photos; every field is optional for the engine-only bundle."""

    claim_id: str | None = None
    status: str | None = None
    tenant: str | None = None
    merchant_id: str | None = None
    buyer_id: str | None = None
    amount: float | None = None
    created_at: datetime | None = None
    deadline: datetime | None = None
    decision: str | None = None
    decision_reason: str | None = None
    timeline: list[TimelineEvent] = field(default_factory=list)
    audit_head: AuditHead | None = None
    history: list[AdjudicatedClaim] = field(default_factory=list)
    ledger: CrossPlatform | None = None


def cumulative_amount(history: Sequence[AdjudicatedClaim], counted: frozenset[str] | set[str]) -> float:
    """Sum of the amounts of adjudicated claims whose outcome counts (each claim id once)."""
    seen: dict[str, float] = {}
    for item in history:
        if item.outcome in counted and math.isfinite(item.amount) and item.amount > 0:
            seen[item.claim_id] = item.amount
    return round(sum(seen.values()), 2)


# ----------------------------------------------------------------------------------------------- figures
def _decode_data_url(url: str) -> bytes | None:
    if not url.startswith("data:") or "," not in url:
        return None
    try:
        return base64.b64decode(url.split(",", 1)[1], validate=False)
    except ValueError:
        return None


def figure(image: LoadedImage, *, heatmaps: Sequence[str] = (), regions: Sequence[dict[str, int]] = (),
           max_side: int = 900) -> str:
    """The photo as a JPEG data URL with heatmaps blended in red and the regions outlined.

    Parameters
    ----------
    image : the loaded photo; its EXIF-oriented ``pixels`` are the coordinate frame of ``regions``.
    heatmaps : PNG data URLs of grey-level maps in [0, 255] (any size; scaled to the photo).
    regions : boxes ``{"x", "y", "w", "h"}`` in image pixels.
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
        alpha = np.asarray(heat, dtype=np.float32)[..., None] / 255.0 * 0.65
        rgb = rgb * (1.0 - alpha) + np.array([230.0, 20.0, 40.0], dtype=np.float32) * alpha
    out = PILImage.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(out)
    width = max(2, round(max(out.size) / 250))
    for r in regions:
        x0, y0 = r["x"] * scale, r["y"] * scale
        x1, y1 = (r["x"] + r["w"]) * scale, (r["y"] + r["h"]) * scale
        draw.rectangle([x0, y0, max(x0 + 1, x1), max(y0 + 1, y1)], outline=(255, 23, 68), width=width)
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# ------------------------------------------------------------------------------------------- rendering
def evidence_lines(details: dict[str, Any], limit: int = 16) -> list[tuple[str, str]]:
    """Finding details as short ``(key, value)`` lines (metadata field, matched claim, OCR text ...)."""
    lines: list[tuple[str, str]] = []
    for key, value in details.items():
        if len(lines) >= limit:
            lines.append(("…", f"{len(details) - limit} more / 另有 {len(details) - limit} 项"))
            break
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        lines.append((str(key), text if len(text) <= 300 else text[:300] + "…"))
    return lines


def report_digest(report: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON report (sorted keys, UTF-8) that is attached to the bundle."""
    return hashlib.sha256(canonical_json(report).encode("utf-8")).hexdigest()


def canonical_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _money(value: float | None, symbol: str) -> str:
    return "—" if value is None else f"{symbol}{value:,.2f}"


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.isoformat(timespec="minutes") if value.tzinfo else value.isoformat(timespec="minutes") + " (UTC)"


def render_html(report: dict[str, Any], images: Sequence[LoadedImage], case: CaseFacts | None = None, *,
                tiers: LegalTiers | None = None, generated_at: datetime | None = None) -> str:
    """The bundle as HTML (the PDF's source). ``images`` are in the order of ``report["images"]``."""
    if len(images) != len(report["images"]):
        raise ValueError(f"{len(images)} images given for a report of {len(report['images'])}")
    case = case or CaseFacts()
    tiers = tiers or load_legal_tiers()
    facts = report.get("claim") or {}
    claim_id = case.claim_id or facts.get("claim_id")
    amount = case.amount if case.amount is not None else facts.get("amount")
    cards: list[dict[str, Any]] = []
    for i, (im, meta) in enumerate(zip(images, report["images"], strict=True)):
        if meta["role"] != "claim":
            continue
        found = [f for f in report["findings"] if f["image"] == i]
        ref = next((f["details"].get("reference_image") for f in found
                    if isinstance(f.get("details", {}).get("reference_image"), int)
                    and 0 <= f["details"]["reference_image"] < len(images)), None)
        cards.append({
            "index": i, "meta": meta, "name": im.name,
            "figure": figure(im, heatmaps=[f["heatmap"] for f in found if f.get("heatmap")],
                             regions=[r for f in found for r in f["regions"]]),
            "reference": None if ref is None else {"index": ref, "name": images[ref].name,
                                                   "sha256": images[ref].sha256, "figure": figure(images[ref])},
            "findings": [{**f, "evidence": evidence_lines(f.get("details") or {})} for f in found],
        })
    claim_level = [{**f, "evidence": evidence_lines(f.get("details") or {})}
                   for f in report["findings"] if f["image"] is None]
    history = sorted(case.history, key=lambda h: (h.decided_at is None, h.decided_at or datetime.min, h.claim_id))
    total = cumulative_amount(history, tiers.counted_outcomes)
    cross_total = round(total + cross_platform_amount(case.ledger, tiers.currency), 2)
    digest = report_digest(report)
    css = resources.files("refundguard.report").joinpath("templates", "bundle.css").read_text("utf-8")
    return env.get_template("bundle.html").render(
        report=report, images=images, cards=cards, claim_level=claim_level, case=case, claim_id=claim_id,
        amount=amount, tiers=tiers, standings=standings(tiers, total), total=total, history=history,
        ledger=case.ledger, cross_total=cross_total, cross_standings=standings(tiers, cross_total),
        counted=tiers.counted_outcomes, digest=digest, level_text=LEVEL_TEXT, role_text=ROLE_TEXT,
        basis_text=BASIS_TEXT, coverage=basis_of(report),
        generated_at=(generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        money=lambda v: _money(v, tiers.symbol), when=_when, css=css,
        timeline=sorted(case.timeline, key=lambda e: e.at.timestamp() if e.at.tzinfo else e.at.replace(
            tzinfo=UTC).timestamp()),
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
                  tiers: LegalTiers | None = None, generated_at: datetime | None = None) -> bytes:
    """The evidence bundle as PDF bytes, with the JSON report attached as ``report.json``."""
    from weasyprint import HTML, Attachment

    html = render_html(report, images, case, tiers=tiers, generated_at=generated_at)
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
                         tiers: LegalTiers | None = None) -> bytes:
    """The evidence bundle of an engine-only analysis (CLI, local mode)."""
    return render_bundle(to_dict(analysis), analysis.images, case, tiers=tiers)


def write_bundle(pdf: bytes, path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return out
