"""The analysis: load evidence, run every registered check, assess, and build the report.

The same function serves the CLI, the API worker and batch jobs.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refundguard import __version__
from refundguard.checks.registry import (
    IMPORT_ERRORS,
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
from refundguard.errors import InputError, NotApplicable
from refundguard.findings import Finding
from refundguard.media.load import LoadedImage, load_image
from refundguard.verdict import Assessment, assess

Source = str | os.PathLike[str] | LoadedImage


__all__ = ["Analysis", "CheckStatus", "analyze", "expand_paths"]


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

    @property
    def coverage(self) -> Coverage:
        return self.assessment.coverage


def _load(source: Source, settings: Settings) -> LoadedImage:
    if isinstance(source, LoadedImage):
        return source
    return load_image(source, limits=settings.limits)


def analyze(claim: Sequence[Source], references: Sequence[Source] = (), *, info: ClaimInfo | None = None,
            settings: Settings | None = None, index: ReuseIndex | None = None, ledger: LedgerHandle | None = None,
            only: Sequence[str] | None = None,
            progress: Callable[[str], None] | None = None) -> Analysis:
    """Analyse the photos of one claim against optional reference photos.

    Parameters
    ----------
    claim : paths or loaded images of the buyer's photos (several photos of one claim).
    references : the merchant's listing/shipping photos or packing-video frames.
    info : claim facts (order and delivery times, ids) used by the capture and reuse checks.
    ledger : the cross-platform ledger (the claim service passes it; the ``ledger`` check needs it).
    only : run just these checks (by name); others are reported as not applicable.

    Raises
    ------
    InputError
        When a photo cannot be used (the message is one line, fit for a user).
    """
    if not claim:
        raise InputError("no claim photo given")
    settings = settings or default_settings()
    images: list[LoadedImage] = []
    roles: list[str] = []
    for role, sources in (("claim", claim), ("reference", references)):
        for source in sources:
            images.append(_load(source, settings))
            roles.append(role)
            if progress:
                progress(f"loaded {images[-1].name}")
    checks = registered()
    ctx = CheckContext(images=images, roles=roles, claim=info or ClaimInfo(), settings=settings, index=index,
                       ledger=ledger, configs=check_configs(settings, checks))
    findings: list[Finding] = []
    statuses: dict[str, CheckStatus] = {}
    for module, error in IMPORT_ERRORS.items():
        statuses[module] = CheckStatus("failed", error=f"check module did not import: {error}")
    for chk in checks:
        if only is not None and chk.name not in only:
            statuses[chk.name] = CheckStatus("not_requested", why="not requested")
            continue
        ctx.check_name = chk.name
        ctx.prior = [f for f in findings if f.check in chk.after]
        ctx.upstream = {name: statuses[name].status for name in chk.after if name in statuses}
        started = time.perf_counter()
        try:
            produced = chk.run(ctx)
        except NotApplicable as exc:
            statuses[chk.name] = CheckStatus("not_applicable", why=str(exc) or "not applicable")
        except InputError:
            raise
        except Exception as exc:  # a crashing check is reported, never fatal
            statuses[chk.name] = CheckStatus("failed", ms=_ms(started), error=f"{type(exc).__name__}: {exc}")
            if os.environ.get("REFUNDGUARD_DEBUG"):
                traceback.print_exc()
        else:
            findings.extend(produced)
            statuses[chk.name] = CheckStatus("ran", ms=_ms(started), photos=_photo_outcomes(ctx, chk.name))
        if progress:
            progress(f"check {chk.name}")
    coverage = coverage_of(statuses, roles, skips=ctx.skips, verifications=ctx.verifications)
    return Analysis(images=images, roles=roles, findings=findings, checks=statuses,
                    assessment=assess(findings, roles, settings, coverage=coverage,
                                      names=[im.name for im in images]),
                    claim=ctx.claim, skips=ctx.skips, verifications=ctx.verifications)


def _photo_outcomes(ctx: CheckContext, name: str) -> list[dict[str, object]]:
    """Each claim photo's outcome in a check that ran: examined, or skipped with the check's reason."""
    skipped = {s.image: s for s in ctx.skips if s.check == name}
    out: list[dict[str, object]] = []
    for i, _ in ctx.claim_images:
        s = skipped.get(i)
        out.append({"image": i, "status": "ran"} if s is None else
                   {"image": i, "status": "skipped", "why": s.en, "why_zh": s.zh})
    return out


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 1)


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
