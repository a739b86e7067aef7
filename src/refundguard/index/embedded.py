"""Embedded backend: records and codes in one SQLite file, searched in process.

The codes of each tier are loaded once into a packed uint8 matrix (:class:`HammingTable`) and kept
current: before every search, rows that any process added since are read incrementally. SQLite holds
the truth; the matrices are a cache that is rebuilt from it on open.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from refundguard.findings import Region
from refundguard.index.base import TIERS, Hit, NewRecord, Record, ReuseIndex, Stats
from refundguard.index.hamming import HammingTable

SCHEMA = """
CREATE TABLE IF NOT EXISTS reuse_records (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    claim_id TEXT, buyer_id TEXT, merchant_id TEXT, account_id TEXT,
    at TEXT, image_sha256 TEXT,
    rx INTEGER, ry INTEGER, rw INTEGER, rh INTEGER,
    quality INTEGER
);
CREATE TABLE IF NOT EXISTS reuse_codes (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES reuse_records(id),
    tier TEXT NOT NULL,
    code BLOB NOT NULL,
    x REAL, y REAL
);
CREATE INDEX IF NOT EXISTS reuse_codes_tier ON reuse_codes(tier, id);
CREATE INDEX IF NOT EXISTS reuse_records_claim ON reuse_records(claim_id);
"""


@dataclass
class _Tier:
    table: HammingTable = field(default_factory=HammingTable)
    record_ids: list[np.ndarray] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)
    last_id: int = 0
    _ids: np.ndarray | None = None
    _pts: np.ndarray | None = None

    def append(self, ids: np.ndarray, codes: np.ndarray, points: np.ndarray, last_id: int) -> None:
        if len(ids):
            self.table.add(codes)
            self.record_ids.append(ids)
            self.points.append(points)
            self._ids = self._pts = None
        self.last_id = max(self.last_id, last_id)

    @property
    def ids(self) -> np.ndarray:
        if self._ids is None:
            self._ids = np.concatenate(self.record_ids) if self.record_ids else np.zeros(0, np.int64)
            self.record_ids = [self._ids]
        return self._ids

    @property
    def pts(self) -> np.ndarray:
        if self._pts is None:
            self._pts = np.concatenate(self.points) if self.points else np.zeros((0, 2), np.float32)
            self.points = [self._pts]
        return self._pts


class EmbeddedIndex(ReuseIndex):
    """SQLite file (``path``, or ``:memory:``) plus in-process exact Hamming search."""

    def __init__(self, path: str | Path, url: str | None = None) -> None:
        self.path = str(path)
        self.url = url or f"sqlite:///{self.path}"
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.executescript(SCHEMA)
        self._db.execute("PRAGMA journal_mode=WAL" if self.path != ":memory:" else "PRAGMA journal_mode=MEMORY")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()
        self._tiers = {t: _Tier() for t in TIERS}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _insert(self, kind: str, info: NewRecord, region: Region | None, quality: int | None,
                codes: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> int:
        with self._lock, self._db:
            rid = self._insert_record(kind, info, region, quality)
            self._insert_codes(rid, codes)
        return rid

    def add_bulk(self, rows: Iterable[tuple[NewRecord, np.ndarray]]) -> int:
        """Store many whole-image records with one PDQ code each in one transaction (imports, benchmarks)."""
        count = 0
        with self._lock, self._db:
            for info, code in rows:
                rid = self._insert_record("image", info, None, None)
                self._insert_codes(rid, {"pdq": (np.asarray(code, np.uint8).reshape(1, 32), None)})
                count += 1
        return count

    def _insert_record(self, kind: str, info: NewRecord, region: Region | None, quality: int | None) -> int:
        r = region or Region(0, 0, 0, 0)
        cur = self._db.execute(
            "INSERT INTO reuse_records (kind, claim_id, buyer_id, merchant_id, account_id, at, image_sha256,"
            " rx, ry, rw, rh, quality) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (kind, info.claim_id, info.buyer_id, info.merchant_id, info.account_id,
             info.at.isoformat() if info.at else None, info.image_sha256,
             *((r.x, r.y, r.w, r.h) if region else (None, None, None, None)), quality))
        return int(cur.lastrowid or 0)

    def _insert_codes(self, rid: int, codes: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> None:
        rows = []
        for tier, (matrix, points) in codes.items():
            for i in range(matrix.shape[0]):
                x, y = (float(points[i, 0]), float(points[i, 1])) if points is not None else (None, None)
                rows.append((rid, tier, matrix[i].tobytes(), x, y))
        self._db.executemany("INSERT INTO reuse_codes (record_id, tier, code, x, y) VALUES (?,?,?,?,?)", rows)

    def _refresh(self, tier: str) -> _Tier:
        """Read the codes of ``tier`` added since the last refresh (by this or any other process)."""
        state = self._tiers[tier]
        cur = self._db.execute("SELECT id, record_id, code, x, y FROM reuse_codes WHERE tier = ? AND id > ? "
                               "ORDER BY id", (tier, state.last_id))
        while batch := cur.fetchmany(200_000):
            ids = np.fromiter((r[1] for r in batch), np.int64, len(batch))
            codes = np.frombuffer(b"".join(r[2] for r in batch), np.uint8).reshape(-1, 32)
            pts = np.array([(r[3] if r[3] is not None else np.nan, r[4] if r[4] is not None else np.nan)
                            for r in batch], np.float32).reshape(-1, 2)
            state.append(ids, codes, pts, int(batch[-1][0]))
        return state

    def _search(self, tier: str, queries: np.ndarray, k: int, max_distance: int) -> list[list[Hit]]:
        with self._lock:
            state = self._refresh(tier)
            if len(state.table) == 0 or queries.shape[0] == 0:
                return [[] for _ in range(queries.shape[0])]
            found = state.table.search(queries, k=k, max_distance=max_distance)
            ids, pts = state.ids, state.pts
        out: list[list[Hit]] = []
        for per_code in found:
            out.append([(int(ids[row]), dist, None if np.isnan(pts[row, 0]) else (float(pts[row, 0]),
                                                                                 float(pts[row, 1])))
                        for row, dist in per_code])
        return out

    def _records(self, ids: Iterable[int]) -> dict[int, Record]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, claim_id, buyer_id, merchant_id, account_id, at, image_sha256, rx, ry, rw, rh,"
                f" quality FROM reuse_records WHERE id IN ({marks})", wanted).fetchall()
        return {int(r[0]): Record(id=int(r[0]), kind=r[1], claim_id=r[2], buyer_id=r[3], merchant_id=r[4],
                                  account_id=r[5], at=datetime.fromisoformat(r[6]) if r[6] else None,
                                  image_sha256=r[7], region=Region(r[8], r[9], r[10], r[11]) if r[8] is not None
                                  else None, quality=r[12]) for r in rows}

    def stats(self) -> Stats:
        with self._lock:
            kinds = dict(self._db.execute("SELECT kind, count(*) FROM reuse_records GROUP BY kind").fetchall())
            codes = dict(self._db.execute("SELECT tier, count(*) FROM reuse_codes GROUP BY tier").fetchall())
            claims = self._db.execute("SELECT count(DISTINCT claim_id) FROM reuse_records").fetchone()[0]
            loaded = [self._refresh(t) for t in TIERS]
            memory = sum(t.table.nbytes + t.ids.nbytes + t.pts.nbytes for t in loaded)
        return Stats(records=sum(kinds.values()), images=kinds.get("image", 0), regions=kinds.get("region", 0),
                     codes={t: int(codes.get(t, 0)) for t in TIERS}, claims=int(claims), backend="embedded",
                     url=self.url, memory_bytes=int(memory))
