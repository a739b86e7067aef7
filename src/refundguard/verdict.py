"""Combine findings into an explained, calibrated risk.

Each finding contributes ``weight × score`` log-odds (weights are data, in ``data/defaults.toml``, fitted
by ``python -m bench calibrate``). A photo's risk is ``sigmoid(prior + Σ contributions of its findings)``,
where the prior is the fitted intercept moved to the platform's base rate, so the risk is the probability
that the photo is forged on a platform with that share of forged claims. The claim's risk starts from its
riskiest photo (claim photos and live shots) and adds claim-level findings (those with no single image, such as
damage that disagrees between photos). Levels come from configured thresholds; a policy floor (``floors``)
raises the level of a photo whose finding must be seen by a person whatever its probability (a re-sent listing
photo is not a forgery, but it is no evidence of damage either). A finding whose fact another finding on the same photo
already explains (``subsumes``) is reported but not counted.

The assessment also carries the analysis' :class:`~refundguard.coverage.Coverage`: a check that applied
and failed raises the level to at least ``review`` (what it would have found is unknown), and a ``low``
is labelled *verified* only when every claim photo was checked against independent evidence (a matched
listing photo, a second view, a live capture); otherwise it is *unverified*, never *genuine*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from refundguard.config import Settings
from refundguard.coverage import Coverage, failure_notes, summary
from refundguard.findings import Finding, Message


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(x, 60.0), -60.0)))


@dataclass(frozen=True, slots=True)
class Assessment:
    risk: float
    level: str
    image_risks: tuple[float, ...]
    image_levels: tuple[str, ...]
    reasons: tuple[Finding, ...]
    uncounted: frozenset[int] = frozenset()  # indexes of findings explained by another finding
    coverage: Coverage = field(default_factory=Coverage)
    #: reasons that are not findings (a failed check), shown before the findings' reasons
    notes: tuple[Message, ...] = ()
    #: what the verdict rests on, in words (see :func:`refundguard.coverage.summary`)
    basis_text: Message | None = None

    @property
    def incomplete(self) -> bool:
        return self.coverage.incomplete

    @property
    def basis(self) -> str:
        """``incomplete``, ``verified`` or ``unverified``."""
        return self.coverage.basis


def explained(findings: Sequence[Finding], settings: Settings) -> frozenset[int]:
    """Indexes of findings that another finding on the same photo subsumes (see ``[subsumes]``)."""
    present: dict[int | None, set[str]] = {}
    for f in findings:
        # a finding explains what it subsumes because it was found, whatever weight the fit gave it: a re-sent
        # listing photo explains its screenshot traces even where the copy itself adds no risk
        if f.score > 0:
            present.setdefault(f.image, set()).add(f.code)
    out = set()
    for i, f in enumerate(findings):
        if f.image is None:
            continue
        if any(f.code in settings.subsumes.get(other, ()) for other in present.get(f.image, set()) - {f.code}):
            out.add(i)
    return frozenset(out)


LEVELS = ("low", "review", "high")
#: roles of the photos the buyer submitted as evidence: claim photos and live shots (taken through the capture
#: page); the claim's risk starts from the riskiest of them
EVIDENCE_ROLES = frozenset({"claim", "live"})


def level_for(risk: float, settings: Settings) -> str:
    if risk >= settings.levels.high:
        return "high"
    if risk >= settings.levels.review:
        return "review"
    return "low"


def _raised(level: str, floor: str | None) -> str:
    return level if floor is None or LEVELS.index(level) >= LEVELS.index(floor) else floor


def _sets_floor(f: Finding, settings: Settings) -> bool:
    return f.code in settings.floors and f.score > 0


def _floor(findings: Sequence[Finding], settings: Settings) -> str | None:
    floors = [settings.floors[f.code] for f in findings if _sets_floor(f, settings)]
    return max(floors, key=LEVELS.index) if floors else None


def assess(findings: Sequence[Finding], roles: Sequence[str], settings: Settings, *,
           coverage: Coverage | None = None, names: Sequence[str] | None = None) -> Assessment:
    """Turn findings into per-photo and per-claim risk, with the reasons ordered by contribution.

    ``coverage`` (what the analysis examined) floors the level at ``review`` when a check failed and says
    whether a ``low`` is verified; without it every claim photo counts as unverified.
    """
    if coverage is None:
        coverage = Coverage(claim_photos=tuple(i for i, r in enumerate(roles) if r == "claim"))
    uncounted = explained(findings, settings)
    counted = [f for i, f in enumerate(findings) if i not in uncounted]
    logits = [settings.prior_logit] * len(roles)
    for f in counted:
        if f.image is not None:
            logits[f.image] += f.contribution
    claim_logits = [lg for lg, role in zip(logits, roles, strict=True) if role in EVIDENCE_ROLES]
    claim_logit = max(claim_logits) if claim_logits else settings.prior_logit
    claim_logit += sum(f.contribution for f in counted if f.image is None)
    image_risks = tuple(sigmoid(lg) for lg in logits)
    risk = sigmoid(claim_logit)
    on_claim = [f for f in counted if f.image is None or roles[f.image] in EVIDENCE_ROLES]
    image_levels = tuple(_raised(level_for(r, settings), _floor([f for f in counted if f.image == i], settings))
                         for i, r in enumerate(image_risks))
    level = _raised(level_for(risk, settings), _floor(on_claim, settings))
    if coverage.failed:  # a check that applied and failed leaves its evidence unknown: a person must look
        level = _raised(level, "review")
        image_levels = tuple(_raised(lv, "review") if roles[i] in EVIDENCE_ROLES else lv
                             for i, lv in enumerate(image_levels))
    reasons = tuple(sorted((f for f in on_claim if f.contribution > 0 or _sets_floor(f, settings)),
                           key=lambda f: -f.contribution))
    names = names if names is not None else [f"#{i}" for i in range(len(roles))]
    return Assessment(risk=risk, level=level, image_risks=image_risks, image_levels=image_levels, reasons=reasons,
                      uncounted=uncounted, coverage=coverage, notes=failure_notes(coverage),
                      basis_text=summary(coverage, level, names))
