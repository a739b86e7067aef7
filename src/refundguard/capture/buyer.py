"""The buyer's side of a capture: the page ``/capture/<token>`` and the endpoints it calls.

No account: the signed link is the credential, and once the session starts, the session nonce the page received
(sent with every frame). Every answer that is not a success is a 4xx with a message in Chinese and English; the
page is an HTML page even for an expired (410) or unknown (404) link.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from PIL import Image, ImageDraw, ImageOps
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from refundguard.capture import service as capture_service
from refundguard.capture.config import FORM_SLACK
from refundguard.capture.prefetch import prefetcher
from refundguard.capture.routes import link_key
from refundguard.capture.schemas import CaptureStatus, FrameAccepted, SessionStarted
from refundguard.service.db import utcnow
from refundguard.service.errors import DomainError, Invalid, NotFound, PayloadTooLarge
from refundguard.service.evidence import service as evidence_service
from refundguard.web.i18n import pick_lang, remember_lang, translator

router = APIRouter(prefix="/capture", tags=["capture (buyer)"])
env = Environment(loader=PackageLoader("refundguard.capture", "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
STATIC = {"capture.js": "text/javascript", "capture.css": "text/css"}


def _db(request: Request) -> Any:
    return request.app.state.db


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = pick_lang(request)
    html = env.get_template(name).render(lang=lang, t=translator(lang), request=request, **context)
    # the link is the credential: no-store, and the service's Referrer-Policy (same-origin) never sends it to
    # another site; the camera permission and the page's script policy come from service.ingress.headers
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    remember_lang(request, response)
    return response


def _in_session(request: Request, token: str, work: Any, *, lock: bool = True) -> Any:
    """Run ``work(session, capture_request)`` in one transaction on the link's request (locked)."""
    with _db(request).session() as session:
        row = capture_service.resolve(session=session, token=token, key=link_key(request), lock=lock)
        return work(session, row)


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    if name not in STATIC:
        raise NotFound("not found", "未找到")
    from importlib import resources

    body = resources.files("refundguard.capture").joinpath("static", name).read_bytes()
    return Response(body, media_type=STATIC[name], headers={"Cache-Control": "public, max-age=3600"})


@router.get("/{token}", response_class=HTMLResponse, include_in_schema=False)
def page(token: str, request: Request) -> HTMLResponse:
    """The capture page (zh-CN by default, ``?lang=en``)."""
    def work(session: Any, row: Any) -> dict[str, Any]:
        photos = len(evidence_service.for_claim(session=session, claim_id=row.claim_id, role="claim"))
        return {"token": token, "deadline": row.deadline, "turn": row.turn, "photos": photos,
                "status": row.status, "max_bytes": request.app.state.config.capture.max_frame_bytes,
                "max_video_bytes": request.app.state.config.capture.max_video_bytes}

    try:
        context = _in_session(request, token, work, lock=False)
    except DomainError as exc:
        return _page(request, "capture_error.html", {"error": exc}, status=exc.status)
    return _page(request, "capture.html", context)


