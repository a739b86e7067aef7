"""The same tests against both storage backends: embedded SQLite and a real PostgreSQL + pgvector server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from refundguard.errors import ConfigError
from refundguard.findings import Region
from refundguard.index import ReuseIndex, image_fingerprint, open_index, region_fingerprint
from refundguard.index.embedded import EmbeddedIndex
from refundguard.index.fingerprint import QUERY_FEATURES
from refundguard.index.postgres import PostgresIndex
from tests.index._photos import TRANSFORMS, skimage_photos
from tests.pg_server import postgres_server, postgres_url  # noqa: F401  (fixtures)

WHEN = datetime(2026, 5, 1, 10, 30, tzinfo=UTC)


@pytest.fixture(params=["embedded", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReuseIndex]:
    url = f"sqlite:///{tmp_path / 'reuse.db'}" if request.param == "embedded" else request.getfixturevalue(
        "postgres_url")
    ix = open_index(url)
    yield ix
    ix.close()


def test_url_picks_the_backend(index: ReuseIndex) -> None:
    assert isinstance(index, EmbeddedIndex | PostgresIndex)
    assert index.stats().records == 0


def test_add_query_stats(index: ReuseIndex) -> None:
    photos = skimage_photos()
    for i, (name, pixels) in enumerate(photos.items()):
        index.add(image_fingerprint(pixels), claim_id=f"C{i}", buyer_id=f"B{i}", merchant_id="M1",
                  account_id=f"A{i}", at=WHEN, image_sha256=name)
    matches = index.query(TRANSFORMS["jpeg_q40"](photos["coffee"]), k=5)
    assert [m.record.claim_id for m in matches] == ["C1"]
    top = matches[0]
    assert top.method == "pdq" and top.distance is not None and top.distance <= 31
    assert (top.record.buyer_id, top.record.merchant_id, top.record.account_id) == ("B1", "M1", "A1")
    assert top.record.image_sha256 == "coffee" and top.record.at is not None
    assert top.record.at.replace(tzinfo=top.record.at.tzinfo or UTC) == WHEN
    cropped = index.query(TRANSFORMS["crop_mirror_jpeg"](photos["chelsea"]), k=5)
    assert [m.record.claim_id for m in cropped] == ["C2"] and cropped[0].method == "local"
    stats = index.stats()
    assert (stats.records, stats.images, stats.regions, stats.claims) == (4, 4, 0, 4)
    assert stats.codes["pdq"] == 4 and stats.codes["local"] > 100


def test_max_distance_and_k(index: ReuseIndex) -> None:
    coffee = skimage_photos()["coffee"]
    for claim in ("C1", "C2", "C3"):
        index.add(image_fingerprint(coffee), claim_id=claim)
    assert len(index.query(coffee, k=2)) == 2
    assert len(index.query(coffee, k=10)) == 3
    far = index.query(image_fingerprint(skimage_photos()["rocket"], features=QUERY_FEATURES), k=10,
                      max_distance=31, local=False)
    assert far == []


def test_regions(index: ReuseIndex) -> None:
    astronaut = skimage_photos()["astronaut"]
    region = Region(150, 60, 180, 180)
    rid = index.add_region(region_fingerprint(astronaut, region), claim_id="C1", buyer_id="B1", at=WHEN)
    assert rid is not None
    found = index.query_region((astronaut, region))
    assert [m.record.claim_id for m in found] == ["C1"] and found[0].record.region == region
    assert index.query_region((skimage_photos()["coffee"], Region(100, 100, 180, 180))) == []
    assert index.stats().regions == 1


def test_embedded_sees_rows_added_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = open_index(url), open_index(url)
    coffee = skimage_photos()["coffee"]
    assert first.query(coffee) == []
    second.add(image_fingerprint(coffee), claim_id="C9")
    assert [m.record.claim_id for m in first.query(coffee)] == ["C9"]
    first.close()
    second.close()
    with sqlite3.connect(tmp_path / "shared.db") as db:  # only hashes and ids are stored
        columns = {row[1] for row in db.execute("PRAGMA table_info(reuse_records)")}
    assert not columns & {"pixels", "image", "data"}


def test_bad_urls() -> None:
    with pytest.raises(ConfigError):
        open_index("mysql://localhost/x")
    with pytest.raises(ConfigError):
        open_index("   ")
    with pytest.raises(ConfigError):
        open_index("postgresql://nobody@127.0.0.1:1/none")


def test_hamming_multi_index_is_exact_within_31_bits(monkeypatch: pytest.MonkeyPatch) -> None:
    from refundguard.index import hamming

    monkeypatch.setattr(hamming, "BRUTE_FORCE_ROWS", 100)
    monkeypatch.setattr(hamming, "MAX_TAIL", 50)
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, (3000, 32), dtype=np.uint8)
    table = hamming.HammingTable()
    table.add(codes[:2900])
    table.search(codes[:1], k=1, max_distance=0)  # builds the multi-index
    table.add(codes[2900:])  # an unsorted tail
    queries = codes[rng.integers(0, 3000, 40)].copy()
    bits = np.unpackbits(queries, axis=1)
    for row in bits:
        row[rng.choice(256, rng.integers(0, 32), replace=False)] ^= 1
    queries = np.packbits(bits, axis=1)
    got = table.search(queries, k=5, max_distance=31)
    full = hamming.distances(codes, queries)
    for q in range(queries.shape[0]):
        want = sorted((int(d), r) for r, d in enumerate(full[q]) if d <= 31)[:5]
        assert sorted((d, r) for r, d in got[q]) == want
