"""A claim stored by the claim service, read back for the pages and the evidence bundle.

The service stores the newest report as JSON and the evidence files by SHA-256; this module reloads the
report's images from the store (refusing a file whose bytes no longer match its SHA-256), and gathers the
timeline (audit entries), the integrity of the tenant's audit chain (walked, compared with the claim rows and
with the held checkpoints, and signed when intact) and the buyer's adjudicated history. It reads through the
service's own tables and functions, never writes, and never creates a database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from refundguard.config import Limits
from refundguard.errors import InputError
from refundguard.ledger import bundle as ledger_bundle
from refundguard.ledger import visibility as ledger_visibility
from refundguard.ledger.config import LedgerConfig
from refundguard.media.load import LoadedImage, load_image
from refundguard.report.pdf import (
    AdjudicatedClaim,
    AuditHead,
    CaseFacts,
    LegalTiers,
    TimelineEvent,
    render_bundle,
)
from refundguard.service.audit import service as audit
from refundguard.service.audit.models import AuditTenantHead
from refundguard.service.audit.signing import Checkpoint
from refundguard.service.claims import service as claims
from refundguard.service.claims.models import Claim
from refundguard.service.errors import DomainError, NotFound
from refundguard.service.evidence import service as evidence_service
from refundguard.service.evidence.store import EvidenceStore

#: Outcome name used for claims rejected as adjudicated abuse (counted against legal tiers by default).
FRAUD_CONFIRMED = "fraud_confirmed"
MAX_HISTORY = 500
#: What a merchant sees instead of another merchant's claim or merchant id.
OTHER_MERCHANT = "其他商家 / another merchant"


class StoredClaimError(Exception):
    """A stored claim cannot be bundled (missing, not analysed, evidence file gone)."""


@dataclass
class StoredCase:
    claim: Claim
    report: dict[str, Any] | None
    images: list[LoadedImage]
    facts: CaseFacts
    #: the report's photos as (file name, SHA-256), in report order (also when ``images`` were not decoded)
    photos: list[tuple[str, str]] | None = None


def outcome_label(claim: Claim) -> str | None:
    """The outcome as the legal tiers count it: a rejection marked as abuse is ``fraud_confirmed``."""
    if claim.outcome == "rejected" and claim.abuse_confirmed:
        return FRAUD_CONFIRMED
    return claim.outcome


def buyer_history(*, session: Session, claim: Claim, viewer_merchant: str | None = None) -> list[AdjudicatedClaim]:
    """The adjudicated claims of the same buyer in the same tenant (this one included), oldest first: final
    decisions only (approved or rejected), never a claim that was only asked for more evidence.

    For a merchant viewer (``viewer_merchant``), other merchants' claim and merchant ids are masked: the amounts
    and outcomes still add up, but merchants do not learn each other's claims.
    """
    if not claim.buyer_id:
        return []
    rows = session.scalars(select(Claim).where(Claim.tenant == claim.tenant, Claim.buyer_id == claim.buyer_id,
                                               Claim.outcome.in_(("approved", "rejected")))
                           .order_by(Claim.decided_at, Claim.id).limit(MAX_HISTORY))
    out = []
    for c in rows:
        hidden = viewer_merchant is not None and c.merchant_id != viewer_merchant
        out.append(AdjudicatedClaim(claim_id=OTHER_MERCHANT if hidden else c.id, amount=float(c.amount),
                                    outcome=outcome_label(c) or "", decided_at=c.decided_at,
                                    merchant_id=OTHER_MERCHANT if hidden else c.merchant_id))
    return out


def _detail_text(details: str) -> str:
    try:
        data = json.loads(details)
    except ValueError:
        return details[:300]
    if not isinstance(data, dict):
        return str(data)[:300]
    parts = [f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}" for k, v in data.items()
             if v not in (None, "", [], {})]
    text = "; ".join(parts)
    return text if len(text) <= 300 else text[:300] + "…"


def _details(details: str) -> dict[str, Any]:
    try:
        data = json.loads(details)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def timeline(*, session: Session, claim: Claim) -> list[TimelineEvent]:
    """The claim's audit entries with their recorded details (the surfaces word them: ``timeline.<action>``)."""
    return [TimelineEvent(at=e.at, action=e.action, actor=e.actor, detail=_detail_text(e.details),
                          details=_details(e.details))
            for e in audit.for_subject(session=session, subject_id=claim.id)]


