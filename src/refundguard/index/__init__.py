"""The reuse index: perceptual and local-feature fingerprints of claim photos, searchable across claims.

``open_index(url)`` picks the backend from the URL: ``sqlite:///path`` or a plain file path for the
embedded index (SQLite + in-process search), ``postgresql://...`` for PostgreSQL with pgvector. The
exports are imported on first use (:mod:`refundguard._lazy`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from refundguard._lazy import lazy_exports
from refundguard.errors import ConfigError

if TYPE_CHECKING:
    from refundguard.index.base import (
        LOCAL_MAX_DISTANCE,
        MIN_INLIERS,
        PDQ_MAX_DISTANCE,
        Match,
        NewRecord,
        Record,
        ReuseIndex,
        Stats,
    )
    from refundguard.index.fingerprint import (
        QUERY_FEATURES,
        ImageFingerprint,
        RegionFingerprint,
        image_fingerprint,
        region_fingerprint,
    )
    from refundguard.index.record import DAMAGE_CODES, damage_regions, record_analysis

__all__ = ["DAMAGE_CODES", "LOCAL_MAX_DISTANCE", "MIN_INLIERS", "PDQ_MAX_DISTANCE", "QUERY_FEATURES",
           "ImageFingerprint", "Match", "NewRecord", "Record", "RegionFingerprint", "ReuseIndex", "Stats",
           "damage_regions", "image_fingerprint", "open_index", "record_analysis", "region_fingerprint"]

__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(("LOCAL_MAX_DISTANCE", "MIN_INLIERS", "PDQ_MAX_DISTANCE", "Match", "NewRecord", "Record",
                     "ReuseIndex", "Stats"), "refundguard.index.base"),
    **dict.fromkeys(("QUERY_FEATURES", "ImageFingerprint", "RegionFingerprint", "image_fingerprint",
                     "region_fingerprint"), "refundguard.index.fingerprint"),
    **dict.fromkeys(("DAMAGE_CODES", "damage_regions", "record_analysis"), "refundguard.index.record"),
})

POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def open_index(url: str | os.PathLike[str]) -> ReuseIndex:
    """Open (creating when needed) the reuse index at ``url``.

    Raises
    ------
    ConfigError
        When the URL has an unknown scheme or the database cannot be opened.
    """
    text = os.fspath(url).strip()
    if not text:
        raise ConfigError("empty reuse index URL / 复用索引地址为空")
    if text.startswith(POSTGRES_SCHEMES):
        from refundguard.index.postgres import PostgresIndex

        return PostgresIndex(text)
    if text.startswith("sqlite:///"):
        path = text[len("sqlite:///"):]
    elif "://" in text:
        raise ConfigError(f"unsupported reuse index URL {text!r}: use sqlite:///PATH, a file path or "
                          "postgresql://... / 不支持的复用索引地址")
    else:
        path = text
    from refundguard.index.embedded import EmbeddedIndex

    try:
        return EmbeddedIndex(path if path == ":memory:" else Path(path).expanduser(), url=text)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"cannot open the reuse index {text!r}: {exc} / 无法打开复用索引") from exc
