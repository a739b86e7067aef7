"""The value every provenance detector returns: one piece of evidence, not yet tied to an image index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Signal:
    """A provenance observation: a finding code, a score in [0, 1], a bilingual message and details."""

    code: str
    score: float
    en: str
    zh: str
    details: dict[str, Any] = field(default_factory=dict)


#: Finding codes that declare AI generation or AI editing (used by the conflict rules).
AI_CODES = frozenset({
    "provenance.c2pa.ai_source", "provenance.aigc_label", "provenance.aigc_label.invalid",
    "provenance.iptc.ai_source", "provenance.generator_metadata",
})


def short(value: object, limit: int = 80) -> str:
    """A value shortened for a message (the full value stays in the details)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
