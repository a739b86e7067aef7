"""Capture use cases: ask for a capture, run its one session, take its frames, complete or expire it.

Functions take ``session=`` (and the actor), flush and never commit; they raise domain errors. The claim's
state changes go through :func:`refundguard.service.claims.service.transition` (audited, webhooked).

Life of a request::

    requested ──(buyer opens the link, starts)──► started ──(all shots, complete)──► completed ─► claim analysed
        │                                            │
        └──────────────(deadline passes)─────────────┴──► expired ─► claim to a reviewer ("did not complete")
"""

from __future__ import annotations

import hmac
import json
import secrets
import tempfile
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refundguard.capture import links
from refundguard.capture.config import CaptureConfig
from refundguard.capture.errors import Gone, TooMany
from refundguard.capture.models import CaptureFrame, CaptureRequest
from refundguard.capture.orbit import orbit_frames
from refundguard.capture.schemas import CaptureRequestIn
from refundguard.checks.registry import LiveSession, LiveShot
from refundguard.config import Limits
from refundguard.errors import InputError
from refundguard.media.load import load_image
from refundguard.media.sniff import VIDEO_FORMATS, describe_unknown, sniff
from refundguard.messages import both
from refundguard.service.audit import service as audit
from refundguard.service.auth.service import Principal, Role
from refundguard.service.claims.models import AnalysisJob, Claim
from refundguard.service.claims.workflow import State
from refundguard.service.db import utcnow
from refundguard.service.errors import Conflict, Forbidden, Invalid, NotFound, UnsupportedMedia
from refundguard.service.evidence import service as evidence_service
from refundguard.service.evidence.service import IMAGE
from refundguard.service.evidence.store import EvidenceStore, Stored
from refundguard.service.webhooks import service as webhooks

STILLS = ("whole", "close", "turned")
KINDS = (*STILLS, "video")
OPEN = ("requested", "started")
#: photo formats the page sends (canvas or ImageCapture output)
FRAME_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


def link_of(token: str, config: CaptureConfig) -> dict[str, str | None]:
    path = f"/capture/{token}"
    base = (config.public_base_url or "").rstrip("/")
    return {"path": path, "url": f"{base}{path}" if base else None}


def _claim_photo_count(session: Session, claim: Claim) -> int:
    return len(evidence_service.for_claim(session=session, claim_id=claim.id, role="claim"))


# ------------------------------------------------------------------------------------------------ requests
def _open_request(*, session: Session, claim: Claim, actor: str, role: str, data: CaptureRequestIn,
                  config: CaptureConfig, key: bytes, transition: bool = True) -> tuple[CaptureRequest, str]:
    from refundguard.service.claims import service as claims

    now = utcnow()
    hours = data.deadline_hours or config.deadline_hours
    deadline = now + timedelta(hours=hours)
    request_id = "cap_" + uuid.uuid4().hex[:20]
    token = links.make_token(request_id, deadline, key)
    photos = _claim_photo_count(session, claim)
    for region in data.damage:
        if region.photo >= photos:
            raise Invalid(f"damage.photo {region.photo}: the claim has {photos} photo(s), counted from 0",
                          f"damage.photo {region.photo}：该申请只有 {photos} 张照片（从 0 开始计数）")
    row = CaptureRequest(id=request_id, claim_id=claim.id, tenant=claim.tenant, status="requested",
                         requested_by=actor, requested_role=role, reason=data.reason, requested_at=now,
                         deadline=deadline, token_hash=links.digest(token),
                         turn=data.turn or secrets.choice(("left", "right")),
                         marked=json.dumps([[r.photo, r.x, r.y, r.w, r.h] for r in data.damage]), frames_received=0)
    session.add(row)
    session.flush()
    details = {"request_id": request_id, "deadline": deadline.isoformat(), "reason": data.reason}
    if transition:
        claims.transition(session=session, claim=claim, target=State.CAPTURE_REQUESTED, actor=actor,
                          details={"why": data.reason or "live capture requested", **details})
    claim.deadline = deadline
    audit.record(session=session, actor=actor, action="capture.requested", subject_type="claim", subject_id=claim.id,
                 tenant=claim.tenant, details={**details, "damage": json.loads(row.marked), "turn": row.turn})
    webhooks.emit(session=session, tenant=claim.tenant, event="capture.requested",
                  data={"claim_id": claim.id, "merchant_id": claim.merchant_id, "buyer_id": claim.buyer_id,
                        "request_id": request_id, "deadline": deadline.isoformat(), "reason": data.reason,
                        "requested_by": actor, "link": link_of(token, config)})
    return row, token


