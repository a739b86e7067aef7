"""Download an evidence file the key may see."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse
from sqlalchemy import select

from refundguard.service.auth.deps import CurrentPrincipal, DbSession
from refundguard.service.claims import service as claim_service
from refundguard.service.errors import NotFound
from refundguard.service.evidence.models import Evidence

router = APIRouter(prefix="/v1", tags=["evidence"])
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff",
               "HEIF": "image/heif", "AVIF": "image/avif", "GIF": "image/gif", "BMP": "image/bmp",
               "MP4": "video/mp4", "WEBM": "video/webm"}


@router.get("/claims/{claim_id}/evidence/{sha256}", response_class=FileResponse)
def download(claim_id: str, request: Request, session: DbSession, principal: CurrentPrincipal,
             sha256: str = Path(pattern=r"^[0-9a-f]{64}$")) -> FileResponse:
    """The stored bytes of one evidence file of a claim."""
    claim = claim_service.get_visible(session=session, principal=principal, claim_id=claim_id)
    row = session.scalar(select(Evidence).where(Evidence.claim_id == claim.id, Evidence.sha256 == sha256).limit(1))
    path = request.app.state.store.path(sha256)
    if row is None or not path.is_file():
        raise NotFound("evidence not found", "未找到该证据")
    return FileResponse(path, media_type=MEDIA_TYPES.get(row.format, "application/octet-stream"))
