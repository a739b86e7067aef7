"""Stage the multiview check's expensive part once, iterate its decision rules on the cache.

Matching, dense alignment and the structure comparison of a pair cost seconds; judging a measured
candidate costs nothing. ``stage`` runs the check's pipeline (:func:`refundguard.checks._views.pair.examine`'s
steps) on a set of bench cases up to the measured :class:`~refundguard.checks._views.evidence.Evidence`
of *every* candidate (the epipolar search done for all of them, not only for differences), and pickles
it per case; ``decide`` replays the check's decision (judge, de-duplication, flag, region on the damage)
for any :class:`~refundguard.checks._views.config.MultiviewConfig`. With the default config it reproduces
the check's own outcome (``python -m bench.multiview_cache verify``).

Sets (``python -m bench.multiview_cache stage SET``):

* ``tuned`` — damage painted by the tuning recipes on the tuning photos (``real_views``' ``painted_tuned``);
* ``broad`` — damage painted by the broader tuning recipes (``BROAD_RECIPES``: smudge, fade, puncture, fracture;
  the held-out families drawn by other painters) on the same tuning photos (``real_views``' ``painted_tuned_broad``);
* ``untouched`` — every untouched real pair of ``real_views``' ``untouched`` and
  ``untouched_far_sceaux_half_q70`` (the honest guard);
* ``ai`` — the SAGI / MagicInpainter view pairs of ``ai_inpainted_views`` (edited vs original, and the two
  same-picture guards).

* ``fresh`` — the second held-out set (``real_views``' ``painted_fresh_held_out``: the held-out recipes on
  pairs and with a seed no earlier set used). Staged once, without judging; its decision is read once, at
  the end of a session, by ``python -m bench.multiview_cache summary --sets fresh`` (bench/HELD_OUT.md).

* ``third`` — the third held-out set (``real_views``' ``painted_third_held_out``, issue #14's ninth session:
  the held-out recipes with a third seed on pairs neither earlier held-out set used). Staged once, at the
  end of a session, without judging, and decided once by ``summary --sets third`` (bench/HELD_OUT.md).

The first held-out painted pairs (``painted_held_out``) are never staged here; the second (``fresh``) is spent.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

#: where staged cases are kept (``MULTIVIEW_CACHE`` overrides it: sessions working side by side keep apart)
CACHE = Path(os.environ.get("MULTIVIEW_CACHE", "/tmp/multiview_cache"))


@dataclass
class Candidate:
    """One measured candidate of one direction of a pair (boxes in original pixels of its photo)."""

    side: int  # 0: found in view A (missing in B), 1: the reverse
    evidence: Any  # Evidence, parallax_ncc filled in
    region_shown: tuple[int, int, int, int]
    region_expected: tuple[int, int, int, int]
    found_by: str = "main"  # "main" (candidate_level), "thin" (thin_candidates) or "dark" (dark_candidates)
    thin: tuple[float, float] = (0.0, 0.0)  # a thin candidate's length and half-width (structure.thin_shape); a
    # dark one's darkening (90th percentile of structure.local_darkening) and share of the image


@dataclass
class Staged:
    """A staged case: its candidates, what is true about it, and where the painted damage stood."""

    name: str
    group: str  # e.g. "crack", "sceaux/half_q70", "sagi/edited_vs_original"
    matched: bool
    candidates: list[Candidate] = field(default_factory=list)
    box_a: tuple[int, int, int, int] | None = None  # painted damage in A (original pixels)
    masks: tuple[Any, Any] | None = None  # AI edit masks of A and B (bool arrays), packed
    at_box: dict[str, float] = field(default_factory=dict)  # what the comparison saw at the painted box
    seconds: float = 0.0


#: the thin pass as staged for iterating: generous enough that replaying a stricter ``thin_*`` setting (a longer
#: or thinner piece) only filters what was staged (the level itself is fixed by the staging)
STAGE_THIN = {"thin_level": 0.2, "thin_half_width": 3.0, "thin_min_length": 16.0, "thin_max": 20,
              "dark_level": 0.1, "dark_max": 12}


def _stage_views(name: str, group: str, view_a: bytes, view_b: bytes, box_a: tuple[int, int, int, int] | None,
                 masks: tuple[Any, Any] | None = None, exact: bool = False) -> Staged:
    """Stage one case; ``exact``: the thin pass with the committed settings (a held-out set, decided once as the
    check would), else with :data:`STAGE_THIN` (the sets rules are iterated on)."""
    from refundguard.checks._views.config import MultiviewConfig
    from refundguard.checks._views.dense import correspond
    from refundguard.checks._views.evidence import measure
    from refundguard.checks._views.match import features, match_views, work_image
    from refundguard.checks._views.pair import _box_mask, _mapped_box, _to_original
    from refundguard.checks._views.parallax import epipolar_agreement, parallax_bound
    from refundguard.checks._views.structure import (
        align,
        candidates,
        dark_candidates,
        local_darkening,
        thin_candidates,
        thin_shape,
    )
    from refundguard.media.load import load_image

    started = time.process_time()
    cfg = MultiviewConfig()
    main_cfg = cfg.compare.model_copy(update={"thin_level": 0.0, "dark_level": 0.0})
    thin_cfg = cfg.compare if exact else cfg.compare.model_copy(update=STAGE_THIN)
    pa, pb = (load_image(v, name=n).pixels for v, n in ((view_a, "a.jpg"), (view_b, "b.jpg")))
    wa, wb = work_image(pa, cfg.match.work_side), work_image(pb, cfg.match.work_side)
    vm = match_views(wa, features(wa, cfg.match.features), wb, features(wb, cfg.match.features), cfg.match)
    out = Staged(name, group, vm is not None, box_a=box_a, masks=masks)
    if vm is None:
        out.seconds = time.process_time() - started
        return out
    corr_ab, corr_ba = correspond(wa.gray, wb.gray, vm, cfg.align)
    sides = ((0, wa, wb, corr_ab, vm.fundamental, True), (1, wb, wa, corr_ba, vm.fundamental.T, False))
    for side, wx, wy, corr, fund, x_is_a in sides:
        al = align(wx.gray, wx.rgb, wy.gray, wy.rgb, corr, cfg.compare)
        shift = parallax_bound(vm, x_is_a, max(wx.shape), cfg.compare.max_parallax)
        main = candidates(al, main_cfg)
        thin = thin_candidates(al, thin_cfg, main) if thin_cfg.thin_level > 0 else []
        dark = dark_candidates(al, thin_cfg, main + thin) if thin_cfg.dark_level > 0 else []
        local = local_darkening(al, thin_cfg.dark_sigma * max(al.shape)) if dark else None
        for found_by, masks_ in (("main", main), ("thin", thin), ("dark", dark)):
            for mask in masks_:
                ev = measure(al, mask, cfg.compare)
                if ev is None:
                    continue
                ev = replace(ev, parallax_ncc=epipolar_agreement(al, corr, fund, mask, shift))
                expected = _mapped_box(corr, mask) or tuple(float(v) for v in ev.box)
                shape = (thin_shape(mask) if found_by == "thin" else
                         (float(np.percentile(local[mask], 90)), float(mask.mean())) if local is not None
                         and found_by == "dark" else (0.0, 0.0))
                out.candidates.append(Candidate(side, ev, _to_original(ev.box, wx), _to_original(expected, wy),
                                                found_by, shape))
        if side == 0 and box_a is not None:
            box = tuple(v * wx.scale for v in box_a)
            bm = _box_mask(box, wx.shape)  # type: ignore[arg-type]
            if bm.any():
                import cv2

                smooth = cv2.GaussianBlur(al.extra, (0, 0), 1.0)
                out.at_box = {"compared": float(al.overlap[bm].mean()),
                              "filled": float(al.filled[bm].mean()) if al.filled is not None else 0.0,
                              "peak_extra": float(smooth[bm].max() / al.scale),
                              "above_level": float((smooth[bm] > cfg.compare.candidate_level * al.scale).sum()),
                              "resolution": float(np.median(al.resolution[bm]))}
    out.seconds = time.process_time() - started
    return out


def _write(staged: Staged, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(staged, protocol=pickle.HIGHEST_PROTOCOL))


# --- the sets ---------------------------------------------------------------------------------------

def _tuned_job(args: tuple[int, Any, str]) -> list[str]:
    return _tuning_job(args, "TUNING_RECIPES", 14)


def _broad_job(args: tuple[int, Any, str]) -> list[str]:
    from bench import realviews as rv

    return _tuning_job(args, "BROAD_RECIPES", rv.BROAD_SEED)


def _tuning_job(args: tuple[int, Any, str], recipes: str, seed: int) -> list[str]:
    from bench import realviews as rv

    index, pair, folder = args
    done = []
    chosen = getattr(rv, recipes)
    for k, case in enumerate(rv.painted_pairs([pair], chosen, seed, offset=index * len(chosen))):
        name = f"{case.pair.name} {case.laundering} {case.recipe}"
        path = Path(folder) / f"{index:03d}_{k}.pkl"
        _write(_stage_views(name, case.recipe, case.view_a, case.view_b, case.box_a), path)
        done.append(name)
    return done


def _fresh_job(args: tuple[int, Any, str]) -> list[str]:
    return _held_out_job(args, "FRESH_SEED")


def _third_job(args: tuple[int, Any, str]) -> list[str]:
    return _held_out_job(args, "THIRD_SEED")


def _held_out_job(args: tuple[int, Any, str], seed: str) -> list[str]:
    from bench import realviews as rv

    index, pair, folder = args
    done = []
    for k, case in enumerate(rv.painted_pairs([pair], rv.HELD_OUT_RECIPES, getattr(rv, seed),
                                              offset=index * len(rv.HELD_OUT_RECIPES))):
        name = f"{case.pair.name} {case.laundering} {case.recipe}"
        path = Path(folder) / f"{index:03d}_{k}.pkl"
        _write(_stage_views(name, case.recipe, case.view_a, case.view_b, case.box_a, exact=True), path)
        done.append(name)
    return done


def _untouched_job(args: tuple[int, Any, str, str]) -> list[str]:
    from bench.realviews import laundered

    index, pair, how, folder = args
    va, vb, _ = laundered(pair, how)
    name = f"{pair.name} {how}"
    _write(_stage_views(name, f"{pair.kind}/{how}", va, vb, None), Path(folder) / f"{index:04d}.pkl")
    return [name]


def _ai_job(args: tuple[int, str, str, str, int, str, str]) -> list[str]:
    from bench.claimbench.sources import read
    from bench.multiview import ai_view_pair

    index, source, original, edited, seed, case, folder = args
    first, second = {"edited_vs_original": ("edited", "original"), "original_vs_original": ("original", "original"),
                     "edited_vs_edited": ("edited", "edited")}[case]
    a, b, mask_a, mask_b = ai_view_pair(read(original), read(edited), seed, first, second)
    name = f"{source} {Path(original).stem} {case}"
    _write(_stage_views(name, f"{source}/{case}", a, b, None, (np.packbits(mask_a), mask_a.shape,
                                                               np.packbits(mask_b), mask_b.shape)),
           Path(folder) / f"{case}_{index:03d}.pkl")
    return [name]


def _jobs(which: str, folder: Path) -> tuple[Any, list[Any]]:
    from bench import realviews as rv

    if which == "tuned":
        painted = rv.sceaux_pairs() + rv.buddha_pairs() + rv.tile_pairs(all_pairs=False)
        tuning = [p for p in painted if p.split == "tuning"]
        return _tuned_job, [(i, p, str(folder)) for i, p in enumerate(tuning)]
    if which == "broad":
        return _broad_job, [(i, p, str(folder)) for i, p in enumerate(rv.broad_tuning_pairs())]
    if which == "fresh":
        return _fresh_job, [(i, p, str(folder)) for i, p in enumerate(rv.fresh_held_out_pairs())]
    if which == "third":
        return _third_job, [(i, p, str(folder)) for i, p in enumerate(rv.third_held_out_pairs())]
    if which == "untouched":
        near = rv.sceaux_pairs() + rv.buddha_pairs() + rv.tile_pairs(all_pairs=False)
        far = [p for p in rv.sceaux_pairs(all_pairs=True) if not p.near]
        jobs = [(p, how) for p in near for how in rv.LAUNDERING if not (p.small and how == "app_1080")]
        jobs += [(p, "half_q70") for p in far]
        return _untouched_job, [(i, p, how, str(folder)) for i, (p, how) in enumerate(jobs)]
    if which == "ai":
        from bench.claimbench.sources import inpainting_pairs

        items = [(i, s, str(o), str(e), 7000 + i) for i, (s, o, e) in enumerate(inpainting_pairs())]
        # the two guards (one picture seen twice) first: a session short of time has those
        return _ai_job, [(*item, case, str(folder)) for case in ("original_vs_original", "edited_vs_edited",
                                                                 "edited_vs_original") for item in items]
    raise SystemExit(f"unknown set {which}")


def _unmatched_jobs(which: str, folder: Path, args: list[Any]) -> list[Any]:
    """The jobs of ``args`` with a staged case that was not matched (to re-stage after a matching change)."""
    out = []
    for item in args:
        pattern = {"untouched": f"{item[0]:04d}.pkl", "ai": f"{item[-2]}_{item[0]:03d}.pkl"}.get(which,
                                                                                              f"{item[0]:03d}_*.pkl")
        for path in folder.glob(pattern):
            with path.open("rb") as fh:
                if not _Unpickler(fh).load().matched:
                    out.append(item)
                    break
    return out


def _job_path(which: str, folder: Path, item: Any) -> str:
    return {"untouched": f"{item[0]:04d}.pkl", "ai": f"{item[-2]}_{item[0]:03d}.pkl"}.get(which, f"{item[0]:03d}_*.pkl")


def stage(which: str, workers: int = 2, unmatched: bool = False, kinds: tuple[str, ...] = (),
          missing: bool = False) -> None:
    """Stage ``which``; ``kinds``: only the pairs of these kinds (sceaux, buddha, tiles); ``missing``: only the jobs
    with nothing staged yet (to resume, or to split a set between processes)."""
    folder = CACHE / which
    job, args = _jobs(which, folder)
    if unmatched:
        args = _unmatched_jobs(which, folder, args)
    if kinds:
        args = [a for a in args if getattr(a[1], "kind", None) in kinds]
    if missing:
        args = [a for a in args if not list(folder.glob(_job_path(which, folder, a)))]
    started = time.time()
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for k, names in enumerate(pool.map(job, args, chunksize=1)):
            print(f"[{k + 1}/{len(args)} {time.time() - started:.0f}s] {'; '.join(names)}", flush=True)


class _Unpickler(pickle.Unpickler):
    """Staged cases pickled by ``python -m bench.multiview_cache`` name their classes ``__main__``'s."""

    def find_class(self, module: str, name: str) -> Any:
        if module in ("__main__", "__mp_main__"):
            module = __name__
        return super().find_class(module, name)


