"""Record what one analysis saw, so later claims can be matched against it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from refundguard.findings import Finding, Region
from refundguard.index.base import ReuseIndex
from refundguard.index.fingerprint import (
    MIN_REGION_SIDE,
    PhotoCodes,
    image_fingerprint,
    photo_codes,
    region_fingerprint,
)

if TYPE_CHECKING:  # the engine imports the checks, which import this package
    from refundguard.engine import Analysis
    from refundguard.media.derived import Pictures
    from refundguard.media.load import LoadedImage

#: findings whose regions mark suspected (added or edited) damage: the template fingerprint's input
DAMAGE_CODES = frozenset({"reference.derived_edit", "tamper.local"})
#: at most this many damage regions are fingerprinted per photo (the highest-scoring findings first)
MAX_REGIONS = 4
#: where an analysis keeps a photo's :func:`~refundguard.index.fingerprint.photo_codes` (``ctx.pictures``, then
#: ``Analysis.pictures``: under :data:`refundguard.media.derived.KEPT`, so they outlive the analysis)
CODES_KEY = "index/photo_codes"


def codes_of(pictures: Pictures, image: LoadedImage) -> PhotoCodes:
    """The photo codes of ``image``, made once per analysis: the reuse check's query and the record of the same
    photo (:func:`record_analysis`, the service's ``record_new``) take their fingerprints from them."""
    return pictures.get(image, CODES_KEY, lambda: photo_codes(image.pixels))


def damage_regions(findings: Iterable[Finding], image: int) -> Iterator[Region]:
    """The damage regions that findings put on photo ``image``, strongest finding first, deduplicated."""
    seen: set[Region] = set()
    ranked = sorted((f for f in findings if f.code in DAMAGE_CODES and f.image == image), key=lambda f: -f.score)
    for finding in ranked:
        for region in finding.regions:
            if region in seen or min(region.w, region.h) < MIN_REGION_SIDE // 2:
                continue
            seen.add(region)
            yield region
            if len(seen) >= MAX_REGIONS:
                return


def record_analysis(index: ReuseIndex, analysis: Analysis, *, at: datetime | None = None) -> list[int]:
    """Add the claim photos of ``analysis`` (and their damage regions) to ``index``; returns the record ids.

    Raises
    ------
    ValueError
        When the analysis has no claim id: a record that cannot be told apart from the next claim is useless.
    """
    claim = analysis.claim
    if not claim.claim_id:
        raise ValueError("a claim id is needed to record an analysis in the reuse index / 记录到复用索引需要申请编号")
    when = at or claim.claimed_at or datetime.now(UTC)
    ids: list[int] = []
    for i, (image, role) in enumerate(zip(analysis.images, analysis.roles, strict=True)):
        if role != "claim":
            continue
        fingerprint = image_fingerprint(image.pixels, codes=codes_of(analysis.pictures, image))
        ids.append(index.add(fingerprint, claim_id=claim.claim_id, buyer_id=claim.buyer_id,
                             merchant_id=claim.merchant_id, account_id=claim.account_id, at=when,
                             image_sha256=image.sha256))
        for region in damage_regions(analysis.findings, i):
            try:
                fp = region_fingerprint(image.pixels, region)
            except ValueError:
                continue
            rid = index.add_region(fp, claim_id=claim.claim_id, buyer_id=claim.buyer_id,
                                   merchant_id=claim.merchant_id, account_id=claim.account_id, at=when,
                                   image_sha256=image.sha256)
            if rid is not None:
                ids.append(rid)
    return ids
