"""Prepared reference photos kept between analyses: a merchant's listing photo is prepared once, not per claim.

What the reference check derives from a reference photo alone -- its working copy (:func:`prepare.prepare`) and
its SIFT features, direct and mirrored (:meth:`Prepared.features`) -- does not depend on the claim. A platform
compares the same listing photos with claim after claim, so the check keeps them here, keyed by the photo's
content (SHA-256 of the file and its decoded size) and by :data:`FORMAT`, which names everything the values
depend on (working and feature sides, SIFT settings). A reference read back is the one prepared from the
photo, bit for bit (working copy as uint8, whose float copy and grey levels are remade exactly as
:func:`prepare.prepare` makes them; keypoints and descriptors as float32), so a claim decides the same with a
stored reference as with a fresh one.

Two levels: a bounded in-memory LRU of the process (every analysis in a service worker shares it) and, when
a folder is given (``REFUNDGUARD_REFERENCE_STORE``; the embedded service sets ``<data_dir>/reference-features``
for its workers), one ``.npz`` file per reference photo there, written once and read by every worker and
every later claim with that photo.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from refundguard.checks._align.prepare import FEATURE_SIDE, WORK_SIDE, Features, Prepared, from_working

log = logging.getLogger("refundguard.reference")



def _format() -> str:
    """What a stored reference depends on: the decoders that made the pixels, OpenCV (resize, SIFT), the
    working and feature sides; a change to any of it makes new keys (files of older ones are never read)."""
    import cv2
    import PIL
    from PIL import features

    jpeg = features.version("jpg") or "-"
    return f"v1-pil{PIL.__version__}-jpeg{jpeg}-cv{cv2.__version__}-work{WORK_SIDE}-feat{FEATURE_SIDE}"


FORMAT = _format()
#: references kept in memory per process (about 2.4 MB of working copy and 0.35 MB per feature set each)
MEMORY_ENTRIES = 16
ENV_FOLDER = "REFUNDGUARD_REFERENCE_STORE"


def key_of(sha256: str, width: int, height: int) -> str:
    """Store key of a photo given its file digest and decoded size."""
    return f"{sha256}-{width}x{height}-{FORMAT}"


def _pack(p: Prepared) -> bytes:
    small = np.rint(p.rgb * 255.0).astype(np.uint8)
    arrays: dict[str, np.ndarray] = {"small": small, "scale": np.array(p.scale, np.float64),
                                     "full_size": np.array(p.full_size, np.int64)}
    for mirrored, f in p.cached_features().items():
        tag = "mirrored" if mirrored else "direct"
        arrays[f"{tag}_points"] = f.points
        if f.descriptors is not None:
            small_ints = f.descriptors.astype(np.uint8)  # SIFT's descriptors are whole numbers 0-255 in float32
            exact = np.array_equal(small_ints.astype(f.descriptors.dtype), f.descriptors)
            arrays[f"{tag}_descriptors"] = small_ints if exact else f.descriptors
            arrays[f"{tag}_descriptors_dtype"] = np.array(str(f.descriptors.dtype))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _unpack(data: bytes) -> Prepared:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        w, h = (int(v) for v in z["full_size"])
        p = from_working(z["small"], float(z["scale"]), (w, h))
        for mirrored, tag in ((False, "direct"), (True, "mirrored")):
            if f"{tag}_points" in z:
                desc = z.get(f"{tag}_descriptors")
                if desc is not None:
                    desc = desc.astype(str(z[f"{tag}_descriptors_dtype"]))
                p.set_features(mirrored, Features(points=z[f"{tag}_points"], descriptors=desc))
    return p


class ReferenceStore:
    """Prepared references by key: memory first, then the folder (see the module docstring)."""

    def __init__(self, folder: Path | None = None, entries: int = MEMORY_ENTRIES) -> None:
        self.folder = folder
        self.entries = entries
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Prepared | None:
        """The stored reference ``key`` (a fresh object each time), or None."""
        with self._lock:
            data = self._memory.get(key)
            if data is not None:
                self._memory.move_to_end(key)
        if data is None and self.folder is not None:
            try:
                data = (self.folder / f"{key}.npz").read_bytes()
            except OSError:
                return None
            self._remember(key, data)
        if data is None:
            return None
        try:
            return _unpack(data)
        except (OSError, ValueError, KeyError) as exc:  # a damaged file is recomputed, never trusted
            log.warning("stored reference %s is unreadable (%s); preparing it again", key, exc)
            with self._lock:
                self._memory.pop(key, None)
            return None

    def put(self, key: str, prepared: Prepared) -> None:
        """Keep ``prepared`` (a usable reference, with the features computed so far) under ``key``."""
        data = _pack(prepared)
        self._remember(key, data)
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".npz")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.folder / f"{key}.npz")  # whole files only: a reader never sees half of one
        except OSError as exc:
            log.warning("could not store reference features in %s: %s", self.folder, exc)

    def _remember(self, key: str, data: bytes) -> None:
        with self._lock:
            self._memory[key] = data
            self._memory.move_to_end(key)
            while len(self._memory) > self.entries:
                self._memory.popitem(last=False)

    def __len__(self) -> int:
        return len(self._memory)


_STORE: ReferenceStore | None = None
_STORE_LOCK = threading.Lock()


def use_folder(folder: Path | None) -> None:
    """Keep this process's prepared references in ``folder`` from now on (None: in memory only)."""
    global _STORE
    with _STORE_LOCK:
        _STORE = ReferenceStore(Path(folder).expanduser() if folder is not None else None)


def shared_store() -> ReferenceStore:
    """The process's store (its folder from ``REFUNDGUARD_REFERENCE_STORE`` when set, read on first use)."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            folder = os.environ.get(ENV_FOLDER, "").strip()
            _STORE = ReferenceStore(Path(folder).expanduser() if folder else None)
        return _STORE