def _open_for(session: Session, claim: Claim) -> CaptureRequest | None:
    return session.scalar(select(CaptureRequest).where(CaptureRequest.claim_id == claim.id,
                                                       CaptureRequest.status.in_(OPEN)))


def request_capture(*, session: Session, principal: Principal, claim_id: str, data: CaptureRequestIn,
                    config: CaptureConfig, key: bytes) -> tuple[CaptureRequest, str]:
    """A person asks the buyer for a live capture: a reviewer (or admin, or the platform) while the claim is in
    review or in its merchant window, the merchant within its window (when the tenant's policy allows)."""
    from refundguard.service.claims import service as claims

    claim = claims.get_visible(session=session, principal=principal, claim_id=claim_id)
    allowed = {State.IN_REVIEW.value, State.AWAITING_MERCHANT.value}
    if principal.role is Role.MERCHANT:
        if not config.policy_for(claim.tenant).merchant_may_request:
            raise Forbidden("merchants of this platform may not ask for a live capture",
                            "该平台的商家无权要求现场拍摄")
        allowed = {State.AWAITING_MERCHANT.value}
        if claim.deadline is not None and claim.deadline <= utcnow():
            raise Conflict("the merchant window has closed: a reviewer decides now",
                           "商家举证期已结束：现在由审核员决定", code="window_closed")
    if _open_for(session, claim) is not None:
        raise Conflict("a live capture is already requested for this claim", "该申请已有进行中的现场拍摄请求",
                       code="capture_open")
    if claim.state not in allowed:
        when_en, when_zh = (("in the merchant window", "商家举证期内") if principal.role is Role.MERCHANT
                            else ("in review or in the merchant window", "审核中或商家举证期内"))
        raise Conflict(f"claim is {claim.state}: a live capture can be asked for {when_en}",
                       f"申请当前为 {claim.state}：只能在{when_zh}要求现场拍摄", code="invalid_transition")
    return _open_request(session=session, claim=claim, actor=principal.actor, role=principal.role.value, data=data,
                         config=config, key=key)


def open_for_policy(*, session: Session, claim: Claim, why: str, config: CaptureConfig, key: bytes
                    ) -> tuple[CaptureRequest, str]:
    """The routing policy asked for a capture (the claim was just moved to ``capture_requested``)."""
    return _open_request(session=session, claim=claim, actor="system:policy", role="system",
                         data=CaptureRequestIn(reason=why), config=config, key=key, transition=False)


def capture_done(*, session: Session, claim: Claim) -> bool:
    """Whether a capture was already asked for and ended (completed or expired): policy never asks twice."""
    return bool(session.scalar(select(func.count()).select_from(CaptureRequest).where(
        CaptureRequest.claim_id == claim.id, CaptureRequest.status.in_(("completed", "expired", "cancelled")))))


def for_claim(*, session: Session, claim: Claim) -> list[CaptureRequest]:
    return list(session.scalars(select(CaptureRequest).where(CaptureRequest.claim_id == claim.id)
                                .order_by(CaptureRequest.requested_at)))


def frames_of(*, session: Session, request: CaptureRequest, current: bool = True) -> list[CaptureFrame]:
    query = select(CaptureFrame).where(CaptureFrame.request_id == request.id)
    if current:
        query = query.where(CaptureFrame.status == "current")
    return list(session.scalars(query.order_by(CaptureFrame.id)))


def get_request(*, session: Session, principal: Principal, claim_id: str, request_id: str) -> CaptureRequest:
    from refundguard.service.claims import service as claims

    claim = claims.get_visible(session=session, principal=principal, claim_id=claim_id)
    row = session.get(CaptureRequest, request_id) if len(request_id) <= 40 else None
    if row is None or row.claim_id != claim.id:
        raise NotFound(f"capture request {request_id[:64]} not found", f"未找到现场拍摄请求 {request_id[:64]}")
    return row


