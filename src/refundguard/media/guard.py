"""Decoder calls that end in one clean error, with warnings recorded instead of printed.

Decoders fed hostile bytes fail in every way they can: ``OSError`` and ``SyntaxError`` from Pillow's
plugins, ``struct.error``/``IndexError``/``KeyError`` from their header parsers, ``RuntimeError`` from
libavif/libheif ("Invalid image grid", "Decoding of color planes failed"), ``MemoryError``. Inside
:func:`decoding` each becomes one :class:`~refundguard.errors.UnreadableImage` (or
:class:`~refundguard.errors.InputTooLarge`) naming the file. Python warnings and Pillow's log records
raised meanwhile (a TIFF directory loop, corrupt EXIF, NumPy on infinities) are recorded in the list the
context yields — the loader keeps them in ``Metadata.notes`` — and never reach the terminal.

The recorder is thread-safe: one process-wide ``warnings.showwarning`` hook and one handler on the
``PIL`` logger hand each record to the recording of the thread that raised it, and pass records of
other threads on unchanged (``warnings.catch_warnings`` swaps global state and is unsafe in threads).
libtiff, which Pillow uses for compressed TIFFs, writes its errors and warnings straight to the C
``stderr`` ("Using code not yet in table", "Fax3SetupState: ..."); its global handlers are replaced
(through ``ctypes``, in the copy of libtiff that Pillow loaded) by one that records the message.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PIL import Image as PILImage

from refundguard.errors import InputError, InputTooLarge, UnreadableImage

_local = threading.local()
_install_lock = threading.Lock()
_previous_showwarning: Any = None
MAX_NOTES = 20


def _show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
          line: str | None = None) -> None:
    records: list[str] | None = getattr(_local, "records", None)
    if records is not None:
        if len(records) < MAX_NOTES:
            records.append(f"{category.__name__}: {_one_line(str(message))}")
        return
    previous = _previous_showwarning or warnings._showwarning_orig  # type: ignore[attr-defined]
    previous(message, category, filename, lineno, file, line)


class _Recorder(logging.Handler):
    """Keeps PIL log records of a recording thread; others pass to the logger's usual handlers."""

    def emit(self, record: logging.LogRecord) -> None:
        records: list[str] | None = getattr(_local, "records", None)
        if records is not None and len(records) < MAX_NOTES:
            records.append(f"{record.levelname.lower()}: {_one_line(record.getMessage())}")


class _OnlyWhenRecording(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(_local, "records", None) is not None


_handler = _Recorder(level=logging.WARNING)
_handler.addFilter(_OnlyWhenRecording())


#: libtiff's TIFFErrorHandler: (module, printf format, va_list); the arguments are never read
_TIFF_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)


def _tiff_message(module: bytes | None, fmt: bytes | None, _args: int | None) -> None:
    records: list[str] | None = getattr(_local, "records", None)
    if records is not None and len(records) < MAX_NOTES:
        where = (module or b"").decode("utf-8", "replace")
        records.append(f"libtiff: {_one_line(where)}: {_one_line((fmt or b'').decode('utf-8', 'replace'))}")


_tiff_callback = _TIFF_HANDLER(_tiff_message)
_tiff_routed = False


def _pillow_libtiff() -> str | None:
    """The path of the libtiff that Pillow's C core loaded (Linux: from the process's memory map)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.rsplit(None, 1)[-1] if line.count(" ") >= 5 else ""
                if "libtiff" in path.rsplit("/", 1)[-1] and ".so" in path:
                    return path
    except OSError:
        return None
    return None


def _route_libtiff() -> None:
    global _tiff_routed
    _tiff_routed = True
    path = _pillow_libtiff()
    if path is None:
        return
    try:
        lib = ctypes.CDLL(path)
        for name in ("TIFFSetErrorHandler", "TIFFSetWarningHandler"):
            setter = getattr(lib, name)
            setter.argtypes, setter.restype = [_TIFF_HANDLER], ctypes.c_void_p
            setter(_tiff_callback)
    except (OSError, AttributeError):
        return


def _install() -> None:
    global _previous_showwarning
    with _install_lock:
        if warnings.showwarning is not _show:
            _previous_showwarning = warnings.showwarning
            warnings.showwarning = _show
        pil = logging.getLogger("PIL")
        if _handler not in pil.handlers:
            pil.addHandler(_handler)
        if not _tiff_routed:
            _route_libtiff()


@contextmanager
def recording() -> Iterator[list[str]]:
    """Record this thread's warnings and PIL log records (WARNING and above) instead of printing them;
    NumPy floating-point errors are ignored meanwhile (``np.errstate`` is per thread)."""
    _install()
    outer = getattr(_local, "records", None)
    records: list[str] = []
    _local.records = records
    try:
        with np.errstate(all="ignore"):
            yield records
    finally:
        _local.records = outer
        if outer is not None:
            outer.extend(records[: max(0, MAX_NOTES - len(outer))])


@contextmanager
def decoding(label: str, fmt: str) -> Iterator[list[str]]:
    """Run decoder calls: any failure becomes one InputError about ``label`` (the loader's own InputErrors
    get the label too); warnings are recorded."""
    with recording() as records:
        try:
            yield records
        except InputError as exc:
            raise exc.prefixed(label) from exc
        except PILImage.DecompressionBombError as exc:
            raise InputTooLarge(f"{label}: image exceeds the pixel limit",
                                zh=f"{label}：图片超过像素上限") from exc
        except MemoryError as exc:
            raise InputTooLarge(f"{label}: not enough memory to decode this {fmt}",
                                zh=f"{label}：内存不足，无法解码此 {fmt} 文件") from exc
        except Exception as exc:  # every failure of a decoder on hostile bytes is "cannot decode"
            raise UnreadableImage(f"{label}: cannot decode {fmt} ({short_reason(exc)})",
                                  zh=f"{label}：无法解码 {fmt} 文件（{short_reason(exc)}）") from exc


def short_reason(exc: BaseException) -> str:
    """The first line of an exception's message (or its type), at most 200 characters."""
    return (_one_line(str(exc)) or type(exc).__name__)[:200]


def _one_line(text: str) -> str:
    return " ".join(text.split())
