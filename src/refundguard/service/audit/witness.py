"""The held checkpoints of the service itself: the newest signed checkpoint of each chain, in a file outside
the database (``[service.audit] witness``).

After every commit that appended audit entries, the service signs the new heads and advances this file (only
ever forwards, and only when the chain still contains the checkpoint held before). Someone who can rewrite
the database but not this file cannot make a rewritten history verify: ``audit verify`` and the evidence
bundle compare the chains with it. Tenants hold their own copies (webhooks, ``GET /v1/audit/checkpoint``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from refundguard.service.audit.signing import BadCheckpoint, Checkpoint

log = logging.getLogger("refundguard.audit")


class Witness:
    """A JSON file ``{chain: checkpoint}``; readers see a whole file (written to a temporary name, then renamed)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, Checkpoint]] | None = None

    def load(self) -> dict[str, Checkpoint]:
        """Every held checkpoint by chain (empty when the file does not exist yet)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # every write is a new file (renamed into place)
        with self._lock:
            if self._cache is not None and self._cache[0] == stamp:
                return dict(self._cache[1])
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            held = {str(chain): Checkpoint.from_dict(cp) for chain, cp in dict(raw).items()}
        except (OSError, ValueError, TypeError, BadCheckpoint) as exc:
            raise BadCheckpoint(f"the checkpoint file {self.path} is unreadable: {exc}") from exc
        with self._lock:
            self._cache = (stamp, held)
        return dict(held)

    def get(self, chain: str) -> Checkpoint | None:
        return self.load().get(chain)

    def advance(self, checkpoints: Iterable[Checkpoint]) -> None:
        """Keep each checkpoint that is newer than the one held for its chain (across processes: file lock)."""
        fresh = list(checkpoints)
        if not fresh:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                held = self.load()
                changed = False
                for cp in fresh:
                    old = held.get(cp.chain)
                    if old is None or cp.seq > old.seq:
                        held[cp.chain] = cp
                        changed = True
                if changed:
                    self._write(held)
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _write(self, held: dict[str, Checkpoint]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        data = json.dumps({chain: cp.to_dict() for chain, cp in sorted(held.items())}, indent=1, sort_keys=True)
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
