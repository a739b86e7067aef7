"""In-process exact Hamming search over packed 256-bit codes (NumPy only).

Small tables are searched by brute force (XOR + ``np.bitwise_count`` over uint64 words). Large tables
use multi-index hashing (Norouzi et al., 2012): the code is split into 16 chunks of 16 bits and each
chunk is sorted once; by the pigeonhole principle two codes within distance 31 agree on at least one
chunk up to one bit, so probing each chunk with its 17 one-bit neighbours finds *every* code within 31
bits (exact), plus many farther ones. Candidates are then measured exactly. Rows added after the last
sort sit in an unsorted tail that is searched by brute force until it is merged.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

CODE_BYTES = 32
CHUNKS = 16
#: distance up to which the multi-index search is exact
EXACT_RADIUS = 2 * CHUNKS - 1
#: below this many rows, brute force is as fast as the multi-index and always exact
BRUTE_FORCE_ROWS = 20_000
#: the unsorted tail is merged into the sorted chunks when it grows past this many rows
MAX_TAIL = 20_000
_FLIPS = np.concatenate([[0], 1 << np.arange(16)]).astype(np.uint16)


def distances(table: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distances ``(q, n)`` between ``query`` (q, 32) and ``table`` (n, 32) packed uint8 codes."""
    t = np.ascontiguousarray(table).view(np.uint64)
    q = np.ascontiguousarray(query).view(np.uint64)
    out = np.empty((q.shape[0], t.shape[0]), np.uint16)
    for i in range(q.shape[0]):
        out[i] = np.bitwise_count(t ^ q[i]).sum(axis=1, dtype=np.uint16)
    return out


@dataclass
class _Chunks:
    order: np.ndarray  # (CHUNKS, n) row ids sorted by each chunk's value
    keys: np.ndarray  # (CHUNKS, n) the sorted chunk values


class HammingTable:
    """A growable table of packed codes with range + k-nearest search.

    ``search`` returns, for each query code, up to ``k`` ``(row, distance)`` pairs with distance
    ``<= max_distance``, nearest first. Exact when the table is small or ``max_distance <= 31``;
    beyond 31 bits on a large table it returns the neighbours that the multi-index probes reach.
    """

    def __init__(self, codes: np.ndarray | None = None) -> None:
        self._codes = np.zeros((0, CODE_BYTES), np.uint8) if codes is None else np.ascontiguousarray(codes, np.uint8)
        self._size = self._codes.shape[0]
        self._chunks: _Chunks | None = None
        self._sorted = 0

    def __len__(self) -> int:
        return self._size

    @property
    def codes(self) -> np.ndarray:
        return self._codes[: self._size]

    @property
    def nbytes(self) -> int:
        """Memory held by codes and the multi-index (bytes)."""
        extra = 0 if self._chunks is None else self._chunks.order.nbytes + self._chunks.keys.nbytes
        return int(self._codes.nbytes + extra)

    def add(self, codes: np.ndarray) -> range:
        """Append codes ``(m, 32)``; returns their row numbers."""
        codes = np.ascontiguousarray(codes, np.uint8).reshape(-1, CODE_BYTES)
        need = self._size + codes.shape[0]
        if need > self._codes.shape[0]:
            grown = np.zeros((max(need, int(self._codes.shape[0] * 1.5) + 1024), CODE_BYTES), np.uint8)
            grown[: self._size] = self._codes[: self._size]
            self._codes = grown
        self._codes[self._size:need] = codes
        start, self._size = self._size, need
        return range(start, need)

    def _index(self) -> _Chunks | None:
        if self._size < BRUTE_FORCE_ROWS:
            return None
        if self._chunks is None or self._size - self._sorted > MAX_TAIL:
            words = self.codes.view(np.uint16)  # (n, 16): chunk c of every code
            order = np.argsort(words, axis=0, kind="stable").T.astype(np.int32)
            keys = np.take_along_axis(words, order.T, axis=0).T
            self._chunks = _Chunks(order=np.ascontiguousarray(order), keys=np.ascontiguousarray(keys))
            self._sorted = self._size
        return self._chunks

    def search(self, queries: np.ndarray, *, k: int, max_distance: int) -> list[list[tuple[int, int]]]:
        """For each query code, up to ``k`` ``(row, distance)`` pairs within ``max_distance``, nearest first."""
        queries = np.ascontiguousarray(queries, np.uint8).reshape(-1, CODE_BYTES)
        chunks = self._index()
        if chunks is None:
            return [_best(np.arange(self._size), d, k, max_distance) for d in distances(self.codes, queries)]
        qids, rows = self._candidates(queries, chunks)
        d = np.bitwise_count(self._codes[rows].view(np.uint64) ^ queries[qids].view(np.uint64)).sum(
            axis=1, dtype=np.uint16)
        keep = d <= max_distance
        qids, rows, d = qids[keep], rows[keep], d[keep]
        _, first = np.unique(qids * (self._size + 1) + rows, return_index=True)
        qids, rows, d = qids[first], rows[first], d[first]
        order = np.lexsort((rows, d, qids))
        qids, rows, d = qids[order], rows[order], d[order]
        bounds = np.searchsorted(qids, np.arange(queries.shape[0] + 1))
        return [[(int(r), int(x)) for r, x in zip(rows[a:min(b, a + k)], d[a:min(b, a + k)], strict=True)]
                for a, b in itertools.pairwise(bounds)]

    def _candidates(self, queries: np.ndarray, chunks: _Chunks) -> tuple[np.ndarray, np.ndarray]:
        """(query, row) pairs that agree on some 16-bit chunk up to one bit, plus the unsorted tail (may repeat)."""
        nq = queries.shape[0]
        words = queries.view(np.uint16)
        q_parts = [np.repeat(np.arange(nq), self._size - self._sorted)]
        r_parts = [np.tile(np.arange(self._sorted, self._size), nq)]
        for c in range(CHUNKS):
            probes = (words[:, c:c + 1] ^ _FLIPS[None, :]).ravel()
            lo = np.searchsorted(chunks.keys[c], probes, "left")
            hi = np.searchsorted(chunks.keys[c], probes, "right")
            counts = hi - lo
            total = int(counts.sum())
            if total == 0:
                continue
            owner = np.repeat(np.arange(probes.size), counts)
            offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            r_parts.append(chunks.order[c, lo[owner] + offsets])
            q_parts.append(owner // _FLIPS.size)
        return np.concatenate(q_parts).astype(np.int64), np.concatenate(r_parts).astype(np.int64)


def _best(rows: np.ndarray, d: np.ndarray, k: int, max_distance: int) -> list[tuple[int, int]]:
    keep = np.flatnonzero(d <= max_distance)
    if keep.size > k:
        keep = keep[np.argpartition(d[keep], k - 1)[:k]]
    keep = keep[np.argsort(d[keep], kind="stable")]
    return [(int(rows[i]), int(d[i])) for i in keep]