@router.get("/{token}/photo/{n}", include_in_schema=False)
def claim_photo(token: str, n: int, request: Request) -> Response:
    """A small copy of claim photo ``n`` with the marked damage outlined: the buyer sees what to photograph."""
    import json

    def work(session: Any, row: Any) -> tuple[bytes, list[list[int]]]:
        rows = evidence_service.for_claim(session=session, claim_id=row.claim_id, role="claim")
        if not 0 <= n < len(rows):
            raise NotFound("no such photo", "没有这张照片")
        return request.app.state.store.path(rows[n].sha256).read_bytes(), [m for m in json.loads(row.marked)
                                                                           if m[0] == n]

    data, marked = _in_session(request, token, work, lock=False)
    with Image.open(io.BytesIO(data)) as img:
        pic = ImageOps.exif_transpose(img).convert("RGB")  # regions are in the upright photo's pixels
    full_width = pic.width
    pic.thumbnail((720, 720))
    k = pic.width / max(1, full_width)
    draw = ImageDraw.Draw(pic)
    for _, x, y, w, h in marked:
        draw.rectangle([x * k, y * k, (x + w) * k, (y + h) * k], outline=(255, 23, 68), width=4)
    buf = io.BytesIO()
    pic.save(buf, format="JPEG", quality=85)
    return Response(buf.getvalue(), media_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def _form(request: Request, max_bytes: int) -> Any:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise DomainError("the upload must state its size (Content-Length)", "上传请求必须声明大小（Content-Length）",
                          code="length_required")
    if int(length) > max_bytes + FORM_SLACK:
        raise PayloadTooLarge(f"the upload is larger than {max_bytes // (1024 * 1024)} MiB",
                              f"上传内容超过 {max_bytes // (1024 * 1024)} MiB")
    try:
        return await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    except StarletteHTTPException as exc:
        raise Invalid(f"the upload could not be read: {exc.detail}", f"无法读取上传内容：{exc.detail}") from exc


def _nonce(request: Request, form: Any = None) -> str | None:
    value = request.headers.get("x-capture-nonce") or (form.get("nonce") if form is not None else None)
    return str(value) if value else None


@router.post("/{token}/session", response_model=SessionStarted)
async def start_session(token: str, request: Request) -> SessionStarted:
    """Start the link's one session: the one-time code to write, the nonce for the frames (409 the second time)."""
    client = {"user_agent": request.headers.get("user-agent", ""),
              "language": request.headers.get("accept-language", "")}
    try:
        body = await request.json() if int(request.headers.get("content-length") or 0) else {}
    except ValueError:
        body = {}
    if isinstance(body, dict):
        client.update({f"page_{k}": v for k, v in list(body.items())[:6] if isinstance(v, str | int | float)})
    config = request.app.state.config.capture

    def work(session: Any, row: Any) -> SessionStarted:
        code, nonce = capture_service.start(session=session, request=row, client=client, config=config)
        return SessionStarted(code=code, nonce=nonce, turn=row.turn, session_deadline=row.session_deadline,
                              server_time=utcnow())

    return await run_in_threadpool(_in_session, request, token, work)


@router.get("/{token}/status", response_model=CaptureStatus)
def status(token: str, request: Request) -> CaptureStatus:
    """Where the session stands (the page resumes from it after a reload); needs the session nonce."""
    import json

    def work(session: Any, row: Any) -> CaptureStatus:
        capture_service.check_nonce(row, _nonce(request))
        frames = capture_service.frames_of(session=session, request=row)
        shots = capture_service.shots_present(frames)
        feedback = {f.kind: json.loads(f.feedback) for f in frames if f.feedback}
        return CaptureStatus(status=row.status, code=row.code, turn=row.turn, shots=shots, feedback=feedback,
                             complete_ready=capture_service.complete_ready(shots), server_time=utcnow())

    return _in_session(request, token, work, lock=False)


@router.post("/{token}/frames", response_model=FrameAccepted)
async def add_frame(token: str, request: Request) -> FrameAccepted:
    """One frame, sent as soon as it is taken: ``kind`` (whole, close, turned or video), ``file``, ``nonce``, and
    the page's clock (``client_time_ms``) and time since the session started (``since_start_ms``)."""
    config = request.app.state.config.capture
    form = await _form(request, max(config.max_frame_bytes, config.max_video_bytes))
    try:
        kind = str(form.get("kind") or "")
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("send the frame as the form field 'file'", "请用表单字段 'file' 发送画面")
        limit = config.max_video_bytes if kind == "video" else config.max_frame_bytes
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"the frame is larger than {limit // (1024 * 1024)} MiB",
                                  f"画面超过 {limit // (1024 * 1024)} MiB")
        frame = capture_service.Frame(kind=kind, data=data, client_time_ms=_number(form.get("client_time_ms")),
                                      since_start_ms=_number(form.get("since_start_ms")))
        nonce = _nonce(request, form)
    finally:
        await form.close()
    settings = request.app.state.settings

    def work(session: Any, row: Any) -> tuple[FrameAccepted, str]:
        capture_service.check_nonce(row, nonce)
        rows = capture_service.add_frame(session=session, request=row, frame=frame, store=request.app.state.store,
                                         limits=settings.limits, config=config)
        shots = capture_service.shots_present(capture_service.frames_of(session=session, request=row))
        return FrameAccepted(kind=rows[0].kind, sha256=rows[0].sha256, received_at=rows[0].received_at,
                             width=rows[0].width, height=rows[0].height, shots=shots,
                             complete_ready=capture_service.complete_ready(shots)), row.id

    accepted, request_id = await run_in_threadpool(_in_session, request, token, work)
    if not accepted.complete_ready:  # analyse what arrived while the buyer takes the next shot
        prefetcher(request.app).submit(request_id)
    return accepted


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@router.post("/{token}/complete")
async def complete(token: str, request: Request) -> dict[str, Any]:
    """End the session (all required shots present): it is signed, and the claim is analysed again."""
    nonce = _nonce(request)
    if nonce is None and "form" in request.headers.get("content-type", ""):
        form = await _form(request, 0)
        nonce = _nonce(request, form)
    config = request.app.state.config.capture

    def work(session: Any, row: Any) -> dict[str, Any]:
        capture_service.check_nonce(row, nonce)
        done = capture_service.complete(session=session, request=row, store=request.app.state.store, config=config)
        return {"status": "completed", "request_id": row.id, "job_id": done.job.id if done.job else None,
                "signed": bool(row.manifest_sha256)}

    result = await run_in_threadpool(_in_session, request, token, work)
    if result["job_id"]:
        request.app.state.runner.submit(result["job_id"])
    return {k: v for k, v in result.items() if k != "job_id"}