# --------------------------------------------------------------------------------------------- the session
def resolve(*, session: Session, token: str, key: bytes, now: datetime | None = None, lock: bool = False
            ) -> CaptureRequest:
    """The request of a buyer's link; 404 for a link this server did not sign, 410 for one that is over."""
    now = now or utcnow()
    named = links.read_token(token, key)
    row = session.get(CaptureRequest, named.request_id, with_for_update=lock)
    if row is None or not hmac.compare_digest(row.token_hash, links.digest(token)):
        raise NotFound("this capture link is not valid", "该拍摄链接无效")
    if row.status == "completed":
        raise Gone("this capture was completed: the link cannot be used again", "该现场拍摄已完成：链接不能再次使用")
    if row.status == "cancelled":
        raise Gone("this capture is no longer needed: the claim was decided", "无需再现场拍摄：该申请已作出决定")
    if row.status == "expired" or now >= row.deadline or (
            row.session_deadline is not None and now >= row.session_deadline):
        raise Gone("this capture link has expired", "该拍摄链接已过期")
    return row


def start(*, session: Session, request: CaptureRequest, client: dict[str, Any], config: CaptureConfig,
          now: datetime | None = None) -> tuple[str, str]:
    """Open the link's one session: draw the one-time code and the nonce; a second start is 409."""
    if request.status != "requested":
        raise Conflict("a capture session was already started with this link; it cannot be started again",
                       "该链接已开始过一次现场拍摄，不能再次开始", code="session_started")
    now = now or utcnow()
    code, nonce = links.new_code(), links.new_nonce()
    request.status, request.code, request.nonce_hash = "started", code, links.digest(nonce)
    request.started_at = now
    request.session_deadline = min(request.deadline, now + timedelta(minutes=config.session_minutes))
    request.client = json.dumps({k: str(v)[:300] for k, v in list(client.items())[:12]}, ensure_ascii=False)
    claim = session.get(Claim, request.claim_id)
    audit.record(session=session, actor="buyer:capture-link", action="capture.session_started", subject_type="claim",
                 subject_id=request.claim_id, tenant=request.tenant,
                 details={"request_id": request.id, "session_deadline": request.session_deadline.isoformat(),
                          "code": code, "client": json.loads(request.client)})
    if claim is not None:
        claim.updated_at = now
    session.flush()
    return code, nonce


def check_nonce(request: CaptureRequest, nonce: str | None) -> None:
    if request.status != "started" or request.nonce_hash is None:
        raise Conflict("start the capture session first", "请先开始现场拍摄", code="session_not_started")
    if not nonce or len(nonce) > 200 or not hmac.compare_digest(links.digest(nonce), request.nonce_hash):
        raise Forbidden("this session nonce does not belong to this capture session", "该会话标识不属于本次现场拍摄")


def shots_present(frames: list[CaptureFrame]) -> dict[str, bool]:
    kinds = {f.kind for f in frames if f.status == "current"}
    return {"whole": "whole" in kinds, "close": "close" in kinds, "turned": "turned" in kinds,
            "video": "video" in kinds}


def complete_ready(shots: dict[str, bool]) -> bool:
    """Shots (a) and (b) are required, and (c) or the video orbit."""
    return shots["whole"] and shots["close"] and (shots["turned"] or shots["video"])


@dataclass(frozen=True, slots=True)
class Frame:
    """An uploaded frame as the route read it (bounded in size)."""

    kind: str
    data: bytes
    client_time_ms: float | None
    since_start_ms: float | None


def _bounded(value: float | None) -> float | None:
    if value is None or value != value or abs(value) > 1e14:
        return None
    return float(value)