def file_names(*, session: Session, claim: Claim) -> dict[str, str]:
    """The claim's evidence files by SHA-256: the uploaded file name (a video frame: the video's name and time)."""
    return evidence_service.display_names(evidence_service.for_claim(session=session, claim_id=claim.id))


def audit_head(*, session: Session, tenant: str, verify: bool, claim_id: str | None = None,
               checkpoints: list[Checkpoint] | None = None) -> AuditHead | None:
    """The head of the tenant's chain; ``verify`` walks it (for the bundle): every entry, the claims against the
    chain's snapshot of their facts, and the chain against the service's held checkpoints and ``checkpoints``.
    An intact chain's head comes with a signed checkpoint for the reader to keep."""
    if not verify:
        row = session.get(AuditTenantHead, tenant)
        return None if row is None else AuditHead(hash=row.hash, entries=row.seq, verified=None, chain=tenant)
    guard = audit.guard_of(session)
    trusted = guard.signer.trusted() if guard is not None and guard.signer is not None else None
    try:
        held = audit.held_checkpoints(session, tenant)
    except audit.BadCheckpoint as exc:
        held, unreadable = [], [str(exc)]
    else:
        unreadable = []
    result = audit.verify(session=session, tenant=tenant, checkpoints=held + list(checkpoints or []),
                          trusted=trusted)
    problems = unreadable + result.problems
    if claim_id is not None:  # this claim's own problems first
        problems.sort(key=lambda p: f"claim {claim_id}" not in p)
    signed = audit.checkpoint(session, tenant) if result.ok and not unreadable else None
    return AuditHead(hash=result.head, entries=result.seq, verified=result.ok and not unreadable, chain=tenant,
                     problems=tuple(problems[:12]), checkpoints=result.checkpoints,
                     checkpoint=signed.to_dict() if signed else None)


def report_photos(*, session: Session, claim: Claim, report: dict[str, Any]) -> list[tuple[str, str]]:
    """(uploaded file name, SHA-256) of each of the report's images, in report order; the name is never a hash or a
    storage path (a photo with no recorded name is called by its role and number)."""
    names = file_names(session=session, claim=claim)
    out = []
    for n, meta in enumerate(report["images"], 1):
        sha = str(meta.get("sha256", ""))
        out.append((names.get(sha) or f"{meta.get('role', 'photo')}-{n}", sha))
    return out


def report_images(*, session: Session, store: EvidenceStore, claim: Claim, report: dict[str, Any],
                  limits: Limits) -> list[LoadedImage]:
    """The report's images, reloaded from the store by SHA-256, named by their uploaded file names."""
    names = dict((sha, name) for name, sha in report_photos(session=session, claim=claim, report=report))
    images: list[LoadedImage] = []
    for meta in report["images"]:
        sha = str(meta.get("sha256", ""))
        try:
            path = store.path(sha)
            image = load_image(path, limits=limits, name=names.get(sha, sha[:12]))
        except (InputError, DomainError, OSError) as exc:  # the store refuses a malformed digest (DomainError)
            raise StoredClaimError(f"evidence file {sha[:16]}… of claim {claim.id} cannot be read: {exc}") from exc
        if image.sha256 != sha:
            raise StoredClaimError(f"evidence file {sha[:16]}… of claim {claim.id} was altered on disk: its bytes "
                                   f"now hash to {image.sha256[:16]}…")
        images.append(image)
    return images


def case_facts(*, session: Session, claim: Claim, verify_chain: bool, viewer_merchant: str | None = None,
               checkpoints: list[Checkpoint] | None = None, timezone: str | None = None) -> CaseFacts:
    return CaseFacts(
        claim_id=claim.id, status=claim.state, tenant=claim.tenant, merchant_id=claim.merchant_id,
        buyer_id=claim.buyer_id, amount=float(claim.amount), created_at=claim.created_at, deadline=claim.deadline,
        decision=outcome_label(claim), decision_reason=claim.decision_reason, decided_at=claim.decided_at,
        currency=claim.currency, order_id=claim.order_id, buyer_reason=claim.reason, delivered_at=claim.delivered_at,
        merchant_statement=claim.merchant_statement, file_names=file_names(session=session, claim=claim),
        timezone=timezone, timeline=timeline(session=session, claim=claim),
        audit_head=audit_head(session=session, tenant=claim.tenant, verify=verify_chain, claim_id=claim.id,
                              checkpoints=checkpoints),
        history=buyer_history(session=session, claim=claim, viewer_merchant=viewer_merchant))


