"""The analysis: load evidence, run every registered check, assess, and build the report.

The same function serves the CLI, the API worker and batch jobs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import BaseModel

from refundguard import __version__
from refundguard.checks.registry import (
    IMPORT_ERRORS,
    Check,
    CheckContext,
    CheckStatus,
    ClaimInfo,
    LedgerHandle,
    ReuseIndex,
    Skip,
    Verification,
    check_configs,
    registered,
)
from refundguard.config import Settings, default_settings
from refundguard.coverage import Coverage, coverage_of
from refundguard.errors import InputError
from refundguard.findings import Finding
from refundguard.media.derived import Pictures
from refundguard.media.load import LoadedImage, Probe, load_claim
from refundguard.parallel import fork
from refundguard.passes import EXTERNAL_STATE, PassCache, PassResult, pass_key
from refundguard.scheduling import run_checks
from refundguard.verdict import Assessment, assess

Source = str | os.PathLike[str] | LoadedImage | Probe


log = logging.getLogger("refundguard.engine")

__all__ = ["Analysis", "CheckStatus", "analyze", "expand_paths", "warm_up"]


@dataclass
class Analysis:
    """Everything one analysis produced; :mod:`refundguard.report` renders it."""

    images: list[LoadedImage]
    roles: list[str]
    findings: list[Finding]
    checks: dict[str, CheckStatus]
    assessment: Assessment
    claim: ClaimInfo
    version: str = __version__
    extras: dict[str, object] = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    #: what the analysis derived from its photos and keeps after it (:data:`refundguard.media.derived.KEPT`: the
    #: reuse-index codes the reuse check made, so that recording the photos does not make them again)
    pictures: Pictures = field(default_factory=Pictures)

    @property
    def coverage(self) -> Coverage:
        return self.assessment.coverage


def analyze(claim: Sequence[Source], references: Sequence[Source] = (), *, info: ClaimInfo | None = None,
            settings: Settings | None = None, index: ReuseIndex | None = None, ledger: LedgerHandle | None = None,
            only: Sequence[str] | None = None,
            progress: Callable[[str], None] | None = None,
            live: Sequence[Source] = (), cache: PassCache | None = None) -> Analysis:
    """Analyse the photos of one claim against optional reference photos.

    Parameters
    ----------
    claim : paths or loaded images of the buyer's photos (several photos of one claim).
    references : the merchant's listing/shipping photos or packing-video frames.
    info : claim facts (order and delivery times, ids) used by the capture and reuse checks; ``info.live``
        describes the live shots.
    ledger : the cross-platform ledger (the claim service passes it; the ``ledger`` check needs it).
    only : run just these checks (by name); others are reported as not requested.
    live : photos the buyer took through the capture page (role ``live``). Every check examines each of them
        as it examines a claim photo (one shot pass each); the checks that read live shots then compare them
        with the claim photos and with each other (see :mod:`refundguard.passes`).
    cache : where finished claim and shot passes are kept and looked up.

    Raises
    ------
    InputError
        When a photo cannot be used (the message is one line, fit for a user).
    """
    if not claim:
        raise InputError("no claim photo given")
    settings = settings or default_settings()
    roles = ["claim"] * len(claim) + ["reference"] * len(references) + ["live"] * len(live)
    # every file is walked before any is decoded, and the claim's pixel budget shared among them
    discovering = fork(registered)  # the check modules are imported while the photos decode (GIL released)
    images = load_claim([*claim, *references, *live], limits=settings.limits,
                        progress=(lambda im: progress(f"loaded {im.name}")) if progress else None)
    info = info or ClaimInfo()
    checks = discovering.result()
    configs = check_configs(settings, checks)
    plain = [c for c in checks if not c.live]
    passes = _Passes(images, roles, info, settings, index, ledger, configs, only, cache, progress, Pictures())
    lives = [i for i, r in enumerate(roles) if r == "live"]
    with ThreadPoolExecutor(max_workers=max(1, min(len(lives), os.cpu_count() or 1))) as pool:
        shots = [pool.submit(passes.shot, plain, i) for i in lives]  # each live shot, beside the claim pass
        claim_pass = passes.claim(plain)
        session = passes.session([c for c in checks if c.live], claim_pass)
        shot_passes = [f.result() for f in shots]
    statuses: dict[str, CheckStatus] = {}
    for module, error in IMPORT_ERRORS.items():
        statuses[module] = CheckStatus("failed", error=f"check module did not import: {error}")
    statuses.update(claim_pass.statuses)
    for k, shot in zip(lives, shot_passes, strict=True):
        for name, status in shot.statuses.items():
            statuses[name] = _with_shot(statuses[name], status, k, images[k].name)
    statuses.update(session.statuses)
    findings = claim_pass.findings + [f for s in shot_passes for f in s.findings] + session.findings
    skips = claim_pass.skips + [s for p in shot_passes for s in p.skips] + session.skips
    verifications = (claim_pass.verifications + [v for p in shot_passes for v in p.verifications]
                     + session.verifications)
    coverage = coverage_of(statuses, roles, skips=skips, verifications=verifications)
    return Analysis(images=images, roles=roles, findings=findings, checks=statuses,
                    assessment=assess(findings, roles, settings, coverage=coverage,
                                      names=[im.name for im in images]),
                    claim=info, skips=skips, verifications=verifications, pictures=passes.pictures.kept())


@dataclass
class _Passes:
    """Runs the passes of one analysis (see :mod:`refundguard.passes`), through the cache when one is given."""

    images: list[LoadedImage]
    roles: list[str]
    info: ClaimInfo
    settings: Settings
    index: ReuseIndex | None
    ledger: LedgerHandle | None
    configs: dict[str, BaseModel]
    only: Sequence[str] | None
    cache: PassCache | None
    progress: Callable[[str], None] | None
    #: pictures derived from the photos, shared by every pass (keyed by content, see media/derived.py)
    pictures: Pictures

    def claim(self, checks: list[Check]) -> PassResult:
        """Every check on the claim photos and references (live shots are not theirs to examine)."""
        keep = [i for i, r in enumerate(self.roles) if r != "live"]
        cacheable = [c for c in checks if c.name not in EXTERNAL_STATE] if self.cache is not None else checks
        return self._cached("claim", checks, self.roles, self.settings, keep,
                            lambda: self._run(cacheable, self.roles, self.settings, prior=[]))

    def shot(self, checks: list[Check], k: int) -> PassResult:
        """Every check on live shot ``k`` as the only claim photo, beside the references."""
        roles = ["claim" if i == k else ("reference" if r == "reference" else "other")
                 for i, r in enumerate(self.roles)]
        settings = self.settings.model_copy(update={"weights": {**self.settings.weights, **self.settings.live_weights}})
        keep = [i for i, r in enumerate(roles) if r != "other"]

        cacheable = [c for c in checks if c.name not in EXTERNAL_STATE] if self.cache is not None else checks

        def run() -> PassResult:  # findings about the claim as a whole (the buyer's ledger) are the claim pass's
            out = self._run(cacheable, roles, settings, prior=[])
            return PassResult([f for f in out.findings if f.image == k],
                              out.statuses, [s for s in out.skips if s.image == k],
                              [v for v in out.verifications if k in v.images])

        return self._cached(f"shot:{k}", checks, roles, settings, keep, run)

    def session(self, checks: list[Check], claim_pass: PassResult) -> PassResult:
        """The checks that read live shots, with everything the claim pass found."""
        return self._run(checks, self.roles, self.settings, prior=claim_pass.findings,
                         upstream={n: s.status for n, s in claim_pass.statuses.items()})

    def _cached(self, kind: str, checks: list[Check], roles: list[str], settings: Settings, keep: list[int],
                run: Callable[[], PassResult]) -> PassResult:
        """``run`` through the cache. Checks whose answer depends on state outside the images (the reuse index,
        the ledger: :data:`~refundguard.passes.EXTERNAL_STATE`) are never taken from it: they run again after
        the cached part, with its findings."""
        if self.cache is None:
            return run()
        fresh = [c for c in checks if c.name in EXTERNAL_STATE]
        if fresh:
            kept = self._cached(kind, [c for c in checks if c.name not in EXTERNAL_STATE], roles, settings, keep, run)
            again = self._run(fresh, roles, settings, prior=kept.findings,
                              upstream={n: st.status for n, st in kept.statuses.items()})
            if kind.startswith("shot:"):
                k = int(kind.split(":")[1])
                again = PassResult([f for f in again.findings if f.image == k], again.statuses,
                                   [x for x in again.skips if x.image == k], [v for v in again.verifications
                                                                              if k in v.images])
            statuses = {**kept.statuses, **again.statuses}
            return PassResult(kept.findings + again.findings, {c.name: statuses[c.name] for c in checks
                                                              if c.name in statuses},
                              kept.skips + again.skips, kept.verifications + again.verifications)
        key = pass_key(kind, [self.images[i] for i in keep], [roles[i] for i in keep], settings=settings,
                       configs=self.configs, checks=[c.name for c in checks], only=self.only,
                       claim=replace(self.info, live=None))
        found = self.cache.get(key, settings)
        if found is not None:
            if self.progress:
                self.progress(f"{kind} pass from cache")
            return found
        result = run()
        if not any(s.status == "failed" for s in result.statuses.values()):  # a failure is never kept
            self.cache.put(key, result)
        return result

    def _run(self, checks: list[Check], roles: list[str], settings: Settings, *, prior: list[Finding],
             upstream: dict[str, str] | None = None) -> PassResult:
        ctx = CheckContext(images=self.images, roles=roles, claim=self.info, settings=settings, index=self.index,
                           ledger=self.ledger, configs=self.configs, pictures=self.pictures)
        out = run_checks(ctx, checks, only=self.only, progress=self.progress, prior=prior, upstream=upstream)
        names = {c.name for c in checks}  # modules that did not import are the analysis's, not each pass's
        return PassResult(out.findings, {n: s for n, s in out.statuses.items() if n in names}, out.skips,
                          out.verifications)


def _with_shot(main: CheckStatus, shot: CheckStatus, k: int, name: str) -> CheckStatus:
    """A check's status with its outcome on live shot ``k`` added.

    A check that failed on a shot failed (what it would have found there is unknown); one that ran on the
    shot lists it among its photos; one that did not apply to it lists it as skipped, with the reason.
    """
    if main.status == "failed" or main.status == "not_requested":
        return main
    if shot.status == "failed":
        return CheckStatus("failed", ms=main.ms, error=f"on live shot {name}: {shot.error}")
    if shot.status == "not_requested":
        return main
    outcome: dict[str, object] = ({"image": k, "status": "ran"} if shot.status == "ran" else
                                  {"image": k, "status": "skipped", "why": shot.why or "not applicable"})
    if shot.status == "ran" and shot.photos:
        outcome = {**shot.photos[0], "image": k}
    if main.status == "ran":
        return CheckStatus("ran", ms=round((main.ms or 0) + (shot.ms or 0), 1), photos=[*(main.photos or []), outcome])
    if shot.status == "ran":  # did not apply to the claim photos, ran on the shot
        return CheckStatus("ran", ms=shot.ms, why=main.why, photos=[outcome])
    return main


def warm_up(reference_store: Path | None = None) -> None:
    """Ready a worker process before its first analysis: import every check, start the shared pool and load
    the OCR models, so its first claim costs what the others cost (the models alone took ~0.8 CPU-s of the
    first claim with text). The checks of every analysis run on that one pool (:mod:`refundguard.parallel`), so
    analyses in flight never multiply the threads doing check work. With ``reference_store``, the reference
    check keeps merchants' prepared reference photos in that folder (:mod:`refundguard.checks.reference`).
    The claim service's workers and local mode's both start with it."""
    from refundguard.checks._ocr import load_models
    from refundguard.checks.reference import store_references_in
    from refundguard.parallel import shared_pool

    if reference_store is not None:
        store_references_in(reference_store)
    registered()
    shared_pool()
    try:
        load_models()
    except Exception:  # the checks that read text then fail on their own, with the reason in their report
        log.warning("the OCR models could not be loaded at worker start", exc_info=True)


def expand_paths(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Files as given; folders walked recursively (sorted), keeping only files whose content is an image."""
    from refundguard.media.sniff import IMAGE_FORMATS, sniff

    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for child in sorted(q for q in p.rglob("*") if q.is_file()):
                try:
                    with child.open("rb") as fh:
                        if sniff(fh.read(64)) in IMAGE_FORMATS:
                            out.append(child)
                except OSError:
                    continue
        else:
            out.append(p)
    return out
