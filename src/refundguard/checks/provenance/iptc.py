"""IPTC photo metadata that declares AI: DigitalSourceType, the IPTC 2025.1 AI fields, Google's credit line.

The property is matched by its namespace URI (``Iptc4xmpExt`` is written as ``iptcExt:`` by Exiv2), and
the value must be a term of the IPTC digital-source-type vocabulary
``http://cv.iptc.org/newscodes/digitalsourcetype/`` (http or https), not just end in an AI word.
"""

from __future__ import annotations

from typing import Any

from refundguard.checks.provenance.c2pa_manifest import AI_SOURCE_TYPES, IPTC_DST
from refundguard.checks.provenance.signal import Signal
from refundguard.media.load import LoadedImage

IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
PHOTOSHOP_NS = "http://ns.adobe.com/photoshop/1.0/"
AI_FIELDS_2025 = ("AISystemUsed", "AISystemVersionUsed", "AIPromptInformation", "AIPromptWriterName")
GOOGLE_CREDIT = "made with google ai"


def iptc_term(value: str) -> str | None:
    """The vocabulary term of an IPTC digital-source-type URI, or None if the value is not one."""
    text = value.strip()
    lowered = text.lower()
    for scheme in ("http://", "https://"):
        if lowered.startswith(scheme + IPTC_DST):
            return text[len(scheme) + len(IPTC_DST):].strip("/ ")
    return None


def iptc_signals(image: LoadedImage) -> list[Signal]:
    """One ``provenance.iptc.ai_source`` signal listing every IPTC AI declaration of the image."""
    evidence: list[dict[str, Any]] = []
    for source, ns, name, value in image.metadata.xmp_properties():
        if ns == IPTC_EXT_NS and name == "DigitalSourceType":
            term = iptc_term(value)
            if term in AI_SOURCE_TYPES:
                evidence.append({"field": "Iptc4xmpExt:DigitalSourceType", "value": value.strip(), "source": source,
                                 "score": 1.0})
        elif ns == IPTC_EXT_NS and name in AI_FIELDS_2025 and value.strip():
            evidence.append({"field": f"Iptc4xmpExt:{name}", "value": value.strip(), "source": source, "score": 0.9})
        elif ns == PHOTOSHOP_NS and name == "Credit" and GOOGLE_CREDIT in value.lower():
            evidence.append({"field": "photoshop:Credit", "value": value.strip(), "source": source, "score": 0.9})
    if not evidence:
        return []
    return [Signal("provenance.iptc.ai_source", max(e["score"] for e in evidence), "declared", {"evidence": evidence})]
