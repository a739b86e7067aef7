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


def summary(check: signing.Verification | None) -> dict[str, Any] | None:
    return None if check is None else check.to_dict()
