"""Claim use cases. Functions take ``session=`` (and the actor), flush and never commit; they raise
domain errors. Every state change goes through :func:`transition`, which audits it and emits a webhook."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from refundguard.ledger import hooks as ledger_hooks
from refundguard.service import policy as policy_rules
from refundguard.service.audit import service as audit
from refundguard.service.audit.chain import report_digest_of_text
from refundguard.service.auth.permissions import require
from refundguard.service.auth.service import Principal, Role
from refundguard.service.claims.models import AnalysisJob, Claim, ClaimAnalysis
from refundguard.service.claims.schemas import ClaimCreate, DecisionIn
from refundguard.service.claims.workflow import (
    DECIDABLE,
    OPEN_FOR_EVIDENCE,
    Outcome,
    Party,
    RequestStatus,
    State,
    can_transition,
)
from refundguard.service.config import ServiceConfig
from refundguard.service.db import utcnow
from refundguard.service.errors import Conflict, Invalid, NotFound
from refundguard.service.evidence import service as evidence_service
from refundguard.service.evidence.service import Upload
from refundguard.service.evidence.store import EvidenceStore
from refundguard.service.webhooks import service as webhooks


@dataclass(frozen=True, slots=True)
class Created:
    claim: Claim
    job: AnalysisJob | None
    replayed: bool


def transition(*, session: Session, claim: Claim, target: State, actor: str,
               details: dict[str, Any] | None = None) -> None:
    """Move ``claim`` to ``target`` if the lifecycle allows it; audit and emit ``claim.state_changed``."""
    if not can_transition(claim.state, target):
        raise Conflict(f"claim {claim.id} cannot go from {claim.state} to {target.value}",
                       f"申请 {claim.id} 不能从 {claim.state} 变为 {target.value}", code="invalid_transition")
    previous = claim.state
    claim.state = target.value
    claim.updated_at = utcnow()
    info = {"from": previous, "to": target.value, **(details or {})}
    audit.record(session=session, actor=actor, action="claim.state_changed", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant, details=info)
    webhooks.emit(session=session, tenant=claim.tenant, event="claim.state_changed",
                  data={"claim_id": claim.id, "merchant_id": claim.merchant_id, "outcome": claim.outcome,
                        "level": claim.level, "risk": claim.risk, **info, **_why_zh(info),
                        "audit_checkpoint": held_checkpoint(session, claim.tenant)})


def _why_zh(info: dict[str, Any]) -> dict[str, str]:
    """The reason of a change in Chinese for webhook receivers (``why`` is its English)."""
    from refundguard.messages import CATALOGUE, Context, render

    key = info.get("why_key")
    if not isinstance(key, str) or key not in CATALOGUE:
        return {}
    try:
        return {"why_zh": render(key, info.get("why_params") or {}, Context("zh"))}
    except LookupError:
        return {}


def held_checkpoint(session: Session, tenant: str) -> dict[str, Any] | None:
    """The signed checkpoint of the tenant's audit chain as this change leaves it, for the receiver to keep
    (None when the service has no signing key)."""
    cp = audit.checkpoint(session, tenant)
    return None if cp is None else cp.to_dict()


def enqueue_analysis(*, session: Session, claim: Claim, actor: str, with_references: bool) -> AnalysisJob:
    """Move the claim to ``analysing`` and persist a queued job (submitted after commit by the caller)."""
    transition(session=session, claim=claim, target=State.ANALYSING, actor=actor,
               details={"with_references": with_references})
    job = AnalysisJob(id="job_" + uuid.uuid4().hex[:20], claim_id=claim.id, with_references=with_references)
    session.add(job)
    session.flush()
    return job


def _request_hash(data: ClaimCreate, shas: list[str]) -> str:
    body = json.dumps({"claim": data.model_dump(mode="json"), "photos": shas}, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _replay(session: Session, principal: Principal, key: str, request_hash: str) -> Created | None:
    existing = session.scalar(select(Claim).where(Claim.tenant == principal.tenant, Claim.idempotency_key == key))
    if existing is None:
        return None
    if existing.request_hash != request_hash:
        raise Conflict("Idempotency-Key was already used with a different request",
                       "该 Idempotency-Key 已用于另一个不同的请求", code="idempotency_conflict")
    job = session.scalar(select(AnalysisJob).where(AnalysisJob.claim_id == existing.id)
                         .order_by(AnalysisJob.created_at))
    return Created(existing, job, replayed=True)


def create(*, session: Session, principal: Principal, data: ClaimCreate, photos: list[Upload],
           store: EvidenceStore, config: ServiceConfig, idempotency_key: str | None = None,
           references: list[Upload] | None = None) -> Created:
    """Create a claim with the buyer's photos (and the listing photos the platform holds, if any) and queue
    its analysis. Idempotent per ``idempotency_key``."""
    require(principal, "claim.create")
    if not photos:
        raise Invalid("at least one photo is required (form field 'photos')",
                      "至少需要一张照片（表单字段 'photos'）")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise Invalid("Idempotency-Key must be 1-200 characters", "Idempotency-Key 须为 1-200 个字符")
    references = references or []
    if len(photos) + len(references) > config.evidence.max_files_per_request:
        raise Invalid(f"at most {config.evidence.max_files_per_request} files per request",
                      f"每次请求最多 {config.evidence.max_files_per_request} 个文件")
    stored = evidence_service.store_photos(store, photos, config.evidence)
    stored_refs = evidence_service.store_photos(store, references, config.evidence) if references else []
    request_hash = _request_hash(data, [s.sha256 for _, s in stored] + [f"ref:{s.sha256}" for _, s in stored_refs])
    if idempotency_key and (replay := _replay(session, principal, idempotency_key, request_hash)):
        return replay
    claim = Claim(id="clm_" + uuid.uuid4().hex[:20], tenant=principal.tenant, merchant_id=data.merchant_id,
                  buyer_id=data.buyer_id, order_id=data.order_id, amount=data.amount, currency=data.currency,
                  reason=data.reason, order_time=data.order_time, shipped_at=data.shipped_at,
                  delivered_at=data.delivered_at, claimed_at=utcnow(), state=State.CREATED.value,
                  idempotency_key=idempotency_key, request_hash=request_hash, created_by=principal.actor,
                  merchant_responded=False, abuse_confirmed=False)
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:
        if idempotency_key and (replay := _replay(session, principal, idempotency_key, request_hash)):
            return replay
        raise
    audit.record(session=session, actor=principal.actor, action="claim.created", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant,
                 details={"merchant_id": claim.merchant_id, "buyer_id": claim.buyer_id, "amount": claim.amount,
                          "currency": claim.currency, "order_id": claim.order_id})
    for upload, item in stored:
        evidence_service.attach(session=session, claim=claim, stored=item, role="claim", kind="photo",
                                actor=principal.actor, filename=upload.filename)
    for upload, item in stored_refs:
        evidence_service.attach(session=session, claim=claim, stored=item, role="reference", kind="photo",
                                actor=principal.actor, filename=upload.filename)
    job = enqueue_analysis(session=session, claim=claim, actor=principal.actor, with_references=bool(stored_refs))
    return Created(claim, job, replayed=False)


def get_visible(*, session: Session, principal: Principal, claim_id: str) -> Claim:
    """The claim if the principal may see it; otherwise :class:`NotFound` (existence is not revealed)."""
    require(principal, "claim.read")
    claim = session.get(Claim, claim_id) if isinstance(claim_id, str) and len(claim_id) <= 40 else None
    if claim is None or claim.tenant != principal.tenant or (
            principal.role is Role.MERCHANT and claim.merchant_id != principal.merchant_id):
        raise NotFound(f"claim {claim_id[:64]} not found", f"未找到申请 {claim_id[:64]}")
    return claim


def _visible(principal: Principal) -> Select[tuple[Claim]]:
    """The claims the principal may read: its tenant's, or only its own for a merchant."""
    require(principal, "claim.read")
    query = select(Claim).where(Claim.tenant == principal.tenant)
    if principal.role is Role.MERCHANT:
        query = query.where(Claim.merchant_id == principal.merchant_id)
    return query


