"""PostgreSQL backend: pgvector ``bit(256)`` codes, Hamming distance ``<~>``, HNSW indexes.

One table of records and one table of codes per tier (so each tier has its own HNSW index with
``bit_hamming_ops``, and a query needs no filter the index cannot use). Searches for many query codes
go to the server in one statement (``unnest ... CROSS JOIN LATERAL``). HNSW is approximate;
``hnsw.ef_search`` is raised to keep recall near exact for the small ``k`` used here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from refundguard.errors import ConfigError
from refundguard.findings import Region
from refundguard.index.base import TIERS, Hit, NewRecord, Record, ReuseIndex, Stats

EF_SEARCH = 120

SCHEMA = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    """CREATE TABLE IF NOT EXISTS reuse_records (
        id BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        claim_id TEXT, buyer_id TEXT, merchant_id TEXT, account_id TEXT,
        at TIMESTAMPTZ, image_sha256 TEXT,
        rx INTEGER, ry INTEGER, rw INTEGER, rh INTEGER,
        quality INTEGER)""",
    "CREATE INDEX IF NOT EXISTS reuse_records_claim ON reuse_records (claim_id)",
    *[stmt for tier in TIERS for stmt in (
        f"""CREATE TABLE IF NOT EXISTS reuse_codes_{tier} (
            id BIGSERIAL PRIMARY KEY,
            record_id BIGINT NOT NULL REFERENCES reuse_records(id),
            code BIT(256) NOT NULL,
            x REAL, y REAL)""",
        f"CREATE INDEX IF NOT EXISTS reuse_codes_{tier}_hnsw ON reuse_codes_{tier} USING hnsw (code bit_hamming_ops)",
    )],
]


def to_bits(code: np.ndarray) -> str:
    """A packed 32-byte code as a ``bit(256)`` literal ('0101…')."""
    return "".join("1" if b else "0" for b in np.unpackbits(np.asarray(code, np.uint8)))


class PostgresIndex(ReuseIndex):
    """Reuse index in PostgreSQL with the pgvector extension (``postgresql://user@host:port/db``)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        try:
            self._db = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise ConfigError(f"cannot connect to the reuse index at {_redact(url)}: {_first_line(exc)}") from exc
        try:
            with self._db.transaction():
                for stmt in SCHEMA:
                    self._db.execute(stmt)  # type: ignore[arg-type]
            self._db.execute(f"SET hnsw.ef_search = {EF_SEARCH}")  # type: ignore[arg-type]
        except psycopg.Error as exc:
            self._db.close()
            raise ConfigError(f"the reuse index at {_redact(url)} needs the pgvector extension (>= 0.7): "
                              f"{_first_line(exc)}") from exc

    def close(self) -> None:
        self._db.close()

    def _insert(self, kind: str, info: NewRecord, region: Region | None, quality: int | None,
                codes: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> int:
        with self._db.transaction():
            rid = self._insert_record(kind, info, region, quality)
            for tier, (matrix, points) in codes.items():
                self._insert_codes(tier, [rid] * matrix.shape[0], matrix, points)
        return rid

    def add_bulk(self, rows: Iterable[tuple[NewRecord, np.ndarray]], batch: int = 5_000) -> int:
        """Store many whole-image records with one PDQ code each (imports, benchmarks)."""
        count = 0
        chunk: list[tuple[NewRecord, np.ndarray]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                count += self._bulk(chunk)
                chunk = []
        if chunk:
            count += self._bulk(chunk)
        return count

    def _bulk(self, chunk: list[tuple[NewRecord, np.ndarray]]) -> int:
        with self._db.transaction():
            cur = self._db.execute(
                "INSERT INTO reuse_records (kind, claim_id, buyer_id, merchant_id, account_id, at, image_sha256) "
                "SELECT 'image', * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[],"
                " %s::text[]) RETURNING id",
                [[i.claim_id for i, _ in chunk], [i.buyer_id for i, _ in chunk], [i.merchant_id for i, _ in chunk],
                 [i.account_id for i, _ in chunk], [i.at for i, _ in chunk], [i.image_sha256 for i, _ in chunk]])
            ids = [int(r[0]) for r in cur.fetchall()]
            self._insert_codes("pdq", ids, np.stack([np.asarray(c, np.uint8).reshape(32) for _, c in chunk]), None)
        return len(chunk)

    def _insert_record(self, kind: str, info: NewRecord, region: Region | None, quality: int | None) -> int:
        r = (region.x, region.y, region.w, region.h) if region else (None, None, None, None)
        cur = self._db.execute(
            "INSERT INTO reuse_records (kind, claim_id, buyer_id, merchant_id, account_id, at, image_sha256,"
            " rx, ry, rw, rh, quality) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
            (kind, info.claim_id, info.buyer_id, info.merchant_id, info.account_id, info.at, info.image_sha256,
             *r, quality))
        row = cur.fetchone()
        assert row is not None
        return int(row[0])

    def _insert_codes(self, tier: str, rids: list[int], matrix: np.ndarray, points: np.ndarray | None) -> None:
        if tier not in TIERS or not rids:
            return
        xs = [float(p[0]) for p in points] if points is not None else [None] * len(rids)
        ys = [float(p[1]) for p in points] if points is not None else [None] * len(rids)
        self._db.execute(
            f"INSERT INTO reuse_codes_{tier} (record_id, code, x, y) "  # type: ignore[arg-type]
            "SELECT * FROM unnest(%s::bigint[], %s::bit(256)[], %s::real[], %s::real[])",
            [rids, [to_bits(c) for c in matrix], xs, ys])

    def _search(self, tier: str, queries: np.ndarray, k: int, max_distance: int) -> list[list[Hit]]:
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}")
        out: list[list[Hit]] = [[] for _ in range(queries.shape[0])]
        if queries.shape[0] == 0:
            return out
        rows = self._db.execute(
            "SELECT q.i, h.record_id, h.d, h.x, h.y "  # type: ignore[arg-type]
            "FROM unnest(%s::bit(256)[]) WITH ORDINALITY AS q(code, i) "
            "CROSS JOIN LATERAL (SELECT c.record_id, (c.code <~> q.code)::int AS d, c.x, c.y "
            f"  FROM reuse_codes_{tier} c ORDER BY c.code <~> q.code LIMIT %s) h "
            "WHERE h.d <= %s ORDER BY q.i, h.d",
            [[to_bits(c) for c in queries], int(k), int(max_distance)]).fetchall()
        for i, rid, d, x, y in rows:
            out[int(i) - 1].append((int(rid), int(d), None if x is None else (float(x), float(y))))
        return out

    def _records(self, ids: Iterable[int]) -> dict[int, Record]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self._db.execute(
            "SELECT id, kind, claim_id, buyer_id, merchant_id, account_id, at, image_sha256, rx, ry, rw, rh, quality"
            " FROM reuse_records WHERE id = ANY(%s)", [wanted]).fetchall()
        return {int(r[0]): Record(id=int(r[0]), kind=r[1], claim_id=r[2], buyer_id=r[3], merchant_id=r[4],
                                  account_id=r[5], at=r[6], image_sha256=r[7],
                                  region=Region(r[8], r[9], r[10], r[11]) if r[8] is not None else None,
                                  quality=r[12]) for r in rows}

    def stats(self) -> Stats:
        kinds: dict[str, Any] = dict(self._db.execute(  # type: ignore[arg-type]
            "SELECT kind, count(*) FROM reuse_records GROUP BY kind").fetchall())
        codes = {}
        for tier in TIERS:
            row = self._db.execute(f"SELECT count(*) FROM reuse_codes_{tier}").fetchone()  # type: ignore[arg-type]
            codes[tier] = int(row[0]) if row else 0
        row = self._db.execute("SELECT count(DISTINCT claim_id) FROM reuse_records").fetchone()
        size = self._db.execute("SELECT pg_total_relation_size('reuse_codes_pdq') + "
                                "pg_total_relation_size('reuse_records')").fetchone()
        return Stats(records=int(sum(kinds.values())), images=int(kinds.get("image", 0)),
                     regions=int(kinds.get("region", 0)), codes=codes, claims=int(row[0]) if row else 0,
                     backend="postgresql", url=_redact(self.url),
                     extra={"disk_bytes": int(size[0]) if size else None})


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _redact(url: str) -> str:
    """The URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
