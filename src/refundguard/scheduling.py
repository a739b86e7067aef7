"""Run the checks of one analysis: in dependency order, side by side where they are independent.

A check starts on the shared pool (:mod:`refundguard.parallel`) as soon as every check it names in
``after=`` has finished; it gets its own view of the analysis context (:meth:`CheckContext.for_check`), so
``prior``, ``upstream``, skips and verifications are its own. A check registered ``heavy`` (large working
arrays: tamper at 12 MP) waits while another heavy check runs, or a light check's heavy part
(:meth:`CheckContext.heavy_part`: the reference check's SIFT features, ~80 MiB inside OpenCV for each 12 MP
photo, and its change search, ~90 MiB), and starts as soon as that part ends; lighter checks, and the light
parts of the reference check (matching, alignment, the same-capture test), run beside it.
Measured on the 12 MP claims with two 12 MP references: peak RSS ~25 MiB lower than with no rule (the
reference check's change search and tamper's resampled planes are never live together) at the same CPU
seconds; and on a claim that is no copy of a reference (no change search) tamper runs beside the reference
check instead of after it.
The results are put together in the registry's order, whatever order the checks finished in: findings,
statuses, skips and verifications are exactly those of running the checks one after another.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

from refundguard.checks.registry import IMPORT_ERRORS, Check, CheckContext, CheckStatus, Skip, Verification
from refundguard.errors import InputError, NotApplicable
from refundguard.findings import Finding
from refundguard.parallel import shared_pool


@dataclass
class CheckResults:
    """Everything the checks of one analysis produced, in registry order."""

    findings: list[Finding] = field(default_factory=list)
    statuses: dict[str, CheckStatus] = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)


@dataclass
class _Outcome:
    status: CheckStatus
    findings: list[Finding]
    ctx: CheckContext
    error: InputError | None = None


def _start_heavy(check: Check, ctx: CheckContext) -> _Outcome | None:
    """Run heavy ``check`` holding the analysis's heavy lock; None, without running it, when a light check's heavy
    part holds the lock (it began after the check was submitted): the scheduler submits it again when that part
    ends. A pool thread never waits for the lock here."""
    if not ctx.heavy_lock.acquire(blocking=False):
        return None
    try:
        return _run_one(check, ctx)
    finally:
        ctx.heavy_lock.release()


def _run_one(check: Check, ctx: CheckContext) -> _Outcome:
    started = time.perf_counter()
    try:
        produced = check.run(ctx)
    except NotApplicable as exc:
        return _Outcome(CheckStatus("not_applicable", why=str(exc) or "not applicable", key=exc.key,
                                    params=exc.params or None), [], ctx)
    except InputError as exc:
        return _Outcome(CheckStatus("failed", error=str(exc)), [], ctx, error=exc)
    except Exception as exc:  # a crashing check is reported, never fatal
        if os.environ.get("REFUNDGUARD_DEBUG"):
            traceback.print_exc()
        return _Outcome(CheckStatus("failed", ms=_ms(started), error=f"{type(exc).__name__}: {exc}"), [], ctx)
    return _Outcome(CheckStatus("ran", ms=_ms(started), photos=photo_outcomes(ctx, check.name)), list(produced), ctx)


def run_checks(ctx: CheckContext, checks: Sequence[Check], *, only: Sequence[str] | None = None,
               progress: Callable[[str], None] | None = None, prior: Sequence[Finding] = (),
               upstream: Mapping[str, str] | None = None) -> CheckResults:
    """Run ``checks`` (in registry order, see :func:`~refundguard.checks.registry.registered`) on ``ctx``.

    ``prior`` and ``upstream`` are the findings and statuses of checks that ran before, outside this call (an
    analysis with live shots runs the checks that read them after the others, see :mod:`refundguard.passes`):
    a check that runs after one of those reads them as if it had run here.

    Raises
    ------
    InputError
        When a check finds the input unusable; checks still running are waited for first.
    """
    statuses: dict[str, CheckStatus] = {module: CheckStatus("failed", error=f"check module did not import: {error}")
                                        for module, error in IMPORT_ERRORS.items()}
    for chk in checks:
        if only is not None and chk.name not in only:
            statuses[chk.name] = CheckStatus("not_requested", why="not requested")
    known = {c.name for c in checks}
    pending = [c for c in checks if c.name not in statuses]
    outcomes: dict[str, _Outcome] = {}
    running: dict[Future[_Outcome | None], Check] = {}
    failure: InputError | None = None
    pool = shared_pool()
    held_back = False
    while pending or running:
        if failure is None:
            heavy_submitted = any(c.heavy for c in running.values())
            ready = [c for c in pending if _ready(c, known, statuses, outcomes)]
            held_back = False
            for chk in sorted(ready, key=lambda c: c.heavy):  # the light ones first: a thread that would wait
                if chk.heavy and (heavy_submitted or ctx.heavy_lock.locked()):  # for the lock takes them instead
                    held_back = True  # a heavy check or heavy part runs: their large arrays are never live together
                    continue
                heavy_submitted = heavy_submitted or chk.heavy
                pending.remove(chk)
                before = [f for f in prior if f.check in chk.after] + [
                    f for c in checks if c.name in chk.after and c.name in outcomes for f in outcomes[c.name].findings]
                seen = {name: status for name, status in (upstream or {}).items() if name in chk.after}
                seen.update({name: (outcomes[name].status if name in outcomes else statuses[name]).status
                             for name in chk.after if name in outcomes or name in statuses})
                view = ctx.for_check(chk.name, prior=before, upstream=seen)
                running[pool.submit(_start_heavy if chk.heavy else _run_one, chk, view)] = chk
        elif pending:
            pending.clear()
        if not running:
            break
        # a heavy check held back starts as soon as the heavy part of a running light check ends
        wake = [ctx.heavy_lock.next_release()] if held_back else []
        done, _ = wait([*running, *wake], return_when=FIRST_COMPLETED)
        for future in done:
            if future not in running:
                continue
            chk = running.pop(future)
            name = chk.name
            outcome = future.result()
            if outcome is None:  # a heavy part began before it could start: again when that part ends
                pending.append(chk)
                held_back = True
                continue
            outcomes[name] = outcome
            if outcome.error is not None and failure is None:
                failure = outcome.error
            if progress:
                progress(f"check {name}")
    if failure is not None:
        raise failure
    results = CheckResults()
    for module in IMPORT_ERRORS:
        results.statuses[module] = statuses[module]
    for chk in checks:
        if chk.name in outcomes:
            outcome = outcomes[chk.name]
            results.statuses[chk.name] = outcome.status
            results.findings.extend(outcome.findings)
            results.skips.extend(outcome.ctx.skips)
            results.verifications.extend(outcome.ctx.verifications)
        else:
            results.statuses[chk.name] = statuses[chk.name]
    return results


def _ready(chk: Check, known: set[str], statuses: dict[str, CheckStatus], outcomes: dict[str, _Outcome]) -> bool:
    """Every check ``chk`` runs after has finished (or is not requested, or is not registered)."""
    return all(a in outcomes or a in statuses or a not in known for a in chk.after)


def photo_outcomes(ctx: CheckContext, name: str) -> list[dict[str, object]]:
    """Each claim photo's outcome in a check that ran: examined, or skipped with the check's reason."""
    skipped = {s.image: s for s in ctx.skips if s.check == name}
    out: list[dict[str, object]] = []
    for i, _ in ctx.claim_images:
        s = skipped.get(i)
        if s is None:
            out.append({"image": i, "status": "ran"})
            continue
        outcome: dict[str, object] = {"image": i, "status": "skipped", "why": s.en, "why_zh": s.zh}
        if s.key is not None:
            outcome.update(key=s.key, params=s.params)
        out.append(outcome)
    return out


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 1)
