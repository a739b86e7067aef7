"""The value every provenance detector returns: one piece of evidence, not yet tied to an image index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Signal:
    """A provenance observation: a finding code, a score in [0, 1], the sentence's variant in the message catalogue
    (key ``code:variant``, :mod:`refundguard.messages.texts.provenance`) and the details that are its parameters."""

    code: str
    score: float
    variant: str
    details: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The sentence in ``lang`` (photos unnamed, times in UTC): what a record stores and a log shows."""
        from refundguard.messages import Context, render

        return render(f"{self.code}:{self.variant}", self.details, Context(lang))

    @property
    def en(self) -> str:
        return self.text("en")

    @property
    def zh(self) -> str:
        return self.text("zh")


#: Finding codes that declare AI generation or AI editing (used by the conflict rules).
AI_CODES = frozenset({
    "provenance.c2pa.ai_source", "provenance.aigc_label", "provenance.aigc_label.invalid",
    "provenance.iptc.ai_source", "provenance.generator_metadata",
})


def short(value: object, limit: int = 80) -> str:
    """A value shortened for a message (the full value stays in the details)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
