"""Errors shown to people as a page (bilingual), with an HTTP status."""

from __future__ import annotations


class PageError(Exception):
    """A problem the user can fix (bad upload, missing field); rendered as a 4xx page."""

    def __init__(self, status: int, en: str, zh: str) -> None:
        super().__init__(en)
        self.status = status
        self.en = en
        self.zh = zh


def font_missing_page(exc: Exception) -> PageError:
    """The bundle cannot be made without a Chinese font: say what to install (503: the server lacks it)."""
    en, _, zh = str(exc).partition(" / ")
    return PageError(503, en, zh or en)
