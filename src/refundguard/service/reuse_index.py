"""The claim service's reuse index: on by default, so a photo resubmitted in another claim is found.

The service holds every claim it analyses, so it keeps their photos in the reuse index (fingerprints only,
never pixels; see :mod:`refundguard.index`). Where the index lives, in order: ``[service.reuse] index_url``, the
engine's ``index_url`` setting, else the embedded index ``<data_dir>/reuse-index.db`` beside a SQLite database,
or the service's own PostgreSQL database (pgvector) when the service runs on PostgreSQL.

A claim analysed again (the merchant's references arrived, the buyer sent another angle) does not add the same
photo twice: :func:`record_new` remembers, per claim, which photos and damage regions are already indexed
(table ``reuse_recorded``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import make_url

from refundguard.config import Settings
from refundguard.index import ReuseIndex, damage_regions, image_fingerprint, open_index, region_fingerprint
from refundguard.index.record import codes_of
from refundguard.service.claims.models import ReuseRecorded
from refundguard.service.config import ServiceConfig
from refundguard.service.db import Database, normalise_url

if TYPE_CHECKING:
    from refundguard.engine import Analysis

log = logging.getLogger("refundguard.reuse")


def index_url(settings: Settings, config: ServiceConfig) -> str | None:
    """Where the service's reuse index lives (None when ``[service.reuse] enabled = false``)."""
    if not config.reuse.enabled:
        return None
    if config.reuse.index_url:
        return config.reuse.index_url
    if settings.index_url:
        return settings.index_url
    parsed = make_url(normalise_url(settings.database_url))
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return f"sqlite:///{(settings.data_dir / 'reuse-index.db').expanduser().resolve()}"


def open_service_index(settings: Settings, config: ServiceConfig) -> ReuseIndex | None:
    """The opened index, or None when disabled. Raises :class:`~refundguard.errors.ConfigError` when it cannot
    be opened (the analysis then fails and goes to a person: reuse never silently reads as "not seen")."""
    url = index_url(settings, config)
    return None if url is None else open_index(url)


def _region_key(x: int, y: int, w: int, h: int) -> str:
    return f"{x},{y},{w},{h}"


def record_new(index: ReuseIndex, analysis: Analysis, *, db: Database, at: datetime | None = None) -> int:
    """Add the claim photos of ``analysis`` and their damage regions that this claim has not indexed yet;
    returns how many records were added."""
    claim = analysis.claim
    if not claim.claim_id:
        raise ValueError("a claim id is needed to record an analysis in the reuse index")
    with db.session() as session:
        seen = {(sha, region) for sha, region in session.execute(
            select(ReuseRecorded.sha256, ReuseRecorded.region).where(ReuseRecorded.claim_id == claim.claim_id))}
    when = at or claim.claimed_at or datetime.now(UTC)
    ids = dict(claim_id=claim.claim_id, buyer_id=claim.buyer_id, merchant_id=claim.merchant_id,
               account_id=claim.account_id, at=when)
    added: list[tuple[str, str]] = []
    for i, (image, role) in enumerate(zip(analysis.images, analysis.roles, strict=True)):
        if role != "claim":
            continue
        if (image.sha256, "") not in seen and (image.sha256, "") not in added:
            fingerprint = image_fingerprint(image.pixels, codes=codes_of(analysis.pictures, image))
            index.add(fingerprint, image_sha256=image.sha256, **ids)
            added.append((image.sha256, ""))
        for region in damage_regions(analysis.findings, i):
            key = _region_key(region.x, region.y, region.w, region.h)
            if (image.sha256, key) in seen or (image.sha256, key) in added:
                continue
            try:
                fp = region_fingerprint(image.pixels, region)
            except ValueError:  # too small for a fingerprint
                continue
            index.add_region(fp, image_sha256=image.sha256, **ids)
            added.append((image.sha256, key))  # remembered even with too few keypoints: the answer stays the same
    if added:
        with db.session() as session:
            session.add_all(ReuseRecorded(claim_id=claim.claim_id, sha256=sha, region=key) for sha, key in added)
    return len(added)
