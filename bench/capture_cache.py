"""Generate once, keep the other checks' passes, iterate the ``live`` check: a tuning harness for ``capture_session``.

Judging a capture session runs every check on the claim photo and on each live shot (the claim and shot passes)
and then the ``live`` check (the session pass). Only the last depends on ``[checks.live]``. :func:`stage` generates
the **tuned** sessions of :mod:`bench.capture_session` (its own generators, in their order, so that each session is
the one the benchmark judges; held-out sessions are drawn by the generators but skipped, never kept or judged) and
pickles them; :func:`replay` judges them with any ``[checks.live]`` settings, the claim and shot passes kept on disk
(:class:`DiskPassCache`, keyed without the live check's settings, which those passes do not read). Only the tuned
split is meant to be staged (bench/HELD_OUT.md); the held-out split is scored by ``python -m bench.capture_session
--split held_out`` alone.

``python -m bench.capture_cache stage FOLDER`` and ``python -m bench.capture_cache replay FOLDER [JSON-SETTINGS ...]``
(each JSON object updates ``[checks.live]``, e.g. ``'{"place": {"shape_texture": true}}'``; prints the summary).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import capture_session as cs

_SESSIONS = "sessions.pkl"


def tuned_sessions() -> Iterator[cs.Session]:
    """The tuned sessions of a full ``capture_session`` run, in its order (held-out ones drawn and skipped)."""
    views, tiles, pairs = len(cs.TUNED_SCENES) + len(cs.HELD_OUT_SCENES), 10, 12
    for gen in (cs.view_sessions(views), cs.tile_sessions(tiles), cs.inpainting_sessions(pairs),
                cs.tile_sessions(tiles, tuned=True), cs.inpainting_sessions(pairs, tuned_extra=True)):
        for s in gen:
            if not s.held_out:
                yield s


def stage(folder: Path) -> int:
    """Generate the tuned sessions and keep them in ``folder``; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = list(tuned_sessions())
    with open(folder / _SESSIONS, "wb") as fh:
        pickle.dump(kept, fh)
    return len(kept)


class DiskPassCache:
    """Passes as JSON files in a folder (:meth:`refundguard.passes.PassResult.to_dict`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str, settings: Any) -> Any:
        from refundguard.passes import PassResult

        path = self.folder / f"{key}.json"
        if not path.exists():
            return None
        return PassResult.from_dict(json.loads(path.read_text()), settings)

    def put(self, key: str, result: Any) -> None:
        (self.folder / f"{key}.json").write_text(json.dumps(result.to_dict()))


def _without_live_settings() -> None:
    """Key the claim and shot passes without ``[checks.live]`` (the live check is not part of them)."""
    from refundguard import engine, passes

    original = passes.pass_key

    def key(kind: str, images: Any, roles: Any, *, configs: dict[str, Any], **kw: Any) -> str:
        return original(kind, images, roles, configs={k: v for k, v in configs.items() if k != "live"}, **kw)

    engine.pass_key = key  # type: ignore[assignment]


def replay(folder: Path, live: dict[str, Any] | None = None) -> dict[str, Any]:
    """Judge the staged sessions with ``live`` as ``[checks.live]``; the rows and their summary."""
    from refundguard.config import load_settings

    _without_live_settings()
    with open(folder / _SESSIONS, "rb") as fh:
        kept: list[cs.Session] = pickle.load(fh)
    settings = load_settings()
    if live:
        settings = settings.model_copy(update={"checks": {**settings.checks, "live": live}})
    cache = DiskPassCache(folder / "passes")
    rows = []
    for n, s in enumerate(kept):
        row = {"n": n, "source": s.source, "kind": s.kind, "recipe": s.recipe, "held_out": False,
               **cs.judge(s, cache, settings)}
        rows.append(row)
    return {"settings": live or {}, "summary": cs._summarise(rows), "sessions": rows}


def digest(rows: list[dict[str, Any]]) -> str:
    """A short fingerprint of the outcomes (levels, absences, confirmations) to tell two runs apart."""
    text = json.dumps([(r["level"], r["absent"], r["confirmed"]) for r in rows])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "stage":
        print(stage(Path(argv[1])), "tuned sessions staged")
        return 0
    if len(argv) >= 2 and argv[0] == "replay":
        for text in argv[2:] or ["{}"]:
            out = replay(Path(argv[1]), json.loads(text))
            s = out["summary"]
            print(text, digest(out["sessions"]), json.dumps({k: s[k] for k in ("forged_tuned", "honest_tuned")
                                                              if k in s}))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
