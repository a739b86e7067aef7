"""The view model of a report: claim photos beside their matched reference, heatmaps, regions, findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from refundguard.findings import Heatmap
from refundguard.media.load import LoadedImage
from refundguard.report.html import thumbnail_data_url
from refundguard.report.pdf import evidence_lines
from refundguard.report.templating import basis_of


def _matched_reference(findings: list[dict[str, Any]], count: int) -> int | None:
    for f in findings:
        ref = (f.get("details") or {}).get("reference_image")
        if isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < count:
            return ref
    return None


class Named(Protocol):
    name: str


def report_view(report: dict[str, Any], images: Sequence[LoadedImage | Named], *, max_side: int = 720,
                thumbs: Sequence[str] | None = None) -> dict[str, Any]:
    """Everything a page needs to show a report; ``images`` follow ``report["images"]``.

    ``thumbs`` are the photos' thumbnails as data URLs when the caller has them (the service's case page
    keeps them in the evidence store, see :mod:`refundguard.web.thumbs`); ``images`` then need only names.
    """
    if len(images) != len(report["images"]):
        raise ValueError(f"{len(images)} images for a report of {len(report['images'])}")
    if thumbs is None:
        thumbs = [thumbnail_data_url(im, max_side=max_side) for im in images]  # type: ignore[arg-type]
    elif len(thumbs) != len(images):
        raise ValueError(f"{len(thumbs)} thumbnails for {len(images)} images")
    cards: list[dict[str, Any]] = []
    for i, meta in enumerate(report["images"]):
        if meta["role"] != "claim":
            continue
        found = [f for f in report["findings"] if f["image"] == i]
        ref = _matched_reference(found, len(images))
        cards.append({
            "index": i, "meta": meta, "name": images[i].name, "thumb": thumbs[i],
            "heatmaps": [Heatmap.from_data_url(f["heatmap"]).to_overlay_data_url() for f in found if f.get("heatmap")],
            "regions": [{**r, "code": f["code"]} for f in found for r in f["regions"]],
            "reference": None if ref is None else {"index": ref, "name": images[ref].name, "thumb": thumbs[ref],
                                                   "meta": report["images"][ref]},
            "findings": [{**f, "evidence": evidence_lines(f.get("details") or {})} for f in found],
        })
    references = [{"index": i, "name": images[i].name, "thumb": thumbs[i], "meta": meta}
                  for i, meta in enumerate(report["images"]) if meta["role"] == "reference"]
    claim_level = [{**f, "evidence": evidence_lines(f.get("details") or {})}
                   for f in report["findings"] if f["image"] is None]
    failed = {name: c for name, c in report["checks"].items() if c.get("status") == "failed"}
    return {"report": report, "cards": cards, "references": references, "claim_level": claim_level,
            "failed": failed, "coverage": basis_of(report)}
