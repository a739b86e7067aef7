"""Reuse index benchmark: recall of transformed copies, false matches between distinct real photos,
query latency and memory at scale (embedded), and the PostgreSQL + pgvector backend at a smaller size.

``python -m bench reuse [--quick]``. Photos: corpus natural/, SAGI originals, CocoGlide reals and
scikit-image photos are indexed; each is queried after every transform of ``TRANSFORMS``. Distinct set:
those photos against each other plus one magnetic tile per physical tile (the tile data set shows each
tile under six lightings; those are re-captures of one object, not distinct photos).
"""

from __future__ import annotations

import os
import re
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from refundguard.index import NewRecord, image_fingerprint, open_index
from refundguard.index.embedded import EmbeddedIndex
from refundguard.index.fingerprint import QUERY_FEATURES

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def _photos(quick: bool) -> dict[str, np.ndarray]:
    from tests.index._photos import load_rgb, skimage_photos

    photos = skimage_photos()
    names = sorted((CORPUS / "natural").glob("*.jpg"))
    if not quick:
        names += [p for p in sorted((CORPUS / "inpainting" / "sagi").glob("*.jpg")) if "_1_" not in p.name]
        names += sorted((CORPUS / "inpainting" / "cocoglide" / "real").glob("*.png"))
    for p in names:
        photos[p.name] = load_rgb(p)
    return photos


def _distinct_tiles(quick: bool) -> list[Path]:
    """One photo per physical magnetic tile (file numbers of one tile lie within 2000 of each other)."""
    paths = sorted((CORPUS / "damage" / "magnetic_tile").glob("*/Imgs/*.jpg"),
                   key=lambda p: int(re.search(r"num_(\d+)", p.name).group(1)))  # type: ignore[union-attr]
    out, last = [], -10**9
    for p in paths:
        n = int(re.search(r"num_(\d+)", p.name).group(1))  # type: ignore[union-attr]
        if n - last > 2000:
            out.append(p)
        last = n
    return out[:8] if quick else out


def _accuracy(quick: bool) -> dict[str, Any]:
    from tests.index._photos import TRANSFORMS, load_rgb

    photos = _photos(quick)
    index = open_index(":memory:")
    for name, pixels in photos.items():
        index.add(image_fingerprint(pixels), claim_id=name)
    per_transform: dict[str, dict[str, Any]] = {}
    hits = total = false = 0
    for tname, transform in TRANSFORMS.items():
        ok = 0
        methods: dict[str, int] = {}
        for name, pixels in photos.items():
            matches = index.query(transform(pixels), k=5)
            if matches and matches[0].record.claim_id == name:
                ok += 1
                methods[matches[0].method] = methods.get(matches[0].method, 0) + 1
            false += sum(1 for m in matches if m.record.claim_id != name)
        per_transform[tname] = {"recall_at_1": round(ok / len(photos), 4), "by_method": methods}
        hits += ok
        total += len(photos)
    # distinct photos: each indexed photo and each tile queried against the whole index
    tiles = _distinct_tiles(quick)
    distinct_false = 0
    for name, pixels in photos.items():
        distinct_false += sum(1 for m in index.query(pixels, k=10) if m.record.claim_id != name)
    for p in tiles:
        distinct_false += len(index.query(load_rgb(p), k=10))
    queries = len(photos) + len(tiles)
    pairs = queries * len(photos)
    return {"photos": len(photos), "distinct_tiles": len(tiles), "transforms": list(TRANSFORMS),
            "recall_at_1": round(hits / total, 4), "per_transform": per_transform,
            "false_matches_distinct": distinct_false, "distinct_pairs": pairs,
            "false_match_rate": round(distinct_false / pairs, 6),
            "false_matches_in_transform_queries": false}


def _latency(index: EmbeddedIndex | Any, queries: list[Any], repeat: int, **kw: Any) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        for fp in queries:
            started = time.perf_counter()
            index.query(fp, k=10, **kw)
            times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 2), "p99_ms": round(float(np.percentile(times, 99)), 2),
            "queries": len(times)}


def _planted(quick: bool) -> tuple[list[np.ndarray], list[Any]]:
    from tests.index._photos import TRANSFORMS, skimage_photos

    photos = list(skimage_photos().values())
    stored = [image_fingerprint(p) for p in photos]
    queries = [image_fingerprint(TRANSFORMS[t](p), features=QUERY_FEATURES) for p in photos
               for t in ("jpeg_q40", "scale_half", "mirror", "colour_filter", "screenshot_frame")]
    codes = [np.frombuffer(h, np.uint8) for fp in stored for h in fp.hashes]
    return codes, queries


