"""JSON from untrusted metadata, parsed only when its nesting is bounded.

``json.loads`` recurses once per level: a label or manifest nested a thousand levels deep raises
``RecursionError`` there, and anything walking the result recurses as deep again. Nesting is measured
first, without recursion and without parsing, and a document deeper than the limit is refused with
:class:`NestingTooDeep` (a ``ValueError``), which callers report as a finding.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

#: real labels and manifests nest well under this
MAX_DEPTH = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


class NestingTooDeep(ValueError):
    """The document nests deeper than allowed; ``depth`` is how deep it goes."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"JSON nested {depth} levels deep (limit {limit})")
        self.depth = depth
        self.limit = limit


def nesting(text: str) -> int:
    """The deepest ``[``/``{`` nesting of a JSON text, string contents ignored."""
    skeleton = _STRING.sub("", text)
    codes = np.frombuffer(skeleton.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    steps = (np.isin(codes, (0x5B, 0x7B)).astype(np.int32) - np.isin(codes, (0x5D, 0x7D)).astype(np.int32))
    return int(np.cumsum(steps).max(initial=0))


def loads(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` of ``text`` after checking its nesting (raises ``ValueError`` on bad or deep JSON)."""
    depth = nesting(text)
    if depth > max_depth:
        raise NestingTooDeep(depth, max_depth)
    return json.loads(text)


def raw_decode(text: str, *, max_depth: int = MAX_DEPTH) -> tuple[Any, int]:
    """``json.JSONDecoder().raw_decode`` of ``text`` after the same nesting check."""
    depth = nesting(text)
    if depth > max_depth:
        raise NestingTooDeep(depth, max_depth)
    return json.JSONDecoder().raw_decode(text)
