"""File names and other untrusted text made safe to print on one line.

A file name is chosen by whoever sent the file: it may hold terminal escape sequences (``ESC [ 2 J``
clears a screen, OSC 8 forges a link), line breaks that fake a second log line, or bidirectional
overrides that show ``gpj.exe`` as ``exe.jpg``. :func:`printable` keeps every other character (Chinese
names stay readable) and writes these as visible escapes.
"""

from __future__ import annotations

import unicodedata

#: characters that reorder text on screen (bidi embeddings, overrides and isolates) or hide in it
_INVISIBLE = {0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D,
              0x202E, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF}


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, *, max_chars: int = 300) -> str:
    """``text`` with control, format and line-breaking characters written as ``\\xNN`` / ``\\uNNNN``.

    A result over ``max_chars`` characters keeps its start and its end (where the file name is) around
    ``…``.
    """
    out = []
    for ch in text:
        if ord(ch) in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(_escape(ch))
        else:
            out.append(ch)
    safe = "".join(out)
    if len(safe) <= max_chars:
        return safe
    head = max_chars // 3
    return safe[:head] + "…" + safe[len(safe) - (max_chars - head - 1):]


def distinct(name: str, taken: set[str]) -> str:
    """``name``, or ``stem (2).ext``, ``stem (3).ext`` … when a file of that name (any case) is in ``taken``; the
    result is added to ``taken``. Two photos called ``IMG_0001.jpg`` stay two names people can tell apart."""
    stem, dot, suffix = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    out, n = name, 1
    while out.casefold() in taken:
        n += 1
        out = f"{stem} ({n}){dot}{suffix}"
    taken.add(out.casefold())
    return out
