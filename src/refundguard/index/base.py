"""The storage-agnostic reuse index: what is stored, how a query is answered, what it returns.

A backend (embedded SQLite + in-process search, or PostgreSQL + pgvector) provides four primitives —
store a record, store its codes, search codes of one tier, fetch records — and this class builds the
public API on them, so both backends answer the same query the same way.

Tiers of codes (all 256-bit):

``pdq``     whole-image PDQ codes (full photo, and its content inside a frame when there is one)
``local``   ORB descriptors of the whole photo, with keypoint positions
``region``  ORB descriptors of a suspected damage region, with positions inside the region

Only codes, claim/buyer/merchant/account ids, times and image digests are stored, never pixels.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from refundguard.findings import Region
from refundguard.index.fingerprint import (
    QUERY_FEATURES,
    ImageFingerprint,
    LocalFeatures,
    PhotoCodes,
    RegionFingerprint,
    image_fingerprint,
    mirrored_local,
    region_fingerprint,
)
from refundguard.index.verify import verify
from refundguard.media.load import LoadedImage

#: a PDQ distance at or below this is the same photo (Meta recommends 31 of 256; exact in the multi-index)
PDQ_MAX_DISTANCE = 31
#: an ORB descriptor pair at or below this distance is a candidate keypoint match
LOCAL_MAX_DISTANCE = 40
#: geometrically consistent keypoint matches needed to call a photo (or a region) the same
MIN_INLIERS = 12
#: the same for a damage region (a smaller area with fewer keypoints; distinct regions give 0-6)
REGION_MIN_INLIERS = 8
TIERS = ("pdq", "local", "region")


@dataclass(frozen=True, slots=True)
class Record:
    """What is stored about one indexed photo or damage region (no pixels)."""

    id: int
    kind: str  # image | region
    claim_id: str | None
    buyer_id: str | None
    merchant_id: str | None
    account_id: str | None
    at: datetime | None
    image_sha256: str | None
    region: Region | None = None
    quality: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "buyer_id": self.buyer_id, "merchant_id": self.merchant_id,
                "account_id": self.account_id, "at": self.at.isoformat() if self.at else None,
                "image_sha256": self.image_sha256, "kind": self.kind,
                "region": self.region.to_dict() if self.region else None}


@dataclass(frozen=True, slots=True)
class Match:
    """One indexed photo (or region) that a query matched.

    ``method`` is ``pdq`` (whole-image hash within ``distance`` bits) or ``local`` (``inliers``
    keypoint matches that agree on one similarity transform of ``scale``; ``mirrored`` when they
    matched the mirror image of the query).
    """

    record: Record
    method: str
    distance: int | None = None
    inliers: int = 0
    scale: float | None = None
    mirrored: bool = False

    @property
    def strength(self) -> float:
        """How unmistakable the match is, in [0, 1]: 1 for near-identical hashes or many inliers."""
        if self.method == "pdq" and self.distance is not None:
            return float(np.clip(1.0 - max(0, self.distance - 16) / 60.0, 0.7, 1.0))
        return float(np.clip(0.7 + 0.3 * (self.inliers - MIN_INLIERS) / (3 * MIN_INLIERS), 0.7, 1.0))

    def to_dict(self) -> dict[str, Any]:
        return {**self.record.to_dict(), "method": self.method, "distance": self.distance,
                "inliers": self.inliers, "mirrored": self.mirrored}


@dataclass(frozen=True, slots=True)
class Stats:
    records: int
    images: int
    regions: int
    codes: dict[str, int]
    claims: int
    backend: str
    url: str
    memory_bytes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "url": self.url, "records": self.records, "images": self.images,
                "regions": self.regions, "claims": self.claims, "codes": dict(self.codes),
                "memory_bytes": self.memory_bytes, **self.extra}


@dataclass(frozen=True, slots=True)
class NewRecord:
    """The ids that go with a fingerprint when it is added."""

    claim_id: str | None = None
    buyer_id: str | None = None
    merchant_id: str | None = None
    account_id: str | None = None
    at: datetime | None = None
    image_sha256: str | None = None


Hit = tuple[int, int, tuple[float, float] | None]  # record id, distance, keypoint position (local tiers)


class ReuseIndex(ABC):
    """Near-duplicate index of claim photos and damage regions. Use :func:`refundguard.index.open_index`."""

    url: str

    # ---- backend primitives -------------------------------------------------------------------------
    @abstractmethod
    def _insert(self, kind: str, info: NewRecord, region: Region | None, quality: int | None,
                codes: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> int:
        """Store one record and its codes per tier (``(m, 32) uint8`` codes, ``(m, 2)`` positions or None)."""

    @abstractmethod
    def _search(self, tier: str, queries: np.ndarray, k: int, max_distance: int) -> list[list[Hit]]:
        """For each query code, up to ``k`` hits of ``tier`` within ``max_distance``, nearest first."""

    @abstractmethod
    def _records(self, ids: Iterable[int]) -> dict[int, Record]:
        """The records with these ids."""

    @abstractmethod
    def stats(self) -> Stats:
        """Counts of what the index holds."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and memory."""

    def __enter__(self) -> ReuseIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- public API ---------------------------------------------------------------------------------
    def add(self, image_fingerprint: ImageFingerprint, claim_id: str | None = None, buyer_id: str | None = None,
            merchant_id: str | None = None, account_id: str | None = None, at: datetime | None = None,
            image_sha256: str | None = None) -> int:
        """Index one photo; returns its record id."""
        info = NewRecord(claim_id, buyer_id, merchant_id, account_id, at, image_sha256)
        return self._insert("image", info, None, image_fingerprint.quality, {
            "pdq": (_codes(image_fingerprint.hashes), None),
            "local": (image_fingerprint.local.descriptors, image_fingerprint.local.points),
        })

    def add_region(self, fingerprint: RegionFingerprint, claim_id: str | None = None, buyer_id: str | None = None,
                   merchant_id: str | None = None, account_id: str | None = None, at: datetime | None = None,
                   image_sha256: str | None = None) -> int | None:
        """Index one damage region; returns its record id (None when the region has too few keypoints)."""
        if len(fingerprint.local) < REGION_MIN_INLIERS:
            return None
        info = NewRecord(claim_id, buyer_id, merchant_id, account_id, at, image_sha256)
        return self._insert("region", info, fingerprint.region, None,
                            {"region": (fingerprint.local.descriptors, fingerprint.local.points)})

    def query(self, fingerprint: ImageFingerprint | LoadedImage | np.ndarray, k: int = 10,
              max_distance: int = PDQ_MAX_DISTANCE, *, local: bool = True,
              mirror_pixels: np.ndarray | PhotoCodes | None = None) -> list[Match]:
        """Indexed photos that this photo duplicates, best first (at most ``k``).

        Parameters
        ----------
        fingerprint : a query fingerprint (made with ``features=QUERY_FEATURES``), a loaded image or RGB pixels.
        max_distance : PDQ distance (of 256 bits) at or below which whole-image hashes match.
        local : also match local features (finds crops and framed copies PDQ misses) for photos PDQ did not find.
        mirror_pixels : the query's pixels (or their :func:`~refundguard.index.fingerprint.photo_codes`), to also
            match local features of its mirror image.
        """
        if isinstance(fingerprint, LoadedImage | np.ndarray):
            pixels = fingerprint.pixels if isinstance(fingerprint, LoadedImage) else fingerprint
            fingerprint = image_fingerprint(pixels, features=QUERY_FEATURES)
            mirror_pixels = pixels if mirror_pixels is None else mirror_pixels
        best: dict[int, Match] = {}
        hits = self._search("pdq", _codes(fingerprint.variants), max(4 * k, 16), max_distance)
        for per_code in hits:
            for rid, dist, _ in per_code:
                if rid not in best or (best[rid].distance or 0) > dist:
                    best[rid] = Match(record=_placeholder(rid), method="pdq", distance=dist)
        if local and len(best) < k:
            for m in self._local_matches("local", fingerprint.local, exclude=set(best)):
                best[m.record.id] = m
            if mirror_pixels is not None and len(best) < k:
                for m in self._local_matches("local", mirrored_local(mirror_pixels), exclude=set(best)):
                    best[m.record.id] = Match(m.record, m.method, m.distance, m.inliers, m.scale, mirrored=True)
        return self._resolve(best, k)

    def query_region(self, fingerprint: RegionFingerprint | tuple[np.ndarray, Region], k: int = 10) -> list[Match]:
        """Indexed damage regions with the same pattern as this one, best first (at most ``k``)."""
        if isinstance(fingerprint, tuple):
            pixels, region = fingerprint
            fingerprint = region_fingerprint(pixels, region, features=QUERY_FEATURES)
        best = {m.record.id: m for m in self._local_matches("region", fingerprint.local, exclude=set())}
        return self._resolve(best, k)

    # ---- shared query machinery ---------------------------------------------------------------------
    def _local_matches(self, tier: str, features: LocalFeatures, exclude: set[int]) -> list[Match]:
        need = REGION_MIN_INLIERS if tier == "region" else MIN_INLIERS
        if len(features) < need:
            return []
        hits = self._search(tier, features.descriptors, 3, LOCAL_MAX_DISTANCE)
        pairs: dict[int, list[tuple[tuple[float, float], np.ndarray]]] = defaultdict(list)
        for qi, per_code in enumerate(hits):
            seen: set[int] = set()
            for rid, _, point in per_code:
                if rid in exclude or rid in seen or point is None:
                    continue
                seen.add(rid)
                pairs[rid].append((point, features.points[qi]))
        out = []
        for rid, plist in pairs.items():
            if len(plist) < need:
                continue
            stored = np.array([p for p, _ in plist], np.float32)
            query = np.array([q for _, q in plist], np.float32)
            v = verify(stored, query)
            if v.inliers >= need:
                out.append(Match(record=_placeholder(rid), method="local", inliers=v.inliers, scale=v.scale))
        return out

    def _resolve(self, best: dict[int, Match], k: int) -> list[Match]:
        ranked = sorted(best.values(), key=lambda m: (-m.strength, m.distance if m.distance is not None else 999,
                                                      -m.inliers, m.record.id))[:k]
        records = self._records(m.record.id for m in ranked)
        return [Match(records[m.record.id], m.method, m.distance, m.inliers, m.scale, m.mirrored)
                for m in ranked if m.record.id in records]


def _codes(codes: Sequence[bytes]) -> np.ndarray:
    if not codes:
        return np.zeros((0, 32), np.uint8)
    return np.frombuffer(b"".join(codes), np.uint8).reshape(-1, 32)


def _placeholder(rid: int) -> Record:
    return Record(id=rid, kind="", claim_id=None, buyer_id=None, merchant_id=None, account_id=None, at=None,
                  image_sha256=None)