def load(which: str) -> list[Staged]:
    out = []
    for path in sorted((CACHE / which).glob("*.pkl")):
        with path.open("rb") as fh:
            out.append(_Unpickler(fh).load())
    return out


# --- the decision, replayed -------------------------------------------------------------------------

def _overlap(a: tuple[int, ...] | list[int], b: tuple[int, ...] | list[int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _in_pass(c: Candidate, compare: Any) -> bool:
    """Whether the check under ``compare`` examines ``c``: every main candidate; a thin one when the thin pass is
    on and the piece is long and thin enough for its settings."""
    found_by = getattr(c, "found_by", "main")
    if found_by == "main":
        return True
    if found_by == "dark":
        return compare.dark_level > 0 and c.thin[0] >= compare.dark_level and c.thin[1] <= compare.dark_max_share
    length, half = c.thin
    return compare.thin_level > 0 and length >= compare.thin_min_length and half <= compare.thin_half_width


@dataclass
class Outcome:
    flagged: bool
    resolved: list[tuple[Candidate, Any]]  # (candidate, judgement) of the reported differences
    differences: list[tuple[Candidate, Any]]  # every kept difference, resolved or not


def decide(case: Staged, cfg: Any = None) -> Outcome:
    """The check's decision on a staged case: judged candidates, de-duplicated per side as ``_examine_side``."""
    from refundguard.checks._views.config import MultiviewConfig
    from refundguard.checks._views.evidence import judge

    cfg = cfg or MultiviewConfig()
    kept_all: list[tuple[Candidate, Any]] = []
    for side in (0, 1):
        found = []
        for c in case.candidates:
            if c.side != side or not _in_pass(c, cfg.compare):
                continue
            verdict = judge(c.evidence, cfg.compare, cfg.visibility)
            if verdict.difference:
                found.append((c, verdict))
        kept: list[tuple[Candidate, Any]] = []
        for c, v in sorted(found, key=lambda cv: -cv[0].evidence.contrast):
            if not any(_overlap(k.evidence.box, c.evidence.box) for k, _ in kept):
                kept.append((c, v))
        kept_all += kept
    resolved = [(c, v) for c, v in kept_all if v.resolved]
    return Outcome(bool(resolved), resolved, kept_all)


def on_damage(case: Staged, outcome: Outcome) -> bool:
    assert case.box_a is not None
    return any(c.side == 0 and _overlap(c.region_shown, case.box_a) for c, _ in outcome.resolved)


def _mask(case: Staged, k: int) -> np.ndarray:
    assert case.masks is not None
    packed, shape = case.masks[2 * k], case.masks[2 * k + 1]
    return np.unpackbits(packed)[:int(np.prod(shape))].reshape(shape).astype(bool)


def on_edit(case: Staged, outcome: Outcome) -> bool:
    from bench.multiview import on_edit as bench_on_edit

    return any(bench_on_edit(_mask(case, c.side), c.region_shown) or bench_on_edit(_mask(case, 1 - c.side),
                                                                                    c.region_expected)
               for c, _ in outcome.resolved)


def _painted(staged: list[Staged], cfg: Any) -> dict[str, Any]:
    """Painted cases: compared, flagged, flagged on the damage (per recipe and in all)."""
    hits: dict[str, list[int]] = {}
    for c in staged:
        if not c.matched:
            continue
        o = decide(c, cfg)
        row = hits.setdefault(c.group, [0, 0, 0])
        row[0] += 1
        row[1] += int(o.flagged)
        row[2] += int(on_damage(c, o))
    total = [sum(r[k] for r in hits.values()) for k in range(3)]
    return {"compared": total[0], "flagged": total[1], "on_damage": total[2],
            "by_recipe": {k: {"compared": r[0], "flagged": r[1], "on_damage": r[2]} for k, r in hits.items()}}


def summary(cfg: Any = None, sets: tuple[str, ...] = ("tuned", "broad", "untouched", "ai")) -> dict[str, Any]:
    """The bench's numbers on the cache under ``cfg``."""
    out: dict[str, Any] = {}
    for which in ("tuned", "broad", "fresh", "third"):
        if which in sets:
            out[which] = _painted(load(which), cfg)
    if "untouched" in sets:
        cases = [c for c in load("untouched") if c.matched]
        flagged = [c.name for c in cases if decide(c, cfg).flagged]
        out["untouched"] = {"compared": len(cases), "flagged": len(flagged), "flagged_pairs": flagged}
    if "ai" in sets:
        rows: dict[str, list[int]] = {}
        for c in load("ai"):
            row = rows.setdefault(c.group, [0, 0, 0])
            if not c.matched:
                continue
            o = decide(c, cfg)
            row[0] += 1
            row[1] += int(o.flagged)
            row[2] += int(o.flagged and on_edit(c, o))
        out["ai"] = {k: {"compared": r[0], "flagged": r[1], "region_on_edit": r[2]} for k, r in sorted(rows.items())}
    return out


def failures(ev: Any, cfg: Any = None) -> list[str]:
    """Which of :func:`~refundguard.checks._views.evidence.judge`'s *difference* conditions ``ev`` fails."""
    from refundguard.checks._views.config import MultiviewConfig

    cfg = cfg or MultiviewConfig()
    c = cfg.compare
    scuff = (0 < ev.light_width <= c.scuff_width and ev.light_elongation >= c.scuff_elongation
             and ev.light_grey < c.glint_grey and ev.light >= c.min_darkening)
    out = []
    if not (ev.unexplained >= c.blob_unexplained or (
            ev.unexplained >= c.strong_unexplained and ev.contrast >= c.strong_contrast
            and ev.resolution >= c.strong_resolution and ev.foreshortening >= c.strong_foreshortening)):
        out.append("unexplained")
    if ev.ring > c.ring_unexplained:
        out.append("ring")
    if not (ev.contrast >= c.min_contrast or (ev.contrast >= c.stain_contrast and ev.darkest >= c.stain_darkening)):
        out.append("visible")
    if not scuff and (ev.lift >= c.highlight_lift or ev.light >= c.highlight_lift):
        out.append("highlight_lift")
    if ev.interior_light >= c.interior_light:
        out.append("interior_light")
    if not scuff and ev.brightest > 0 and ev.brightest >= c.light_dominance * ev.darkest:
        out.append("added_light")
    if ev.parallax_ncc >= c.parallax_ncc:
        out.append("parallax")
    if not (ev.darkest >= c.min_darkening or scuff):
        out.append("darkening")
    return out


def why_missed(case: Staged, cfg: Any = None) -> tuple[str, list[str]]:
    """The stage at which the painted damage of ``case`` was lost (``found`` when it was not)."""
    from refundguard.checks._views.config import MultiviewConfig
    from refundguard.checks._views.evidence import judge

    outcome = decide(case, cfg)
    if not case.matched:
        return "not_matched", []
    if on_damage(case, outcome):
        return "found", []
    assert case.box_a is not None
    on = [c for c in case.candidates if c.side == 0 and _overlap(c.region_shown, case.box_a)
          and _in_pass(c, (cfg or MultiviewConfig()).compare)]
    if not on:
        return "no_candidate", [f"{k}={v:.2f}" for k, v in case.at_box.items()]
    kept = [(c, v) for c, v in outcome.differences if c.side == 0 and _overlap(c.region_shown, case.box_a)]
    if kept:
        return "not_resolved", sorted({r for _, v in kept for r in v.reasons})
    diffs = [c for c in on if judge(c.evidence, cfg and cfg.compare, cfg and cfg.visibility).difference]
    if diffs:
        return "deduplicated", []
    best = min(on, key=lambda c: len(failures(c.evidence, cfg)))
    return "not_damage_like", failures(best.evidence, cfg)


def main(argv: list[str] | None = None) -> int:
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.multiview_cache", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("stage")
    st.add_argument("which", choices=("tuned", "broad", "untouched", "ai", "fresh", "third"))
    st.add_argument("--workers", type=int, default=2)
    st.add_argument("--unmatched", action="store_true", help="re-stage only the jobs with a case not matched")
    st.add_argument("--kinds", nargs="+", default=[], help="only the pairs of these kinds (sceaux, buddha, tiles)")
    st.add_argument("--missing", action="store_true", help="only the jobs with nothing staged yet")
    sm = sub.add_parser("summary")
    sm.add_argument("--sets", nargs="+", default=["tuned", "broad", "untouched", "ai"])
    args = parser.parse_args(argv)
    if args.command == "stage":
        stage(args.which, args.workers, args.unmatched, tuple(args.kinds), args.missing)
    else:
        print(json.dumps(summary(sets=tuple(args.sets)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
