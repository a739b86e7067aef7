"""Claim endpoints (JSON). Thin: dependencies -> service -> schema; commit once per request."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile

from refundguard.ledger import visibility as ledger_visibility
from refundguard.service.audit import service as audit
from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.claims import service
from refundguard.service.claims.schemas import (
    AnalysisRead,
    AuditRead,
    ClaimCreate,
    ClaimDetail,
    ClaimPage,
    ClaimRead,
    CloseIn,
    DecisionIn,
    EvidenceRead,
    JobAccepted,
    JobRead,
    Page,
)
from refundguard.service.claims.workflow import State
from refundguard.service.evidence import service as evidence_service
from refundguard.service.evidence.service import Upload
from refundguard.service.paging import Limit, Offset

router = APIRouter(prefix="/v1", tags=["claims"])


def _uploads(files: list[UploadFile] | None) -> list[Upload]:
    return [Upload(f.filename, f.file) for f in files or [] if f.filename or f.size]


def _submit(request: Request, job_id: str | None) -> None:
    if job_id is not None:
        request.app.state.runner.submit(job_id)


def detail(session: Any, claim: Any) -> ClaimDetail:
    """A claim with its evidence list and analysis count (also used by the web pages)."""
    out = ClaimDetail.model_validate(claim, from_attributes=True)
    out.evidence = [EvidenceRead.model_validate(e) for e in evidence_service.for_claim(session=session,
                                                                                        claim_id=claim.id)]
    out.analyses = len(service.analyses(session=session, claim=claim))
    return out


@router.post("/claims", status_code=201, response_model=JobAccepted,
             responses={200: {"description": "Replay of an earlier request with the same Idempotency-Key"},
                        409: {"description": "Idempotency-Key reused with a different request"}})
def create_claim(request: Request, response: Response, session: DbSession, principal: CurrentPrincipal,
                 data: Annotated[ClaimCreate, Form()],
                 photos: Annotated[list[UploadFile], File(description="The buyer's photos (1-12).")],
                 references: Annotated[list[UploadFile] | None, File(
                     description="The listing photos of the product sold, when the platform holds them: the "
                                 "claim photos are compared with them (a claim can only be verified, and "
                                 "approved automatically, against such independent evidence).")] = None,
                 idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
                 ) -> JobAccepted:
    """Create a claim with the buyer's photos; its analysis starts at once (platform and admin keys)."""
    created = service.create(session=session, principal=principal, data=data, photos=_uploads(photos),
                             store=request.app.state.store, config=request.app.state.config,
                             idempotency_key=idempotency_key, references=_uploads(references))
    session.commit()
    if created.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    else:
        _submit(request, created.job.id if created.job else None)
    return JobAccepted(claim=ClaimRead.model_validate(created.claim),
                       job_id=created.job.id if created.job else None)