def add_frame(*, session: Session, request: CaptureRequest, frame: Frame, store: EvidenceStore, limits: Limits,
              config: CaptureConfig, now: datetime | None = None) -> list[CaptureFrame]:
    """Check and keep one frame of the session (a retake replaces the earlier frame of its kind)."""
    now = now or utcnow()
    if frame.kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", f"kind 须为 {', '.join(KINDS)} 之一")
    sent = session.scalar(select(func.count()).select_from(CaptureFrame).where(
        CaptureFrame.request_id == request.id, CaptureFrame.kind != "orbit")) or 0
    if sent >= config.max_frames:
        raise TooMany(f"this session already sent {sent} frames, the most it may send",
                      f"本次拍摄已提交 {sent} 帧，已达上限")
    if not frame.data:
        raise Invalid("the frame is empty", "该帧为空")
    kind_en = both(f"capture.kind.{frame.kind}")["en"]  # the evidence store's own messages name the file
    fmt = sniff(frame.data[:64])
    rows: list[CaptureFrame] = []
    if frame.kind == "video":
        if fmt not in VIDEO_FORMATS:
            what = describe_unknown(frame.data[:64]) if fmt is None else f"it is {fmt}"
            raise UnsupportedMedia(**both("capture.error.not_video", {"kind": frame.kind, "what": what}))
        with tempfile.NamedTemporaryFile(suffix=".video") as tmp:
            tmp.write(frame.data)
            tmp.flush()
            sampled = orbit_frames(Path(tmp.name), count=config.orbit_frames, max_seconds=config.max_orbit_seconds)
        video = store.put_bytes(frame.data, kinds=frozenset({"video"}), max_bytes=config.max_video_bytes,
                                name=kind_en)
        _replace(session, request, ("video", "orbit"))
        rows.append(CaptureFrame(request_id=request.id, kind="video", status="current", sha256=video.sha256,
                                 size=video.size, format=video.format, received_at=now,
                                 client_time_ms=_bounded(frame.client_time_ms),
                                 since_start_ms=_bounded(frame.since_start_ms)))
        for item in sampled:
            stored = store.put_bytes(item.jpeg, kinds=IMAGE, max_bytes=config.max_frame_bytes, name="orbit frame")
            image = load_image(item.jpeg, limits=limits)
            rows.append(CaptureFrame(request_id=request.id, kind="orbit", status="current", sha256=stored.sha256,
                                     size=stored.size, format=stored.format, width=image.width, height=image.height,
                                     received_at=now, frame_time=item.time_s, source_sha256=video.sha256))
    else:
        if fmt not in FRAME_FORMATS:
            what = describe_unknown(frame.data[:64]) if fmt is None else f"it is {fmt}"
            raise UnsupportedMedia(**both("capture.error.not_photo", {"kind": frame.kind, "what": what}))
        try:
            image = load_image(frame.data, limits=limits.model_copy(update={
                "max_pixels": min(limits.max_pixels, config.max_frame_pixels), "max_frames": 1}))
        except InputError as exc:
            raise Invalid(**both("capture.error.unusable_photo", {"kind": frame.kind, "problem": str(exc)})) from exc
        stored = store.put_bytes(frame.data, kinds=IMAGE, max_bytes=config.max_frame_bytes, name=kind_en)
        _replace(session, request, (frame.kind,))
        rows.append(CaptureFrame(request_id=request.id, kind=frame.kind, status="current", sha256=stored.sha256,
                                 size=stored.size, format=stored.format, width=image.width, height=image.height,
                                 received_at=now, client_time_ms=_bounded(frame.client_time_ms),
                                 since_start_ms=_bounded(frame.since_start_ms)))
    session.add_all(rows)
    request.frames_received = (request.frames_received or 0) + 1
    audit.record(session=session, actor="buyer:capture-link", action="capture.frame_received", subject_type="claim",
                 subject_id=request.claim_id, tenant=request.tenant,
                 details={"request_id": request.id, "kind": frame.kind, "sha256": rows[0].sha256, "size": rows[0].size,
                          "format": rows[0].format, "server_time": now.isoformat(),
                          "client_time_ms": rows[0].client_time_ms, "orbit_frames": len(rows) - 1})
    session.flush()
    return rows


def _replace(session: Session, request: CaptureRequest, kinds: tuple[str, ...]) -> None:
    for old in session.scalars(select(CaptureFrame).where(CaptureFrame.request_id == request.id,
                                                          CaptureFrame.kind.in_(kinds),
                                                          CaptureFrame.status == "current")):
        old.status = "replaced"


# ---------------------------------------------------------------------------------------- complete, expire
@dataclass(frozen=True, slots=True)
class Completed:
    request: CaptureRequest
    job: AnalysisJob | None


