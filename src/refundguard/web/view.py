"""The pages' report view: the shared view (:mod:`refundguard.report.view`) with the photos' thumbnails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from refundguard.media.load import LoadedImage
from refundguard.report.html import thumbnail_data_url
from refundguard.report.view import ReportView, report_view


def page_report(report: dict[str, Any], *, names: Sequence[str], lang: str, tz: Any = None,
                thumbs: Sequence[str] | None = None, images: Sequence[LoadedImage] | None = None,
                symbol: str = "¥", max_side: int = 720) -> ReportView:
    """The report for a page in ``lang``. ``thumbs`` are the photos' thumbnails when the caller keeps them (the
    service's case page, :mod:`refundguard.web.thumbs`); otherwise they are made from the decoded ``images``."""
    if thumbs is None:
        if images is None:
            raise ValueError("give the thumbnails or the decoded images")
        thumbs = [thumbnail_data_url(im, max_side=max_side) for im in images]
    return report_view(report, names=names, lang=lang, tz=tz, thumbs=thumbs, symbol=symbol)
