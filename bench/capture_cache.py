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
(each JSON object updates ``[checks.live]``, e.g. ``'{"place": {"shape_search": 6}}'``; prints the summary).
``python -m bench.capture_cache candidates FOLDER OUT.json [JSON-SETTINGS]`` replays once and also keeps every
candidate mark the place test measured on the claim photo (:class:`CandidateLog`) with what held it back
(:func:`blockers`), in ``OUT.json``.

The pass keys hold every check's settings: a cache staged before another check's defaults changed is missed pass by
pass (recomputed and kept beside the old ones), so copy a staged folder before replaying it with other code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import sys
import threading
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


class CandidateLog:
    """While active, every candidate mark the live place test measures on the photo that shows it (the forward,
    shape-tested direction) is kept in :attr:`rows`: its measures, its box in that photo's original pixels, whether
    it lies on :attr:`mask` (the painted pixels, where the photo is the size of the mask), whether it is lacking, and
    whether it would be if it were dark enough (``min_darkening`` its only obstacle)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.session = -1
        self.mask: Any = None
        self._local = threading.local()  # the live shots are compared on threads

    def __enter__(self) -> CandidateLog:
        from refundguard.checks._live import place

        self._saved = place._frames, place._candidates
        frames, candidates = self._saved

        def logged_frames(*args: Any, **kw: Any) -> Any:
            f = frames(*args, **kw)
            self._local.frame, self._local.shape = f, args[0].shape
            return f

        def logged_candidates(*args: Any, **kw: Any) -> Any:
            found = candidates(*args, **kw)
            if kw.get("shape", args[7] if len(args) > 7 else True):
                self._keep(found, args[6])
            return found

        place._frames, place._candidates = logged_frames, logged_candidates
        return self

    def __exit__(self, *exc: object) -> None:
        from refundguard.checks._live import place

        place._frames, place._candidates = self._saved

    def _keep(self, found: list[Any], cfg: Any) -> None:
        from refundguard.checks._live import place

        f, shape = self._local.frame, self._local.shape
        for c in found:
            x, y, w, h = place._to_a(f, tuple(float(v) for v in c.box))
            on = bool(self.mask[y:y + h, x:x + w].any()) if self.mask is not None and self.mask.shape == shape \
                else None
            measures = {k: v for k, v in dataclasses.asdict(c).items() if k != "box"}
            self.rows.append({"n": self.session, "box": [x, y, w, h], "on_mask": on, "scale": round(f.scale, 3),
                              "is_lack": place._is_lack(c, cfg),
                              "lack_if_dark": place._is_lack(dataclasses.replace(c, darkening=float("inf")), cfg),
                              **{k: round(float(v), 4) if isinstance(v, float) else v for k, v in measures.items()}})


def candidates(folder: Path, live: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`replay` with a :class:`CandidateLog`: the replay's rows and summary, the candidates and
    :func:`blockers`."""
    with open(folder / _SESSIONS, "rb") as fh:
        masks = [s.mask for s in pickle.load(fh)]
    log = CandidateLog()
    judge = cs.judge

    def logged(s: cs.Session, cache: Any, settings: Any = None) -> dict[str, Any]:
        log.session += 1
        log.mask = masks[log.session]
        return judge(s, cache, settings)

    cs.judge = logged  # type: ignore[assignment]
    try:
        with log:
            out = replay(folder, live)
    finally:
        cs.judge = judge  # type: ignore[assignment]
    return {**out, "candidates": log.rows, "blockers": blockers(out["sessions"], log.rows)}


def blockers(sessions: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per kind: the candidates lacking only but for their darkening (all, and on the painted pixels of forged
    sessions the verdict missed); and of those missed sessions' candidates on the painted pixels, how many are
    lacking, how many darkening alone holds back, and how many the other tests hold back (at any darkening)."""
    kind = {r["n"]: r["kind"] for r in sessions}
    missed = {r["n"] for r in sessions if r["kind"] == "forged" and not r["flagged"]}
    on = [c for c in rows if c["n"] in missed and c["on_mask"]]
    dark_only = [c for c in rows if c["lack_if_dark"] and not c["is_lack"]]
    return {"dark_only_honest": sum(kind[c["n"]] == "honest" for c in dark_only),
            "dark_only_forged": sum(kind[c["n"]] == "forged" for c in dark_only),
            "missed_forged_sessions": len(missed),
            "missed_on_painted": {"candidates": len(on), "lacking": sum(c["is_lack"] for c in on),
                                  "darkening_only": sum(c["lack_if_dark"] and not c["is_lack"] for c in on),
                                  "other_tests": sum(not c["lack_if_dark"] for c in on)}}


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
    if len(argv) >= 3 and argv[0] == "candidates":
        out = candidates(Path(argv[1]), json.loads(argv[3]) if len(argv) > 3 else None)
        Path(argv[2]).write_text(json.dumps(out, default=str))
        print(digest(out["sessions"]), json.dumps(out["blockers"]))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
