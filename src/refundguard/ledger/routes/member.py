"""Endpoints for other members, authenticated by their Ed25519 request signatures (``X-Ledger-*`` headers).

- ``GET /v1/ledger/feed?after=N&limit=M&nonce=X``: a signed page of this platform's feed;
- ``POST /v1/ledger/member/appeals``: an appeal another member received about one of this platform's entries;
- ``GET /v1/ledger/key``: this platform's name and public key (public, for configuring membership).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from refundguard.ledger import appeals, auth, signing
from refundguard.ledger.feeds import serve
from refundguard.ledger.routes.common import MemberRefused, ledger_of, media_type
from refundguard.service.auth.deps import DbSession
from refundguard.service.errors import Invalid, PayloadTooLarge, UnsupportedMedia

router = APIRouter(prefix="/v1/ledger", tags=["ledger members"])
MAX_APPEAL_BODY = 16 * 1024


def _member(request: Request, body: bytes = b"") -> str:
    ledger = ledger_of(request)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        return auth.verify_request(request.headers, method=request.method, target=target, body=body,
                                   members=ledger.members, tolerance_s=ledger.config.clock_tolerance_s,
                                   nonces=ledger.nonces)
    except auth.AuthError as exc:
        raise MemberRefused(exc) from None


@router.get("/key")
def key(request: Request) -> dict[str, str]:
    """This platform's ledger name and Ed25519 public key (what other members configure)."""
    ledger = ledger_of(request)
    return {"platform": ledger.config.platform, "public_key": ledger.key.public_hex,
            "fingerprint": signing.fingerprint(ledger.key.public_hex)}


@router.get("/feed")
def feed(request: Request, session: DbSession, nonce: Annotated[str, Query(pattern=r"^[0-9a-f]{16,64}$")],
         after: Annotated[int, Query(ge=0, le=2**31)] = 0,
         limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> JSONResponse:
    """Records after ``after`` (at most the configured page size), signed for this request's ``nonce``."""
    _member(request)
    ledger = ledger_of(request)
    page = serve.page(session, key=ledger.key, issuer=ledger.config.platform, after=after,
                      limit=min(limit, ledger.config.page_records), nonce=nonce)
    return JSONResponse(page)


@router.post("/member/appeals", status_code=201)
async def forwarded_appeal(request: Request, session: DbSession) -> dict[str, Any]:
    """Contest one of this platform's entries on behalf of a buyer who appealed at another member."""
    if media_type(request) != "application/json":
        raise UnsupportedMedia("send application/json", "请发送 application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_APPEAL_BODY:
            raise PayloadTooLarge("appeal body too large", "申诉内容过大")
    origin = _member(request, body)
    try:
        payload = json.loads(body)
    except ValueError:
        raise Invalid("the body is not JSON", "请求体不是 JSON") from None
    if not isinstance(payload, dict):
        raise Invalid("the body must be a JSON object", "请求体须为 JSON 对象")
    appeal = appeals.receive_forwarded(session, ledger_of(request), origin=origin, payload=payload)
    session.commit()
    return {"appeal_id": appeal.id, "status": appeal.status}
