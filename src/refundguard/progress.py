"""Where an analysis is, in words: the stage the reader sees while it runs (local mode, the CLI).

:class:`Stages` is the engine's ``progress`` callback (``analyze(..., progress=stages)``): it counts the photos
decoded and the checks finished, and names what is being done now as a catalogue sentence (``stage.*``:
"decoding claim.jpg…", "comparing with the listing photo…", "checking: local editing traces…").
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stages:
    files: Sequence[str]
    checks: Sequence[str]
    references: bool = False
    done: int = 0
    key: str = "stage.queued"
    params: dict[str, Any] = field(default_factory=dict)
    _loaded: int = 0
    _finished: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total(self) -> int:
        """Steps in all: each photo decoded, each check, then weighing the findings and writing the report."""
        return len(self.files) + len(self.checks) + 2

    def start(self) -> None:
        with self._lock:
            self._decoding()

    def _decoding(self) -> None:
        if self._loaded < len(self.files):
            self.key, self.params = "stage.decoding", {"file": self.files[self._loaded]}
        else:
            self._checking()

    def _checking(self) -> None:
        left = [c for c in self.checks if c not in self._finished]
        if not left:
            self.key, self.params = "stage.assessing", {}
        elif self.references and "reference" in left:
            self.key, self.params = "stage.comparing", {}
        else:
            self.key, self.params = "stage.checking", {"check": left[0]}

    def __call__(self, what: str) -> None:
        """The engine's progress message: ``loaded NAME`` or ``check NAME``."""
        with self._lock:
            kind, _, name = what.partition(" ")
            self.done = min(self.done + 1, self.total - 1)
            if kind == "loaded":
                self._loaded += 1
                self._decoding()
            elif kind == "check":
                self._finished.add(name)
                self._checking()

    def finish(self, key: str = "stage.done") -> None:
        with self._lock:
            self.key, self.params, self.done = key, {}, self.total

    def words(self, lang: str) -> str:
        from refundguard.messages import Context, render

        with self._lock:
            key, params = self.key, dict(self.params)
        return render(key, params, Context(lang))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"key": self.key, "params": dict(self.params), "done": self.done, "total": self.total}