@router.get("/claims", response_model=ClaimPage)
def list_claims(session: DbSession, principal: CurrentPrincipal,
                state: Annotated[State | None, Query()] = None,
                merchant_id: Annotated[str | None, Query(max_length=128)] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> ClaimPage:
    """Claims visible to the key: its tenant's, or only its own for a merchant key."""
    rows, total = service.list_(session=session, principal=principal, state=state.value if state else None,
                                merchant_id=merchant_id, limit=limit, offset=offset)
    return ClaimPage(items=[ClaimRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/claims/{claim_id}", response_model=ClaimDetail)
def get_claim(claim_id: str, session: DbSession, principal: CurrentPrincipal) -> ClaimDetail:
    """One claim with its evidence."""
    return detail(session, service.get_visible(session=session, principal=principal, claim_id=claim_id))


@router.get("/claims/{claim_id}/report")
def get_report(claim_id: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """The newest analysis report (schema ``refundguard.report/1``)."""
    claim = service.get_visible(session=session, principal=principal, claim_id=claim_id)
    return ledger_visibility.for_role(service.latest_report(session=session, claim=claim), principal.role.value)




@router.get("/claims/{claim_id}/analyses", response_model=Page[AnalysisRead])
def list_analyses(claim_id: str, session: DbSession, principal: CurrentPrincipal, limit: Limit = 100,
                  offset: Offset = 0) -> Page[AnalysisRead]:
    """The claim's analyses, oldest first (paged like every list)."""
    claim = service.get_visible(session=session, principal=principal, claim_id=claim_id)
    rows = service.analyses(session=session, claim=claim)
    return Page[AnalysisRead](items=[AnalysisRead.model_validate(a) for a in rows[offset:offset + limit]],
                              total=len(rows), limit=limit, offset=offset)


@router.get("/claims/{claim_id}/audit", response_model=Page[AuditRead])
def claim_audit(claim_id: str, session: DbSession, principal: CurrentPrincipal, limit: Limit = 100,
                offset: Offset = 0) -> Page[AuditRead]:
    """The claim's audit entries (its timeline), oldest first (paged like every list)."""
    claim = service.get_visible(session=session, principal=principal, claim_id=claim_id)
    rows = audit.for_subject(session=session, subject_id=claim.id)
    return Page[AuditRead](items=[AuditRead.model_validate(e) for e in rows[offset:offset + limit]],
                           total=len(rows), limit=limit, offset=offset)


@router.get("/jobs/{job_id}", response_model=JobRead, tags=["claims"])
def get_job(job_id: str, session: DbSession, principal: CurrentPrincipal) -> JobRead:
    """The analysis job a claim or evidence upload returned (``job_id``): queued, running, done or failed."""
    return JobRead.model_validate(service.job(session=session, principal=principal, job_id=job_id))


@router.post("/claims/{claim_id}/evidence", status_code=202, response_model=JobAccepted)
def add_evidence(claim_id: str, request: Request, session: DbSession, principal: CurrentPrincipal,
                 photos: Annotated[list[UploadFile] | None, File(description="Reference photos (merchant) or "
                                                                             "extra claim photos (platform).")] = None,
                 video: Annotated[UploadFile | None, File(description="Packing video (merchant).")] = None,
                 statement: Annotated[str | None, Form(max_length=5000)] = None) -> JobAccepted:
    """Add evidence. Merchant keys add references, a packing video (keyframes) and a statement;
    new photos trigger a re-analysis with the reference check."""
    claim, job = service.add_evidence(session=session, principal=principal, claim_id=claim_id,
                                      photos=_uploads(photos),
                                      video=Upload(video.filename, video.file) if video is not None else None,
                                      statement=statement, store=request.app.state.store,
                                      config=request.app.state.config)
    session.commit()
    _submit(request, job.id if job else None)
    return JobAccepted(claim=ClaimRead.model_validate(claim), job_id=job.id if job else None)


@router.post("/claims/{claim_id}/decision", response_model=ClaimRead)
def decide(claim_id: str, body: DecisionIn, request: Request, session: DbSession,
           principal: CurrentPrincipal) -> ClaimRead:
    """A reviewer's decision: approved or rejected, with a reason; or ``more_evidence_requested`` with
    ``evidence_from`` (buyer or merchant) and an optional ``deadline_hours``: the claim then awaits that evidence
    and returns to the reviewer queue when it arrives or when the deadline passes."""
    claim = service.decide(session=session, principal=principal, claim_id=claim_id, decision=body,
                           config=request.app.state.config)
    session.commit()
    return ClaimRead.model_validate(claim)


@router.post("/claims/{claim_id}/close", response_model=ClaimRead)
def close(claim_id: str, session: DbSession, principal: CurrentPrincipal, body: CloseIn | None = None) -> ClaimRead:
    """Close a decided or auto-approved claim."""
    claim = service.close(session=session, principal=principal, claim_id=claim_id, note=body.note if body else None)
    session.commit()
    return ClaimRead.model_validate(claim)


@router.get("/review/queue", response_model=ClaimPage, tags=["review"])
def review_queue(session: DbSession, principal: CurrentPrincipal, limit: Limit = 100,
                 offset: Offset = 0) -> ClaimPage:
    """Claims in review, then those waiting for the merchant or for requested evidence, by deadline (reviewer
    keys); paged like every list."""
    rows, total = service.queue_page(session=session, principal=principal, limit=limit, offset=offset)
    return ClaimPage(items=[ClaimRead.model_validate(c) for c in rows], total=total, limit=limit, offset=offset)
