"""The self-contained HTML report: thumbnails, outlined regions, heatmap overlays, bilingual reasons."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from refundguard.engine import Analysis
from refundguard.media.load import LoadedImage
from refundguard.report.ela import error_level_image
from refundguard.report.json import to_dict
from refundguard.report.templating import BASIS_TEXT, LEVEL_TEXT, env


def thumbnail_data_url(image: LoadedImage, max_side: int = 900) -> str:
    img = PILImage.fromarray(image.pixels)
    img.thumbnail((max_side, max_side), PILImage.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def error_level_data_url(image: LoadedImage, max_side: int = 900) -> str:
    """The error-level picture of ``image`` (full resolution, then reduced) as a PNG data URL: for people only."""
    ela = PILImage.fromarray(error_level_image(image.pixels))
    ela.thumbnail((max_side, max_side), PILImage.Resampling.BOX)
    buf = io.BytesIO()
    ela.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def render(analysis: Analysis, *, lang: str = "zh") -> str:
    """Render the report as one HTML page with everything embedded."""
    report = to_dict(analysis, heatmaps=False)  # the page draws overlays from the Heatmap objects
    cards: list[dict[str, Any]] = []
    for i, (im, meta) in enumerate(zip(analysis.images, report["images"], strict=True)):
        findings = [f for f in report["findings"] if f["image"] == i]
        overlays = [f.heatmap.to_overlay_data_url() for f in sorted(analysis.findings, key=lambda f: -f.contribution)
                    if f.image == i and f.heatmap is not None]
        ref_index = next((f["details"].get("reference_image") for f in findings
                          if isinstance(f["details"].get("reference_image"), int)), None)
        views = [dict(r, code=f["code"]) for f in report["findings"] if f["image"] is None
                 for r in (f["details"].get("regions_by_image") or {}).get(str(i), [])]
        cards.append({"index": i, "meta": meta, "thumb": thumbnail_data_url(im), "findings": findings, "views": views,
                      "heatmaps": overlays, "reference": ref_index,
                      "ela": error_level_data_url(im) if meta["role"] == "claim" else None})
    claim_level = [f for f in report["findings"] if f["image"] is None]
    return env.get_template("report.html").render(
        report=report, cards=cards, claim_level=claim_level, lang=lang, level_text=LEVEL_TEXT, basis_text=BASIS_TEXT,
        thumbs={c["index"]: c["thumb"] for c in cards},
    )


def write(analysis: Analysis, path: str | Path, *, lang: str = "zh") -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(analysis, lang=lang), encoding="utf-8")
    return out
