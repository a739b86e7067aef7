"""Check a completed session's signed record against the stored evidence (API, case page, evidence bundle)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from refundguard.capture import signing
from refundguard.capture.config import CaptureConfig
from refundguard.capture.models import CaptureRequest
from refundguard.capture.service import frames_of
from refundguard.service.evidence.store import EvidenceStore


def check_session(*, session: Session, request: CaptureRequest, store: EvidenceStore, config: CaptureConfig
                  ) -> signing.Verification | None:
    """The verification of the session sheet (None for a session that did not complete)."""
    if request.status != "completed":
        return None
    if not request.manifest_sha256:
        return signing.Verification(False, None, (request.manifest_error or "the session was not signed",), None,
                                    None, None)
    path = store.path(request.manifest_sha256)
    if not path.is_file():
        return signing.Verification(False, None, ("the signed session sheet is missing from the store",), None, None,
                                    None)
    files: dict[str, bytes] = {}
    for frame in frames_of(session=session, request=request):
        item = store.path(frame.sha256)
        if item.is_file():
            files[frame.sha256] = item.read_bytes()
    anchors = config.trust_anchors
    return signing.verify(path.read_bytes(), trust_anchors=anchors, files=files)


def bundle_sessions(*, session: Session, claim: Any, store: EvidenceStore, config: CaptureConfig | None = None
                    ) -> list[dict[str, Any]]:
    """The claim's capture sessions as the evidence bundle lists them, each with the check of its signed record."""
    from refundguard.capture.service import for_claim

    if config is None:
        from refundguard.service.config import ServiceConfig

        config = ServiceConfig().capture
    out = []
    for request in for_claim(session=session, claim=claim):
        check = check_session(session=session, request=request, store=store, config=config)
        out.append({
            "id": request.id, "status": request.status, "requested_by": request.requested_by,
            "requested_at": request.requested_at, "reason": request.reason, "deadline": request.deadline,
            "code": request.code, "started_at": request.started_at, "completed_at": request.completed_at,
            "manifest_sha256": request.manifest_sha256, "verification": check.to_dict() if check else None,
            "shots": [{"kind": f.kind, "sha256": f.sha256, "received_at": f.received_at, "frame_time": f.frame_time,
                       "client_time": f"{f.client_time_ms:.0f} ms" if f.client_time_ms is not None else None}
                      for f in frames_of(session=session, request=request)]})
    return out
