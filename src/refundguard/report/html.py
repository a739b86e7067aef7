"""The self-contained HTML report: thumbnails, outlined regions, heatmap overlays, reasons in the reader's language.

A thin wrapper over the shared view (:mod:`refundguard.report.view`) and partials: everything is embedded, so the
file opens anywhere without a network.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image as PILImage

from refundguard.engine import Analysis
from refundguard.media.load import LoadedImage
from refundguard.report.ela import error_level_image
from refundguard.report.json import to_dict
from refundguard.report.templating import env, report_css, translator
from refundguard.report.view import report_view


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


def render(analysis: Analysis, *, lang: str = "zh", tz: object = None) -> str:
    """Render the report as one HTML page with everything embedded."""
    view = report_view(to_dict(analysis), names=[im.name for im in analysis.images], lang=lang, tz=tz,
                       thumbs=[thumbnail_data_url(im) for im in analysis.images])
    for photo, image in zip(view.photos, analysis.images, strict=True):
        if photo.role == "claim":
            photo.ela = error_level_data_url(image)
    return env.get_template("report.html").render(view=view, lang=lang, t=translator(lang), report_css=report_css(),
                                                  show_alt=True)  # a file to pass on: both languages


def write(analysis: Analysis, path: str | Path, *, lang: str = "zh", tz: object = None) -> Path:
    """Write the page; times in zone ``tz`` (UTC when None) with their offset."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(analysis, lang=lang, tz=tz), encoding="utf-8")
    return out
