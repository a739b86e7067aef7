"""Content-addressed file store: ``<data_dir>/evidence/ab/cd/<sha256>``, written once, de-duplicated.

Pictures derived from a stored file (the pages' thumbnails) are kept beside it under
``<data_dir>/derived/ab/cd/<sha256>.<name>``, made once on first use (:meth:`EvidenceStore.derived`).

The type is sniffed from the content (never the name) with :func:`refundguard.media.sniff.sniff`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from refundguard.media.sniff import IMAGE_FORMATS, VIDEO_FORMATS, describe_unknown, sniff
from refundguard.service.errors import Invalid, PayloadTooLarge, UnsupportedMedia

CHUNK = 1 << 20
SHA_LENGTH = 64
_DERIVED_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class Stored:
    sha256: str
    size: int
    format: str
    path: Path
    new: bool


class EvidenceStore:
    """Files on local disk named by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "evidence"
        self.root.mkdir(parents=True, exist_ok=True)
        self._derived = Path(root) / "derived"
        self._tmp = Path(root) / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != SHA_LENGTH or any(c not in "0123456789abcdef" for c in sha256):
            raise Invalid("not a SHA-256 hex digest", "不是 SHA-256 十六进制摘要")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def derived(self, sha256: str, name: str, make: Callable[[bytes], bytes]) -> bytes:
        """The derived file ``name`` of stored file ``sha256``: read when it exists, else ``make(file bytes)``,
        written atomically and returned. Two requests may both make it; the content is the same."""
        source = self.path(sha256)
        if not _DERIVED_NAME.fullmatch(name):
            raise ValueError(f"not a derived-file name: {name!r}")
        target = self._derived / sha256[:2] / sha256[2:4] / f"{sha256}.{name}"
        try:
            return target.read_bytes()
        except FileNotFoundError:
            pass
        data = make(source.read_bytes())
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="derived-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp_name, target)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        return data

    def put(self, stream: BinaryIO, *, kinds: frozenset[str], max_bytes: int, name: str = "file") -> Stored:
        """Copy ``stream`` into the store, enforcing ``max_bytes`` and a content type in ``kinds``.

        ``kinds`` holds ``"image"`` and/or ``"video"``.
        """
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="up-")
        try:
            with os.fdopen(fd, "wb") as out:
                head = b""
                while chunk := stream.read(CHUNK):
                    if len(head) < 64:
                        head = (head + chunk)[:64]
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(f"{name}: larger than {max_bytes // (1024 * 1024)} MiB",
                                              f"{name}：超过 {max_bytes // (1024 * 1024)} MiB")
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise Invalid(f"{name}: the file is empty", f"{name}：文件为空")
            fmt = sniff(head)
            allowed = (IMAGE_FORMATS if "image" in kinds else set()) | (VIDEO_FORMATS if "video" in kinds else set())
            if fmt not in allowed:
                what = describe_unknown(head) if fmt is None else f"it is {fmt}"
                wanted = " or ".join(sorted(kinds))
                wanted_zh = "或".join({"image": "图片", "video": "视频"}[k] for k in sorted(kinds))
                raise UnsupportedMedia(f"{name}: not an accepted {wanted} file ({what})",
                                       f"{name}：不是可接受的{wanted_zh}文件（{what}）")
            sha = digest.hexdigest()
            target = self.path(sha)
            if target.is_file():
                return Stored(sha, size, fmt, target, new=False)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
            tmp_name = ""
            return Stored(sha, size, fmt, target, new=True)
        finally:
            if tmp_name and os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def put_bytes(self, data: bytes, *, kinds: frozenset[str], max_bytes: int, name: str = "file") -> Stored:
        import io

        return self.put(io.BytesIO(data), kinds=kinds, max_bytes=max_bytes, name=name)