def complete(*, session: Session, request: CaptureRequest, store: EvidenceStore, config: CaptureConfig,
             now: datetime | None = None) -> Completed:
    """End the session with all required shots: sign it, attach the shots to the claim, re-analyse the claim."""
    from refundguard.capture import signing
    from refundguard.service.claims import service as claims

    now = now or utcnow()
    frames = frames_of(session=session, request=request)
    shots = shots_present(frames)
    if not complete_ready(shots):
        missing = [k for k in ("whole", "close") if not shots[k]]
        if not (shots["turned"] or shots["video"]):
            missing.append("turned_or_video")
        raise Conflict(**both("capture.error.shots_missing", {"missing": missing}), code="shots_missing")
    claim = session.get(Claim, request.claim_id)
    assert claim is not None
    request.status, request.completed_at, request.ended_at = "completed", now, now
    record = session_record(request, frames)
    try:
        sheet = signing.session_sheet(record, [(s, _thumbnail(store.path(s.sha256)))
                                               for s in record.shots if s.kind in STILLS])
        signed = signing.sign_session(record, sheet, cert=config.signing_cert, key=config.signing_key,
                                      alg=config.signing_alg)
        stored = store.put_bytes(signed, kinds=IMAGE, max_bytes=64 * 1024 * 1024, name="session sheet")
        request.manifest_sha256 = stored.sha256
        evidence_service.attach(session=session, claim=claim, stored=stored, role="live", kind="manifest",
                                actor="system:capture", filename=f"capture-{request.id}.jpg")
    except signing.SigningUnavailable as exc:
        request.manifest_error = str(exc)
    for f in frames:
        kind = {"video": "video", "orbit": "keyframe"}.get(f.kind, "photo")
        evidence_service.attach(session=session, claim=claim, role="live", kind=kind,
                                stored=Stored(f.sha256, f.size, f.format, store.path(f.sha256), new=False),
                                actor="buyer:capture-link", filename=f"live-{f.kind}",
                                source_sha256=f.source_sha256, frame_time=f.frame_time)
    details = {"request_id": request.id, "code": request.code, "manifest_sha256": request.manifest_sha256,
               "manifest_error": request.manifest_error,
               "shots": [{"kind": s.kind, "sha256": s.sha256, "server_time": s.received_at.isoformat()}
                         for s in record.shots]}
    audit.record(session=session, actor="buyer:capture-link", action="capture.completed", subject_type="claim",
                 subject_id=claim.id, tenant=claim.tenant, details=details)
    webhooks.emit(session=session, tenant=claim.tenant, event="capture.completed",
                  data={"claim_id": claim.id, "merchant_id": claim.merchant_id, **details})
    job = None
    if claim.state == State.CAPTURE_REQUESTED.value:
        has_refs = bool(evidence_service.for_claim(session=session, claim_id=claim.id, role="reference"))
        job = claims.enqueue_analysis(session=session, claim=claim, actor="system:capture", with_references=has_refs)
    session.flush()
    return Completed(request, job)


def _thumbnail(path: Path, side: int = 400) -> Image.Image:
    """A small copy of a stored shot (JPEG decoded at reduced scale), upright."""
    with Image.open(path) as img:
        img.draft("RGB", (side, side))
        small = ImageOps.exif_transpose(img).convert("RGB")
    small.thumbnail((side, side))
    return small


def session_record(request: CaptureRequest, frames: list[CaptureFrame]):  # type: ignore[no-untyped-def]
    from refundguard.capture.signing import SessionRecord, Shot

    order = {k: n for n, k in enumerate((*STILLS, "video", "orbit"))}
    shots = tuple(Shot(kind=f.kind, sha256=f.sha256, size=f.size, format=f.format, width=f.width, height=f.height,
                       received_at=f.received_at, client_time_ms=f.client_time_ms, since_start_ms=f.since_start_ms,
                       frame_time=f.frame_time, source_sha256=f.source_sha256)
                  for f in sorted(frames, key=lambda f: (order.get(f.kind, 9), f.frame_time or 0.0, f.id)))
    return SessionRecord(request_id=request.id, claim_id=request.claim_id, tenant=request.tenant,
                         requested_by=request.requested_by, requested_at=request.requested_at, reason=request.reason,
                         code=request.code or "", started_at=request.started_at or request.requested_at,
                         completed_at=request.completed_at or utcnow(), shots=shots,
                         client=json.loads(request.client or "{}"))