#: the reviewer queue: claims to decide first, then those waiting for the merchant or for requested evidence
QUEUE_STATES = (State.IN_REVIEW.value, State.AWAITING_MERCHANT.value, State.AWAITING_EVIDENCE.value)


def _in_queue(principal: Principal) -> Select[tuple[Claim]]:
    """The reviewer queue's claims: in review, in a merchant window, or waiting for requested evidence."""
    require(principal, "queue.read")
    return select(Claim).where(Claim.tenant == principal.tenant, Claim.state.in_(QUEUE_STATES))


def _count(session: Session, query: Select[tuple[Claim]]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def list_(*, session: Session, principal: Principal, state: str | None = None, merchant_id: str | None = None,
          limit: int = 50, offset: int = 0) -> tuple[list[Claim], int]:
    """Claims visible to the principal, newest first, with the total count."""
    query = _visible(principal)
    if state is not None:
        query = query.where(Claim.state == state)
    if merchant_id is not None:
        query = query.where(Claim.merchant_id == merchant_id)
    rows = session.scalars(query.order_by(Claim.created_at.desc(), Claim.id).limit(limit).offset(offset)).all()
    return list(rows), _count(session, query)


def queue(*, session: Session, principal: Principal, limit: int = 100, offset: int = 0) -> list[Claim]:
    """The reviewer queue: claims in review, then those waiting (merchant window, evidence request), by deadline."""
    return queue_page(session=session, principal=principal, limit=limit, offset=offset)[0]


def queue_page(*, session: Session, principal: Principal, limit: int = 100, offset: int = 0
               ) -> tuple[list[Claim], int]:
    """One page of the reviewer queue and how many claims it holds in all."""
    base = _in_queue(principal)
    query = base.order_by((Claim.state != State.IN_REVIEW.value), Claim.deadline, Claim.created_at, Claim.id)
    return list(session.scalars(query.limit(limit).offset(offset))), _count(session, base)


def job(*, session: Session, principal: Principal, job_id: str) -> AnalysisJob:
    """An analysis job of a claim the principal may see (anything else is not found)."""
    found = session.get(AnalysisJob, job_id) if len(job_id) <= 40 else None
    if found is None:
        raise NotFound(f"no analysis job {job_id[:40]}", f"没有分析任务 {job_id[:40]}", code="job_not_found")
    get_visible(session=session, principal=principal, claim_id=found.claim_id)  # NotFound when not visible
    return found


#: what the claim lists can be ordered by; ties are broken by the claim id so pages never overlap
LIST_ORDERS: dict[str, Any] = {
    "deadline": Claim.deadline,  # claims without a deadline go last in both directions
    "amount": Claim.amount,
    "level": case({"high": 3, "review": 2, "low": 1}, value=Claim.level, else_=0),
    "merchant": Claim.merchant_id,
    "created": Claim.created_at,
}


@dataclass(frozen=True)
class ClaimListing:
    """One page of a claim list: its rows, how many claims match, and how many of those are overdue."""

    rows: list[Claim]
    total: int
    overdue: int


def browse(*, session: Session, principal: Principal, queue: bool = False, level: str | None = None,
           merchant: str | None = None, state: str | None = None, order_by: str = "deadline",
           descending: bool = False, limit: int = 50, offset: int = 0, now: datetime | None = None) -> ClaimListing:
    """A page of the claims the principal may see, filtered and ordered by the database.

    ``queue`` keeps the reviewer queue's claims (in review, in a merchant window, awaiting requested evidence);
    otherwise a merchant
    sees its own claims and the other roles their tenant's. ``merchant`` matches part of the merchant id,
    ignoring case.
    """
    query = _in_queue(principal) if queue else _visible(principal)
    if level is not None:
        query = query.where(Claim.level == level)
    if state is not None:
        query = query.where(Claim.state == state)
    if merchant:
        # Both sides lowered by the database (SQLite lowers ASCII letters only, PostgreSQL all), LIKE
        # wildcards in the search matched literally.
        pattern = "%" + merchant.strip().replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        query = query.where(func.lower(Claim.merchant_id).like(func.lower(literal(pattern)), escape="/"))
    now = now or utcnow()
    total, overdue = _count(session, query), _count(session, query.where(Claim.deadline < now))
    column = LIST_ORDERS.get(order_by, LIST_ORDERS["deadline"])
    keys = [Claim.deadline.is_(None)] if order_by == "deadline" else []
    keys += [column.desc() if descending else column.asc(), Claim.id]
    rows = session.scalars(query.order_by(*keys).limit(limit).offset(offset)).all()
    return ClaimListing(list(rows), total, overdue)


def decide(*, session: Session, principal: Principal, claim_id: str, decision: DecisionIn,
           config: ServiceConfig | None = None) -> Claim:
    """Record a reviewer decision (reason required); the audit chain keeps who decided what and why.

    ``more_evidence_requested`` does not decide: it opens an evidence request (:func:`request_evidence`).
    """
    require(principal, "claim.decide")
    claim = get_visible(session=session, principal=principal, claim_id=claim_id)
    if claim.state not in DECIDABLE:
        raise Conflict(f"claim is {claim.state}; decisions are taken in review",
                       f"申请当前为 {claim.state}；只能在审核中作出决定", code="invalid_transition")
    if decision.outcome is Outcome.MORE_EVIDENCE_REQUESTED:
        return request_evidence(session=session, principal=principal, claim=claim, decision=decision,
                                config=config or ServiceConfig())
    claim.outcome = decision.outcome.value
    claim.decision_reason = decision.reason
    claim.abuse_confirmed = bool(decision.abuse and decision.outcome is Outcome.REJECTED)
    claim.decided_by = principal.actor
    claim.decided_at = utcnow()
    claim.deadline = None
    if claim.evidence_status == RequestStatus.REQUESTED.value:  # decided before the requested evidence came
        claim.evidence_status = None
    audit.record(session=session, actor=principal.actor, action="claim.decided", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant,
                 details={"outcome": claim.outcome, "reason": claim.decision_reason,
                          "abuse": claim.abuse_confirmed})
    transition(session=session, claim=claim, target=State.DECIDED, actor=principal.actor,
               details={"outcome": claim.outcome})
    ledger_hooks.decision_recorded(session=session, claim=claim)  # adjudicated abuse goes to the ledger
    return claim


def request_evidence(*, session: Session, principal: Principal, claim: Claim, decision: DecisionIn,
                     config: ServiceConfig) -> Claim:
    """Ask the buyer or the merchant for more evidence until a deadline; the claim waits in ``awaiting_evidence``.

    Only the addressed party's evidence answers it (:func:`add_evidence`); at the deadline
    :func:`expire_evidence_requests` returns the claim to the reviewer queue. Nothing is refunded or rejected
    automatically meanwhile. Asking again while a request is open replaces it (new party, text, deadline).
    """
    hours = decision.deadline_hours or config.policy.more_evidence_hours
    party = decision.evidence_from or Party.BUYER
    claim.evidence_from = party.value
    claim.evidence_request = decision.reason
    claim.evidence_status = RequestStatus.REQUESTED.value
    claim.deadline = utcnow() + _hours(hours)
    details = {"from": party.value, "request": decision.reason, "deadline": claim.deadline.isoformat(),
               "hours": hours}
    audit.record(session=session, actor=principal.actor, action="claim.evidence_requested", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant, details=details)
    if claim.state != State.AWAITING_EVIDENCE.value:
        transition(session=session, claim=claim, target=State.AWAITING_EVIDENCE, actor=principal.actor,
                   details={**policy_rules.reason("policy.more_evidence", party=party.value),
                            "deadline": claim.deadline.isoformat()})
    else:
        webhooks.emit(session=session, tenant=claim.tenant, event="claim.evidence_requested",
                      data={"claim_id": claim.id, "merchant_id": claim.merchant_id, **details,
                            "audit_checkpoint": held_checkpoint(session, claim.tenant)})
    session.flush()
    return claim


def expire_evidence_requests(*, session: Session, config: ServiceConfig, now: datetime | None = None,
                             limit: int = 200) -> list[str]:
    """Return claims whose evidence request ended unanswered to the reviewer queue, with that fact; their ids.

    Never an automatic refund or rejection: a reviewer decides with the fact in front of them. Safe to run from
    several processes (rows are locked, skipped when another sweeper holds them).
    """
    now = now or utcnow()
    due = session.scalars(select(Claim).where(Claim.state == State.AWAITING_EVIDENCE.value, Claim.deadline <= now)
                          .order_by(Claim.deadline).limit(limit).with_for_update(skip_locked=True)).all()
    moved = []
    for claim in due:
        asked = claim.evidence_from or "buyer"
        deadline = claim.deadline.isoformat() if claim.deadline else None
        claim.evidence_status = RequestStatus.EXPIRED.value
        claim.deadline = now + _hours(config.policy.review_window_hours)
        transition(session=session, claim=claim, target=State.IN_REVIEW, actor="system:sweeper",
                   details={**policy_rules.reason("policy.evidence_expired", party=asked, deadline=deadline),
                            "evidence_from": asked, "requested_until": deadline})
        moved.append(claim.id)
    session.flush()
    return moved


def close(*, session: Session, principal: Principal, claim_id: str, note: str | None = None) -> Claim:
    require(principal, "claim.close")
    claim = get_visible(session=session, principal=principal, claim_id=claim_id)
    transition(session=session, claim=claim, target=State.CLOSED, actor=principal.actor,
               details={"note": note} if note else None)
    return claim


def _answers_request(claim: Claim, principal: Principal) -> bool:
    """Whether this key may answer the claim's open evidence request (the addressed party, or an admin)."""
    if principal.role is Role.ADMIN:
        return True
    wanted = Role.MERCHANT if claim.evidence_from == Party.MERCHANT.value else Role.PLATFORM
    return principal.role is wanted


def add_evidence(*, session: Session, principal: Principal, claim_id: str, photos: list[Upload],
                 video: Upload | None, statement: str | None, store: EvidenceStore,
                 config: ServiceConfig) -> tuple[Claim, AnalysisJob | None]:
    """Merchant references / packing video / statement, or the buyer's extra photos (platform keys).

    New photos trigger a re-analysis (with the reference check when references exist). While the claim awaits
    requested evidence, only the addressed party (or an admin) may send it; that answers the request, and the
    claim goes to a reviewer after the analysis.
    """
    merchant = principal.role is Role.MERCHANT
    require(principal, "claim.respond" if merchant else "claim.add_buyer_evidence")
    claim = get_visible(session=session, principal=principal, claim_id=claim_id)
    if claim.state not in OPEN_FOR_EVIDENCE:
        raise Conflict(f"claim is {claim.state}: it does not accept evidence now",
                       f"申请当前为 {claim.state}：暂不接受证据", code="invalid_transition")
    answering = claim.state == State.AWAITING_EVIDENCE.value
    if answering and not _answers_request(claim, principal):
        who = "buyer (through the platform)" if claim.evidence_from != Party.MERCHANT.value else "merchant"
        who_zh = "买家（经平台）" if claim.evidence_from != Party.MERCHANT.value else "商家"
        raise Conflict(f"the reviewer asked the {who} for evidence; only they can answer now",
                       f"审核员要求{who_zh}补充证据；目前只接受其提交", code="evidence_requested_from_other_party")
    if not photos and video is None and not statement:
        raise Invalid("send photos, a video or a statement", "请提交照片、视频或说明")
    if statement is not None and len(statement) > config.evidence.max_statement_chars:
        raise Invalid(f"statement longer than {config.evidence.max_statement_chars} characters",
                      f"说明超过 {config.evidence.max_statement_chars} 个字符")
    role = "reference" if principal.role in (Role.MERCHANT, Role.ADMIN) else "claim"
    added = 0
    for upload, item in evidence_service.store_photos(store, photos, config.evidence):
        row = evidence_service.attach(session=session, claim=claim, stored=item, role=role,
                                      kind="photo", actor=principal.actor, filename=upload.filename)
        added += row is not None
    if video is not None:
        if role != "reference":
            raise Invalid("only the merchant sends a packing video", "只有商家可以提交打包视频")
        added += len(evidence_service.add_video(session=session, store=store, claim=claim, upload=video,
                                                actor=principal.actor, config=config.evidence))
    if statement and role == "reference":
        claim.merchant_statement = statement.strip()
        audit.record(session=session, actor=principal.actor, action="claim.statement", subject_type="claim",
                     subject_id=claim.id, tenant=claim.tenant, details={"statement": claim.merchant_statement})
    elif statement:  # the buyer's words (through the platform) are kept in the timeline, not as the merchant's
        audit.record(session=session, actor=principal.actor, action="claim.buyer_statement", subject_type="claim",
                     subject_id=claim.id, tenant=claim.tenant, details={"statement": statement.strip()})
    if role == "reference":
        claim.merchant_responded = True
    if answering:
        claim.evidence_status = RequestStatus.RECEIVED.value
    job = None
    if added:
        has_refs = bool(evidence_service.for_claim(session=session, claim_id=claim.id, role="reference"))
        job = enqueue_analysis(session=session, claim=claim, actor=principal.actor, with_references=has_refs)
    elif answering or (merchant and claim.state == State.AWAITING_MERCHANT.value):
        why = policy_rules.reason("policy.statement_arrived") if answering else \
            policy_rules.reason("policy.merchant_responded")
        transition(session=session, claim=claim, target=State.IN_REVIEW, actor=principal.actor, details=why)
        claim.deadline = utcnow() + _hours(config.policy.review_window_hours)
    session.flush()
    return claim, job


def _hours(hours: float) -> timedelta:
    return timedelta(hours=hours)


def apply_analysis(*, session: Session, claim: Claim, job: AnalysisJob, report: dict[str, Any],
                   config: ServiceConfig) -> ClaimAnalysis:
    """Store a report, then route the claim by policy (the only place analysis results change state).

    A claim that a reviewer already held (they asked for the evidence this analysis includes) goes back to a
    reviewer whatever the level: the request was theirs to conclude.
    """
    references = sum(1 for im in report.get("images", []) if im.get("role") == "reference")
    text = json.dumps(report, ensure_ascii=False)
    row = ClaimAnalysis(claim_id=claim.id, job_id=job.id, risk=float(report["risk"]), level=str(report["level"]),
                        references=references, report=text, report_sha256=report_digest_of_text(text))
    session.add(row)
    claim.risk, claim.level = row.risk, row.level
    session.flush()
    coverage = report.get("coverage") or {}
    audit.record(session=session, actor="system:analysis", action="claim.analysed", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant,
                 details={"job_id": job.id, "analysis_id": row.id, "report_sha256": row.report_sha256,
                          "risk": row.risk, "level": row.level, "references": references,
                          "basis": coverage.get("basis", "incomplete"),
                          "findings": sorted({f["code"] for f in report.get("findings", [])})})
    webhooks.emit(session=session, tenant=claim.tenant, event="claim.analysed",
                  data={"claim_id": claim.id, "risk": row.risk, "level": row.level,
                        "basis": coverage.get("basis", "incomplete"),
                        "failed_checks": [f.get("check") for f in coverage.get("failed", [])],
                        "reasons": report.get("reasons", []), "reasons_zh": report.get("reasons_zh", []),
                        "report_sha256": row.report_sha256,
                        "audit_checkpoint": held_checkpoint(session, claim.tenant)})
    now = utcnow()
    if claim.evidence_status == RequestStatus.RECEIVED.value:
        arrived = policy_rules.reason("policy.evidence_arrived", party=claim.evidence_from or "buyer")
        decision = policy_rules.Route(State.IN_REVIEW, now + _hours(config.policy.review_window_hours),
                                      arrived["why"], arrived["why_key"], arrived["why_params"])
    else:
        decision = policy_rules.route(
            level=row.level, amount=claim.amount,
            buyer_abuse=policy_rules.buyer_has_abuse(session=session, tenant=claim.tenant, buyer_id=claim.buyer_id)
            or any(f.get("code") == "ledger.prior_abuse" for f in report.get("findings", [])),
            merchant_responded=claim.merchant_responded, policy=config.policy, now=now,
            coverage=coverage)
    claim.deadline = decision.deadline
    if decision.state is State.AUTO_APPROVED:
        claim.outcome = Outcome.APPROVED.value
    transition(session=session, claim=claim, target=decision.state, actor="system:policy",
               details={**decision.details(),
                        "deadline": decision.deadline.isoformat() if decision.deadline else None})
    return row


def route_without_analysis(*, session: Session, claim: Claim, error: str, config: ServiceConfig) -> None:
    """An analysis that cannot run sends the claim to a person, never to an automatic refund."""
    audit.record(session=session, actor="system:analysis", action="claim.analysis_failed", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant, details={"error": error})
    claim.deadline = utcnow() + _hours(config.policy.review_window_hours)
    transition(session=session, claim=claim, target=State.IN_REVIEW, actor="system:policy",
               details=policy_rules.reason("policy.analysis_failed"))


def analyses(*, session: Session, claim: Claim) -> list[ClaimAnalysis]:
    return list(session.scalars(select(ClaimAnalysis).where(ClaimAnalysis.claim_id == claim.id)
                                .order_by(ClaimAnalysis.id)))


def latest_report(*, session: Session, claim: Claim) -> dict[str, Any]:
    row = session.scalar(select(ClaimAnalysis).where(ClaimAnalysis.claim_id == claim.id)
                         .order_by(ClaimAnalysis.id.desc()).limit(1))
    if row is None:
        raise NotFound("no analysis yet for this claim", "该申请尚无分析结果", code="not_analysed")
    return json.loads(row.report)
