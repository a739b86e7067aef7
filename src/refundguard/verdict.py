"""Combine findings into an explained, calibrated risk.

Each finding contributes ``weight × score`` log-odds (weights are data, in ``data/defaults.toml``, fitted
by ``python -m bench calibrate``). A photo's risk is ``sigmoid(prior + Σ contributions of its findings)``,
where the prior is the fitted intercept moved to the platform's base rate, so the risk is the probability
that the photo is forged on a platform with that share of forged claims. The claim's risk starts from its
riskiest photo and adds claim-level findings (those with no single image, such as damage that disagrees
between photos). Levels come from configured thresholds; a policy floor (``floors``) raises the level of a
photo whose finding must be seen by a person whatever its probability (a re-sent listing photo is not a
forgery, but it is no evidence of damage either). A finding whose fact another finding on the same photo
already explains (``subsumes``) is reported but not counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from refundguard.config import Settings
from refundguard.findings import Finding


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


def explained(findings: Sequence[Finding], settings: Settings) -> frozenset[int]:
    """Indexes of findings that another finding on the same photo subsumes (see ``[subsumes]``)."""
    present: dict[int | None, set[str]] = {}
    for f in findings:
        if f.contribution > 0:
            present.setdefault(f.image, set()).add(f.code)
    out = set()
    for i, f in enumerate(findings):
        if f.image is None:
            continue
        if any(f.code in settings.subsumes.get(other, ()) for other in present.get(f.image, set()) - {f.code}):
            out.add(i)
    return frozenset(out)


LEVELS = ("low", "review", "high")


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


def assess(findings: Sequence[Finding], roles: Sequence[str], settings: Settings) -> Assessment:
    """Turn findings into per-photo and per-claim risk, with the reasons ordered by contribution."""
    uncounted = explained(findings, settings)
    counted = [f for i, f in enumerate(findings) if i not in uncounted]
    logits = [settings.prior_logit] * len(roles)
    for f in counted:
        if f.image is not None:
            logits[f.image] += f.contribution
    claim_logits = [lg for lg, role in zip(logits, roles, strict=True) if role == "claim"]
    claim_logit = max(claim_logits) if claim_logits else settings.prior_logit
    claim_logit += sum(f.contribution for f in counted if f.image is None)
    image_risks = tuple(sigmoid(lg) for lg in logits)
    risk = sigmoid(claim_logit)
    on_claim = [f for f in counted if f.image is None or roles[f.image] == "claim"]
    image_levels = tuple(_raised(level_for(r, settings), _floor([f for f in counted if f.image == i], settings))
                         for i, r in enumerate(image_risks))
    level = _raised(level_for(risk, settings), _floor(on_claim, settings))
    reasons = tuple(sorted((f for f in on_claim if f.contribution > 0 or _sets_floor(f, settings)),
                           key=lambda f: -f.contribution))
    return Assessment(risk=risk, level=level, image_risks=image_risks, image_levels=image_levels, reasons=reasons,
                      uncounted=uncounted)
