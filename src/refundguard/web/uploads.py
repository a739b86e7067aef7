"""Bounded, validated reading of uploaded photos (multipart form files)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import UploadFile

from refundguard.config import Limits
from refundguard.errors import InputError, InputTooLarge, UnsupportedFormat
from refundguard.media.load import LoadedImage, Probe, load_image, probe
from refundguard.media.load import decode as decode_probe
from refundguard.web.errors import PageError

CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^\w.\-()\u4e00-\u9fff ]+")


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Limits of one upload request (the engine's image limits apply as well)."""

    max_file_bytes: int = 25 * 1024 * 1024
    max_request_bytes: int = 120 * 1024 * 1024
    max_claim_files: int = 6
    max_reference_files: int = 12


def safe_name(name: str | None, fallback: str) -> str:
    """A display name without path parts or control characters (the name is never trusted for the type)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")[:80]
    return base or fallback


async def read_upload(upload: UploadFile, *, max_bytes: int, name: str) -> bytes:
    """The file's bytes, refusing more than ``max_bytes`` without reading the rest."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise PageError(413, f"{name}: larger than {max_bytes // (1024 * 1024)} MiB",
                            f"{name}：文件超过 {max_bytes // (1024 * 1024)} MiB")
        chunks.append(chunk)
    if size == 0:
        raise PageError(400, f"{name}: the file is empty", f"{name}：文件为空")
    return b"".join(chunks)


def decode(data: bytes | Probe, *, name: str, limits: Limits) -> LoadedImage:
    """Decode an uploaded photo (or one :func:`checked` already), turning engine input errors into 4xx pages."""
    try:
        if isinstance(data, Probe):
            return decode_probe(data, limits=limits)
        return load_image(data, limits=limits, name=name)
    except InputError as exc:
        raise _page_error(exc) from exc


def checked(data: bytes, *, name: str, limits: Limits) -> Probe:
    """Read an upload's type and container without decoding it (fast): a wrong type, a file over the limits or a
    broken container is refused while the browser still waits for the answer."""
    try:
        return probe(data, limits=limits, name=name)
    except InputError as exc:
        raise _page_error(exc) from exc


def _page_error(exc: InputError) -> PageError:
    zh = getattr(exc, "zh", None) or str(exc)
    if isinstance(exc, UnsupportedFormat):
        return PageError(415, f"not a supported photo: {exc}", f"不支持的图片格式：{zh}")
    if isinstance(exc, InputTooLarge):
        return PageError(413, f"photo too large: {exc}", f"图片过大：{zh}")
    return PageError(422, f"unreadable photo: {exc}", f"无法读取图片：{zh}")


def uploads_of(form_values: list[object]) -> list[UploadFile]:
    """The non-empty file parts of a form field (browsers send an empty part when nothing is chosen)."""
    return [v for v in form_values if isinstance(v, UploadFile) and (v.filename or v.size)]