def _embedded_scale(n: int, quick: bool) -> dict[str, Any]:
    planted, queries = _planted(quick)
    rng = np.random.default_rng(20261123)
    with tempfile.TemporaryDirectory() as tmp:
        index = EmbeddedIndex(Path(tmp) / "scale.db")
        started = time.perf_counter()
        rows = ((NewRecord(claim_id=f"c{i}", buyer_id=f"b{i % 50_000}"), code)
                for i, code in enumerate(rng.integers(0, 256, (n - len(planted), 32), dtype=np.uint8)))
        index.add_bulk(rows)
        index.add_bulk((NewRecord(claim_id=f"planted{i}"), c) for i, c in enumerate(planted))
        insert_s = time.perf_counter() - started
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        index.query(queries[0], k=10, local=False)  # loads the codes and builds the multi-index
        load_s = time.perf_counter() - started
        found = sum(1 for q in queries if any(m.record.claim_id.startswith("planted")  # type: ignore[union-attr]
                                              for m in index.query(q, k=10, local=False)))
        lat = _latency(index, queries, 2 if quick else 6, local=False)
        stats = index.stats()
        disk = os.path.getsize(Path(tmp) / "scale.db")
        index.close()
    return {"entries": n, "insert_s": round(insert_s, 1), "load_and_build_s": round(load_s, 1),
            "planted_recall": round(found / len(queries), 4), **lat,
            "memory_bytes_per_entry": round(stats.memory_bytes / n, 1) if stats.memory_bytes else None,
            "sqlite_bytes_per_entry": round(disk / n, 1), "max_rss_mb": round(rss0 / 1024, 1),
            "query_codes": "8 dihedral PDQ variants x (full photo + framed content) per query"}


def _postgres_scale(n: int, quick: bool) -> dict[str, Any]:
    from tests.pg_server import start_postgres

    planted, queries = _planted(quick)
    rng = np.random.default_rng(20261124)
    server = start_postgres()
    try:
        index = open_index(server.create_database("bench"))
        started = time.perf_counter()
        index.add_bulk((NewRecord(claim_id=f"c{i}"), code)  # type: ignore[attr-defined]
                       for i, code in enumerate(rng.integers(0, 256, (n - len(planted), 32), dtype=np.uint8)))
        index.add_bulk((NewRecord(claim_id=f"planted{i}"), c) for i, c in enumerate(planted))  # type: ignore[attr-defined]
        insert_s = time.perf_counter() - started
        found = sum(1 for q in queries if any((m.record.claim_id or "").startswith("planted")
                                              for m in index.query(q, k=10, local=False)))
        lat = _latency(index, queries, 2 if quick else 4, local=False)
        stats = index.stats().to_dict()
        index.close()
    finally:
        server.stop()
    return {"entries": n, "insert_with_hnsw_s": round(insert_s, 1), "planted_recall": round(found / len(queries), 4),
            **lat, "disk_bytes_per_entry": round(stats["disk_bytes"] / n, 1) if stats.get("disk_bytes") else None}


def run(quick: bool = False) -> dict[str, Any]:
    embedded_n = 100_000 if quick else 1_000_000
    pg_n = 5_000 if quick else 50_000
    accuracy = _accuracy(quick)
    embedded = _embedded_scale(embedded_n, quick)
    postgres = _postgres_scale(pg_n, quick)
    per_entry = embedded["memory_bytes_per_entry"] or 0
    return {
        "accuracy": accuracy,
        "embedded": embedded,
        "postgresql": postgres,
        "targets": {"recall_at_1": ">= 0.98", "false_match_rate": "<= 0.001", "embedded_p99_ms_at_1M": "<= 20"},
        "met": {"recall": accuracy["recall_at_1"] >= 0.98, "false_matches": accuracy["false_match_rate"] <= 0.001,
                "latency": (not quick) and embedded["p99_ms"] <= 20},
        "projection_100M": {
            "embedded_memory_gb": round(per_entry * 100e6 / 1e9, 1),
            "embedded_note": "multi-index candidates grow linearly with entries (16-bit buckets hold ~1.5k codes "
                             "each at 100M), so latency grows ~100x from 1M: not the backend for 100M",
            "served_by": "PostgreSQL + pgvector HNSW (bit_hamming_ops), partitioned by time or merchant; HNSW "
                         "query cost grows ~log(n)",
        },
        "cpus_note": "2-core machine shared with other jobs; NumPy search is single-threaded",
    }
