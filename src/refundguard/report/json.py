"""The JSON report (schema ``refundguard.report/1``)."""

from __future__ import annotations

import json
from typing import Any

from refundguard.engine import Analysis
from refundguard.report.schema import SCHEMA, ReportModel


def jsonable(value: Any) -> Any:
    """Convert NumPy scalars/arrays, tuples, sets and dates into JSON-ready values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalar or array
        return jsonable(value.tolist())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _claim_facts(analysis: Analysis) -> dict[str, Any]:
    facts = {}
    for key in ("claim_id", "order_time", "shipped_at", "delivered_at", "claimed_at", "amount"):
        value = getattr(analysis.claim, key)
        if value is not None:
            facts[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return facts


def photo_prefix(analysis: Analysis, image: int | None) -> str:
    """Name the photo a reason is about when the claim has several."""
    if image is None or analysis.roles.count("claim") < 2:
        return ""
    return f"{analysis.images[image].name}: "


def coverage_dict(analysis: Analysis) -> dict[str, Any]:
    """The report's ``coverage`` section: what was verified, what failed, what the level rests on."""
    a = analysis.assessment
    c = a.coverage
    assert a.basis_text is not None
    return {
        "basis": c.basis, "incomplete": c.incomplete, "verified": c.verified,
        "summary": a.basis_text.to_dict(),
        "photos": [{"image": i, "verified_by": list(c.verified_by(i))} for i in c.claim_photos],
        "verifications": [{"kind": v.kind, "check": v.check, "images": list(v.images),
                           "message": {"en": v.en, "zh": v.zh}, "key": v.key, "params": v.params or None}
                          for v in c.verifications],
        "failed": [{"check": name, "error": error} for name, error in c.failed],
        "not_requested": list(c.not_requested),
    }


def to_dict(analysis: Analysis, *, heatmaps: bool = True) -> dict[str, Any]:
    """The report as plain JSON-ready data, validated against :class:`ReportModel`."""
    a = analysis.assessment
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "version": analysis.version,
        "risk": round(a.risk, 4),
        "level": a.level,
        "images": [
            {"path": im.path, "sha256": im.sha256, "width": im.width, "height": im.height, "format": im.format,
             "role": role, "risk": round(risk, 4), "level": level,
             "reduced": im.reduction.to_dict() if im.reduction is not None else None}
            for im, role, risk, level in zip(analysis.images, analysis.roles, a.image_risks, a.image_levels,
                                             strict=True)
        ],
        "findings": [
            {"code": f.code, "variant": f.variant, "check": f.check, "image": f.image, "score": round(f.score, 4),
             "weight": f.weight, "message": f.message.to_dict(), "regions": [r.to_dict() for r in f.regions],
             "heatmap": f.heatmap.to_data_url() if (heatmaps and f.heatmap is not None) else None,
             "details": jsonable(f.details), "counted": i not in a.uncounted}
            for i, f in enumerate(analysis.findings)
        ],
        "checks": {name: {k: v for k, v in vars(s).items() if v is not None}
                   for name, s in analysis.checks.items()},
        "coverage": coverage_dict(analysis),
        "reasons": [n.en for n in a.notes] + [photo_prefix(analysis, f.image) + f.message.en for f in a.reasons],
        "reasons_zh": [n.zh for n in a.notes] + [photo_prefix(analysis, f.image) + f.message.zh for f in a.reasons],
        "reason_findings": _positions(analysis.findings, a.reasons),
        "claim": _claim_facts(analysis),
    }
    out = ReportModel.model_validate(data).model_dump(mode="json", by_alias=True)
    out["checks"] = {name: _without_nulls(status) for name, status in out["checks"].items()}
    return out


def _positions(findings: list[Any], chosen: tuple[Any, ...]) -> list[int]:
    where = {id(f): i for i, f in enumerate(findings)}
    return [where[id(f)] for f in chosen if id(f) in where]


def _without_nulls(status: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in status.items() if v is not None}
    if "photos" in out:
        out["photos"] = [{k: v for k, v in p.items() if v is not None} for p in out["photos"]]
    return out


def dumps(analysis: Analysis, *, indent: int | None = 2, heatmaps: bool = True) -> str:
    return json.dumps(to_dict(analysis, heatmaps=heatmaps), ensure_ascii=False, indent=indent, default=str)
