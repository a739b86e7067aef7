"""Errors shown to people as a page (bilingual), with an HTTP status."""

from __future__ import annotations


class PageError(Exception):
    """A problem the user can fix (bad upload, missing field); rendered as a 4xx page."""

    def __init__(self, status: int, en: str, zh: str) -> None:
        super().__init__(en)
        self.status = status
        self.en = en
        self.zh = zh
