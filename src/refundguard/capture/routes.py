"""Capture endpoints of the JSON API (``/v1/claims/{id}/capture``), for the platform, reviewers and merchants.

The buyer's link is handed out once: in the 201 answer to a platform or admin key and in the
``capture.requested`` webhook (the platform forwards it to the buyer). Reviewers and merchants never see it (a
merchant holding the link could take the shots itself). A new link can be issued while nobody opened the old one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from refundguard.capture import links
from refundguard.capture import service as capture_service
from refundguard.capture.models import CaptureRequest
from refundguard.capture.schemas import CaptureRead, CaptureRequestIn, LinkRead, MarkedRegion, ShotRead
from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.auth.service import Principal, Role
from refundguard.service.errors import Conflict, Forbidden, NotFound
from refundguard.service.paging import Limit, Offset, Page

router = APIRouter(prefix="/v1", tags=["capture"])


def link_key(request: Request) -> bytes:
    """The links' HMAC key of this app (configured, else kept in the data directory)."""
    key = getattr(request.app.state, "capture_link_key", None)
    if key is None:
        key = links.link_key(Path(request.app.state.settings.data_dir), request.app.state.config.capture.link_secret)
        request.app.state.capture_link_key = key
    return key


def _sees_link(principal: Principal) -> bool:
    return principal.role in (Role.PLATFORM, Role.ADMIN)


def read(session: Any, row: CaptureRequest, *, token: str | None = None, manifest: dict[str, Any] | None = None,
         config: Any = None) -> CaptureRead:
    frames = capture_service.frames_of(session=session, request=row, current=False)
    return CaptureRead(
        id=row.id, claim_id=row.claim_id, status=row.status, requested_by=row.requested_by,
        requested_role=row.requested_role, reason=row.reason, requested_at=row.requested_at, deadline=row.deadline,
        turn=row.turn, damage=[MarkedRegion(photo=p, x=x, y=y, w=w, h=h) for p, x, y, w, h in json.loads(row.marked)],
        code=row.code, started_at=row.started_at, completed_at=row.completed_at, ended_at=row.ended_at,
        shots=[ShotRead(kind=f.kind, status=f.status, sha256=f.sha256, size=f.size, format=f.format, width=f.width,
                        height=f.height, received_at=f.received_at, frame_time=f.frame_time) for f in frames],
        manifest_sha256=row.manifest_sha256,
        manifest=manifest if manifest is not None else ({"error": row.manifest_error} if row.manifest_error else None),
        link=LinkRead(**capture_service.link_of(token, config)) if token else None)


@router.post("/claims/{claim_id}/capture", status_code=201, response_model=CaptureRead,
             responses={409: {"description": "a capture is already open, or the claim is not in review or in its "
                                             "merchant window"}})
def request_capture(claim_id: str, body: CaptureRequestIn, request: Request, session: DbSession,
                    principal: CurrentPrincipal) -> CaptureRead:
    """Ask the buyer for a live capture of the item (reviewer, admin or platform keys in review or in the merchant
    window; a merchant key within its own window). The claim waits in ``capture_requested`` until the deadline."""
    config = request.app.state.config.capture
    row, token = capture_service.request_capture(session=session, principal=principal, claim_id=claim_id, data=body,
                                                 config=config, key=link_key(request))
    session.commit()
    return read(session, row, token=token if _sees_link(principal) else None, config=config)


@router.get("/claims/{claim_id}/capture", response_model=Page[CaptureRead])
def list_captures(claim_id: str, request: Request, session: DbSession, principal: CurrentPrincipal,
                  limit: Limit = 100, offset: Offset = 0) -> Page[CaptureRead]:
    """Every capture request of the claim, oldest first, with its shots and the check of its signed record (paged
    like every list)."""
    from refundguard.service.claims import service as claims

    claim = claims.get_visible(session=session, principal=principal, claim_id=claim_id)
    rows = capture_service.for_claim(session=session, claim=claim)
    items = [read(session, row, manifest=_manifest_check(request, session, row)) for row in rows[offset:offset + limit]]
    return Page[CaptureRead](items=items, total=len(rows), limit=limit, offset=offset)


@router.get("/claims/{claim_id}/capture/{request_id}", response_model=CaptureRead)
def get_capture(claim_id: str, request_id: str, request: Request, session: DbSession,
                principal: CurrentPrincipal) -> CaptureRead:
    """One capture request."""
    row = capture_service.get_request(session=session, principal=principal, claim_id=claim_id, request_id=request_id)
    return read(session, row, manifest=_manifest_check(request, session, row))


@router.post("/claims/{claim_id}/capture/{request_id}/link", response_model=CaptureRead)
def reissue_link(claim_id: str, request_id: str, request: Request, session: DbSession,
                 principal: CurrentPrincipal) -> CaptureRead:
    """A new buyer link for a request nobody opened yet; the old link stops working (platform and admin keys)."""
    if not _sees_link(principal):
        raise Forbidden(f"role '{principal.role.value}' may not issue buyer links",
                        f"角色 '{principal.role.value}' 无权签发买家链接")
    row = capture_service.get_request(session=session, principal=principal, claim_id=claim_id, request_id=request_id)
    if row.status != "requested":
        raise Conflict(f"the capture is {row.status}: only an unopened request gets a new link",
                       f"该现场拍摄状态为 {row.status}：只有尚未打开的请求可以重新签发链接", code="invalid_transition")
    token = links.make_token(row.id, row.deadline, link_key(request))
    row.token_hash = links.digest(token)
    session.commit()
    return read(session, row, token=token, config=request.app.state.config.capture)


@router.get("/claims/{claim_id}/capture/{request_id}/sheet", response_class=FileResponse)
def session_sheet(claim_id: str, request_id: str, request: Request, session: DbSession,
                  principal: CurrentPrincipal) -> FileResponse:
    """The signed session sheet: a JPEG of the shots carrying the session's C2PA manifest."""
    row = capture_service.get_request(session=session, principal=principal, claim_id=claim_id, request_id=request_id)
    path = request.app.state.store.path(row.manifest_sha256) if row.manifest_sha256 else None
    if path is None or not path.is_file():
        raise NotFound("this capture has no signed session sheet", "该现场拍摄没有签名的会话记录")
    return FileResponse(path, media_type="image/jpeg", filename=f"capture-{row.id}.jpg")


def _manifest_check(request: Request, session: Any, row: CaptureRequest) -> dict[str, Any] | None:
    from refundguard.capture.verify import check_session

    found = check_session(session=session, request=row, store=request.app.state.store,
                          config=request.app.state.config.capture)
    return found.to_dict() if found is not None else None
