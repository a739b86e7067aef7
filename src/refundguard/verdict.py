"""Combine findings into an explained, calibrated risk.

Each finding contributes ``weight × score`` log-odds (weights are data, in ``data/defaults.toml``).
A photo's risk is ``sigmoid(prior + Σ contributions of its findings)``. The claim's risk starts from
its riskiest photo and adds claim-level findings (those with no single image, such as damage that
disagrees between photos). Levels come from configured thresholds.
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


def level_for(risk: float, settings: Settings) -> str:
    if risk >= settings.levels.high:
        return "high"
    if risk >= settings.levels.review:
        return "review"
    return "low"


def assess(findings: Sequence[Finding], roles: Sequence[str], settings: Settings) -> Assessment:
    """Turn findings into per-photo and per-claim risk, with the reasons ordered by contribution."""
    logits = [settings.prior_logit] * len(roles)
    for f in findings:
        if f.image is not None:
            logits[f.image] += f.contribution
    claim_logits = [lg for lg, role in zip(logits, roles, strict=True) if role == "claim"]
    claim_logit = max(claim_logits) if claim_logits else settings.prior_logit
    claim_logit += sum(f.contribution for f in findings if f.image is None)
    image_risks = tuple(sigmoid(lg) for lg in logits)
    risk = sigmoid(claim_logit)
    counted = [f for f in findings if f.image is None or roles[f.image] == "claim"]
    reasons = tuple(sorted((f for f in counted if f.contribution > 0), key=lambda f: -f.contribution))
    return Assessment(
        risk=risk, level=level_for(risk, settings), image_risks=image_risks,
        image_levels=tuple(level_for(r, settings) for r in image_risks), reasons=reasons,
    )