def load_case(*, session: Session, store: EvidenceStore, claim: Claim, limits: Limits,
              verify_chain: bool = False, viewer_merchant: str | None = None,
              checkpoints: list[Checkpoint] | None = None, decode: bool = True,
              timezone: str | None = None, ledger_config: LedgerConfig | None = None) -> StoredCase:
    """The claim with its newest report (``None`` while not analysed) and its images (decoded only with
    ``decode``: a page that shows stored thumbnails needs just the names, in ``photos``)."""
    try:
        report = claims.latest_report(session=session, claim=claim)
    except NotFound:
        report = None
    images = (report_images(session=session, store=store, claim=claim, report=report, limits=limits)
              if report and decode else [])
    photos = report_photos(session=session, claim=claim, report=report) if report else []
    facts = case_facts(session=session, claim=claim, verify_chain=verify_chain, viewer_merchant=viewer_merchant,
                       checkpoints=checkpoints, timezone=timezone)
    if viewer_merchant is None:  # the ledger is shown to reviewers and the police, never to merchants
        facts.ledger = ledger_bundle.section_for(session, report, ledger_config)
    elif report is not None:
        report = ledger_visibility.for_merchant(report)
    return StoredCase(claim=claim, report=report, images=images, facts=facts, photos=photos)


def bundle_for_claim(*, session: Session, store: EvidenceStore, claim: Claim, limits: Limits,
                     tiers: LegalTiers | None = None, viewer_merchant: str | None = None,
                     checkpoints: list[Checkpoint] | None = None, timezone: str | None = None,
                     progress: Callable[[str], None] | None = None, ledger_config: LedgerConfig | None = None
                     ) -> bytes:
    """The evidence bundle PDF of a stored, analysed claim (other merchants masked for a merchant viewer); its
    integrity section says whether the tenant's chain, this claim's rows and the held ``checkpoints`` agree."""
    case = load_case(session=session, store=store, claim=claim, limits=limits, verify_chain=True,
                     viewer_merchant=viewer_merchant, checkpoints=checkpoints, timezone=timezone,
                     ledger_config=ledger_config)
    if case.report is None:
        raise StoredClaimError(f"claim {claim.id} has no analysis yet; try again when it is analysed")
    return render_bundle(case.report, case.images, case.facts, tiers=tiers, progress=progress)


def bundle_for_stored_claim(claim_id: str, *, tiers: LegalTiers | None = None, database_url: str | None = None,
                            config: str | os.PathLike[str] | None = None,
                            checkpoints: list[Checkpoint] | None = None,
                            progress: Callable[[str], None] | None = None) -> bytes:
    """``refundguard bundle CLAIM_ID``: open the service's existing database and store (operator access, no API
    key); a missing database is an error and is never created."""
    from sqlalchemy.exc import SQLAlchemyError

    from refundguard.service.audit.signing import SigningKeyError
    from refundguard.service.audit.witness import Witness
    from refundguard.service.config import load_app_config
    from refundguard.service.db import DatabaseMissing, open_existing

    cfg = load_app_config(config, database_url=database_url)
    settings = cfg.settings
    url = settings.database_url
    try:
        guard = audit.guard_for(settings, cfg.service)
    except SigningKeyError:  # no key here: the chain is still verified, nothing is signed
        guard = audit.ChainGuard(signer=None, witness=Witness(cfg.service.audit.witness_path(settings)))
    try:
        db = open_existing(url, session_info=guard.session_info())
    except DatabaseMissing as exc:
        raise StoredClaimError(f"{exc} (database {url}); nothing was created") from exc
    try:
        with db.session() as session:
            claim = session.get(Claim, claim_id) if len(claim_id) <= 40 else None
            if claim is None:
                raise StoredClaimError(f"no claim {claim_id[:64]!r} in {url}")
            store = EvidenceStore(settings.data_dir)
            return bundle_for_claim(session=session, store=store, claim=claim, limits=settings.limits, tiers=tiers,
                                    checkpoints=checkpoints, timezone=cfg.service.display.zone_name(claim.tenant),
                                    progress=progress, ledger_config=cfg.ledger)
    except SQLAlchemyError as exc:
        raise StoredClaimError(f"database {url!r} is not usable: {str(exc).splitlines()[0]}") from exc
    finally:
        db.dispose()
