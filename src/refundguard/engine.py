"""The analysis: load evidence, run every registered check, assess, and build the report.

The same function serves the CLI, the API worker and batch jobs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refundguard import __version__
from refundguard.checks.registry import (
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
from refundguard.media.load import LoadedImage, Probe, load_claim
from refundguard.scheduling import run_checks
from refundguard.verdict import Assessment, assess

Source = str | os.PathLike[str] | LoadedImage | Probe


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
    roles = ["claim"] * len(claim) + ["reference"] * len(references)
    # every file is walked before any is decoded, and the claim's pixel budget shared among them
    images = load_claim([*claim, *references], limits=settings.limits,
                        progress=(lambda im: progress(f"loaded {im.name}")) if progress else None)
    checks = registered()
    ctx = CheckContext(images=images, roles=roles, claim=info or ClaimInfo(), settings=settings, index=index,
                       ledger=ledger, configs=check_configs(settings, checks))
    results = run_checks(ctx, checks, only=only, progress=progress)
    coverage = coverage_of(results.statuses, roles, skips=results.skips, verifications=results.verifications)
    return Analysis(images=images, roles=roles, findings=results.findings, checks=results.statuses,
                    assessment=assess(results.findings, roles, settings, coverage=coverage,
                                      names=[im.name for im in images]),
                    claim=ctx.claim, skips=results.skips, verifications=results.verifications)


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
