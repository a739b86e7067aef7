"""Reuse: was this photo, or this damage pattern, already submitted in another claim?

Fraud rings reuse one "damage" photo across orders and accounts (cropped, rescaled, re-encoded,
mirrored, colour-filtered or screenshotted), and grey-market "damage templates" paste the same crack
onto many products. Each claim photo is looked up in the reuse index by its PDQ hash and, failing that,
by local features checked for one consistent geometric transform; each damage region that the
reference and tamper checks found is looked up among the damage regions of earlier claims.

A match within the same claim is a resubmission, not reuse. A match from a different buyer is strong
evidence; from the same buyer in a different claim, medium.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from refundguard.checks.registry import CheckContext, ClaimInfo, check
from refundguard.errors import not_applicable
from refundguard.findings import Finding, Region

if TYPE_CHECKING:  # the index and its fingerprint libraries load only when an analysis has an index
    from refundguard.index.base import Match


class ReuseCheckConfig(BaseModel):
    """``[checks.reuse]``: the score of a match by who submitted the earlier photo (the verdict multiplies it by
    the code's weight and the match's strength), and how many matches are asked for and named."""

    model_config = ConfigDict(extra="forbid")

    score_other_buyer: float = Field(0.95, ge=0, le=1)
    score_other_account: float = Field(0.85, ge=0, le=1)
    score_unknown_buyer: float = Field(0.75, ge=0, le=1)
    score_same_buyer: float = Field(0.55, ge=0, le=1)
    candidates: int = Field(20, ge=1, le=200)
    shown: int = Field(5, ge=1, le=50)


def _differs(mine: str | None, theirs: str | None) -> bool | None:
    if not mine or not theirs:
        return None
    return mine != theirs


def _relation(claim: ClaimInfo, match: Match) -> dict[str, bool | None]:
    r = match.record
    return {"buyer_differs": _differs(claim.buyer_id, r.buyer_id),
            "account_differs": _differs(claim.account_id, r.account_id),
            "merchant_differs": _differs(claim.merchant_id, r.merchant_id)}


def _score(relation: dict[str, bool | None], config: ReuseCheckConfig) -> float:
    if relation["buyer_differs"]:
        return config.score_other_buyer
    if relation["account_differs"]:
        return config.score_other_account
    if relation["buyer_differs"] is None:
        return config.score_unknown_buyer
    return config.score_same_buyer


def _other_claims(claim: ClaimInfo, matches: list[Match]) -> list[Match]:
    """Matches from other claims (a resubmission within the same claim is not reuse)."""
    return [m for m in matches if not (claim.claim_id and m.record.claim_id == claim.claim_id)]


def _listed(matches: list[Match], shown: int) -> dict[str, object]:
    """The matches a sentence names (``shown_claims``: claim id and when) and how many it leaves out (``unlisted``:
    a part ``reuse.unlisted.more`` when there are more)."""
    more = len(matches) - shown
    return {"shown_claims": [{"claim_id": m.record.claim_id, "at": m.record.at.isoformat() if m.record.at else None}
                             for m in matches[:shown]],
            "unlisted": [{"part": "more", "count": more}] if more > 0 else []}


def _who(relations: list[dict[str, bool | None]]) -> str:
    """Who submitted the earlier photos, as the catalogue words it (``reuse.who.<name>``)."""
    if any(r["buyer_differs"] for r in relations):
        return "other_buyer"
    if any(r["account_differs"] for r in relations):
        return "other_account"
    if all(r["buyer_differs"] is False for r in relations):
        return "same_buyer"
    return "unknown_buyer"


def _details(claim: ClaimInfo, matches: list[Match], shown: int) -> dict[str, object]:
    return {"matches": [{**m.to_dict(), **_relation(claim, m)} for m in matches],
            "claims": sorted({m.record.claim_id or "" for m in matches}),
            "buyers": sorted({m.record.buyer_id for m in matches if m.record.buyer_id}),
            "who": _who([_relation(claim, m) for m in matches]), **_listed(matches, shown)}


@check("reuse", after=("reference", "tamper"), config=ReuseCheckConfig)
def run(ctx: CheckContext) -> list[Finding]:
    """Look every claim photo and damage region up in the reuse index."""
    if ctx.index is None:
        raise not_applicable("reuse.na.no_index")
    from refundguard.index.fingerprint import QUERY_FEATURES, image_fingerprint
    from refundguard.index.record import codes_of, damage_regions

    findings: list[Finding] = []
    k = ctx.config.candidates
    for i, image in ctx.claim_images:
        codes = codes_of(ctx.pictures, image)  # kept by the analysis: recording this photo uses them again
        fingerprint = image_fingerprint(image.pixels, features=QUERY_FEATURES, codes=codes)
        duplicates = _other_claims(ctx.claim, ctx.index.query(fingerprint, k=k, mirror_pixels=codes))
        duplicates = [m for m in duplicates if m.record.kind == "image"]
        if duplicates:
            findings.append(_duplicate_finding(ctx, i, duplicates))
        seen_images = {m.record.image_sha256 for m in duplicates if m.record.image_sha256}
        for region in damage_regions(ctx.prior, i):
            finding = _template_finding(ctx, i, image.pixels, region, seen_images)
            if finding is not None:
                findings.append(finding)
    return findings


def _duplicate_finding(ctx: CheckContext, i: int, matches: list[Match]) -> Finding:
    relations = [_relation(ctx.claim, m) for m in matches]
    score = max(_score(r, ctx.config) * m.strength for r, m in zip(relations, matches, strict=True))
    details = {**_details(ctx.claim, matches, ctx.config.shown),
               "claim_count": len({m.record.claim_id for m in matches})}
    return ctx.finding("reuse.duplicate", image=i, score=score, details=details,
                       variant="copy" if any(m.method == "local" for m in matches) else "same_photo")


def _template_finding(ctx: CheckContext, i: int, pixels: np.ndarray, region: Region,
                      seen_images: set[str]) -> Finding | None:
    from refundguard.index.base import ReuseIndex
    from refundguard.index.fingerprint import QUERY_FEATURES, region_fingerprint

    if not isinstance(ctx.index, ReuseIndex):  # an index without damage-region search
        return None
    try:
        fingerprint = region_fingerprint(pixels, region, features=QUERY_FEATURES)
    except ValueError:  # region too small for a fingerprint
        return None
    matches = [m for m in _other_claims(ctx.claim, ctx.index.query_region(fingerprint, k=ctx.config.candidates))
               if m.record.kind == "region" and m.record.image_sha256 not in seen_images]
    if not matches:
        return None
    relations = [_relation(ctx.claim, m) for m in matches]
    score = max(_score(r, ctx.config) * m.strength for r, m in zip(relations, matches, strict=True))
    return ctx.finding("reuse.template", image=i, score=score, regions=[region], variant="pattern",
                       details=_details(ctx.claim, matches, ctx.config.shown))