def expire_due(*, session: Session, review_hours: float, now: datetime | None = None, limit: int = 200) -> list[str]:
    """Expire requests whose deadline (or whose started session's time) has passed; their claims go to a reviewer
    with the fact that the buyer did not complete the capture. Returns the claim ids moved to review."""
    from refundguard.service.claims import service as claims

    now = now or utcnow()
    due = session.scalars(select(CaptureRequest).where(
        CaptureRequest.status.in_(OPEN),
        (CaptureRequest.deadline <= now) | (CaptureRequest.session_deadline <= now))
        .order_by(CaptureRequest.deadline).limit(limit).with_for_update(skip_locked=True)).all()
    moved = []
    for request in due:
        started = request.status == "started"
        request.status, request.ended_at = "expired", now
        claim = session.get(Claim, request.claim_id)
        if claim is None:
            continue
        fact_en = ("the buyer started the live capture but did not complete it" if started
                   else "the buyer did not complete the capture")
        fact_zh = "买家开始了现场拍摄但没有完成" if started else "买家没有完成现场拍摄"
        details = {"request_id": request.id, "why": fact_en, "why_zh": fact_zh,
                   "deadline": request.deadline.isoformat(), "frames_received": request.frames_received}
        audit.record(session=session, actor="system:sweeper", action="capture.expired", subject_type="claim",
                     subject_id=claim.id, tenant=claim.tenant, details=details)
        webhooks.emit(session=session, tenant=claim.tenant, event="capture.expired",
                      data={"claim_id": claim.id, "merchant_id": claim.merchant_id, **details})
        if claim.state == State.CAPTURE_REQUESTED.value:
            claims.transition(session=session, claim=claim, target=State.IN_REVIEW, actor="system:sweeper",
                              details={"why": f"{fact_en}: a reviewer decides (never an automatic refund or "
                                              "rejection)", "request_id": request.id})
            claim.deadline = now + timedelta(hours=review_hours)
            moved.append(claim.id)
    session.flush()
    return moved


def cancel_open(*, session: Session, claim: Claim, actor: str) -> None:
    """Close the claim's open request when the claim is decided before the buyer finished."""
    request = _open_for(session, claim)
    if request is None:
        return
    request.status, request.ended_at = "cancelled", utcnow()
    audit.record(session=session, actor=actor, action="capture.cancelled", subject_type="claim", subject_id=claim.id,
                 tenant=claim.tenant, details={"request_id": request.id})


# ------------------------------------------------------------------------------------------- for analysis
def live_inputs(*, session: Session, claim: Claim, store: EvidenceStore) -> tuple[list[str], LiveSession] | None:
    """The shots of the claim's newest completed session, in order, and the session's facts (None: no session)."""
    request = session.scalar(select(CaptureRequest).where(CaptureRequest.claim_id == claim.id,
                                                          CaptureRequest.status == "completed")
                             .order_by(CaptureRequest.completed_at.desc()).limit(1))
    if request is None:
        return None
    return session_inputs(session=session, request=request, store=store)


def session_inputs(*, session: Session, request: CaptureRequest, store: EvidenceStore
                   ) -> tuple[list[str], LiveSession]:
    """The image frames of a session (stills, then orbit frames by time) and its facts for the engine."""
    order = {k: n for n, k in enumerate((*STILLS, "orbit"))}
    frames = sorted((f for f in frames_of(session=session, request=request) if f.kind in order),
                    key=lambda f: (order[f.kind], f.frame_time or 0.0, f.id))
    marked = tuple(tuple(int(v) for v in m) for m in json.loads(request.marked or "[]"))
    facts = LiveSession(session_id=request.id, code=request.code or "", turn=request.turn,
                        shots=tuple(LiveShot(kind=f.kind, received_at=f.received_at, frame_time=f.frame_time)
                                    for f in frames), marked=marked)  # type: ignore[arg-type]
    return [str(store.path(f.sha256)) for f in frames], facts


def with_live(info: Any, facts: LiveSession) -> Any:
    return replace(info, live=facts)
