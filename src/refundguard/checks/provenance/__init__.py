"""Provenance: what the file itself declares about how it was made (C2PA, GB 45438, IPTC, generators).

Metadata only: no pixel is decoded except the alpha channel's least significant bits for NovelAI's
stealth payload, and the C2PA reader runs only when the file has a C2PA container or an XMP
``dcterms:provenance`` pointer. Remote manifest fetch and OCSP are off: nothing leaves the machine.
Claim and reference photos are both examined; findings on references are reported but, being on a
reference image, do not count toward the claim's risk. Absence of every signal proves nothing: a
re-save, a screenshot or a messaging app strips all of them.

Findings
--------
=============================== ===== ==========================================================
code                            score when
=============================== ===== ==========================================================
provenance.c2pa.ai_source       1.0   any manifest (active or ingredient) has an action whose
                                      digitalSourceType is trainedAlgorithmicMedia,
                                      compositeWithTrainedAlgorithmicMedia, compositeSynthetic or
                                      c2pa trainedAlgorithmicData (trust is reported, not required)
provenance.c2pa.tampered        1.0   hash/signature mismatch in the active manifest; 0.8 in an
                                      ingredient delta; 0.7 recorded in an ingredient when added
provenance.c2pa.valid_capture   ≤1.0  no AI, no integrity failure, and a capture action:
                                      digital/computational/compositeCapture 1.0, c2pa.created
                                      without source type 0.5, c2pa.created non-AI type 0.3
provenance.c2pa.unverified      1.0   remote-only manifest (never fetched) or unreadable manifest
provenance.aigc_label           ≤1.0  one valid GB 45438 label: Label 1 → 1.0, 2 → 0.6, 3 → 0.4
provenance.aigc_label.invalid   1.0   a label breaking Annex E/§6 (bad Label, empty fields, unknown
                                      fields, charset, USCC check character, service type/role,
                                      half-filled propagation, duplicates, non-standard namespace)
provenance.iptc.ai_source       ≤1.0  Iptc4xmpExt:DigitalSourceType AI term 1.0; IPTC 2025.1 AI*
                                      fields or photoshop:Credit "Made with Google AI" 0.9
provenance.generator_metadata   ≤1.0  A1111/ComfyUI/InvokeAI/NovelAI (incl. stealth) 1.0;
                                      Midjourney job id, Grok signature 0.9; AI tool name 0.8
provenance.remnant              0.6   dcterms:provenance self#jumbf without JUMBF, empty TC260:AIGC,
                                      TC260 namespace or ByteDance ``"??>`` fingerprint without a
                                      label, empty AIGC text chunk
provenance.conflict             ≤1.0  camera EXIF beside an AI declaration 0.8; C2PA capture
                                      manifest beside an AI declaration 1.0 (the capture finding
                                      is then withheld)
provenance.hostile_metadata     1.0   an XMP packet nested beyond the depth limit (built to make
                                      parsers fail); read to the limit, labels beside it still found
=============================== ===== ==========================================================
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from refundguard.checks.provenance.aigc_label import LABEL_SCORE, REMNANT_SCORE, aigc_label_signals
from refundguard.checks.provenance.c2pa_manifest import c2pa_signals
from refundguard.checks.provenance.conflicts import conflict_signals
from refundguard.checks.provenance.generator import MAX_STEALTH_BYTES, generator_signals
from refundguard.checks.provenance.hostile import hostile_signals
from refundguard.checks.provenance.iptc import iptc_signals
from refundguard.checks.provenance.signal import AI_CODES, Signal
from refundguard.checks.registry import CheckContext, check
from refundguard.findings import Finding
from refundguard.media.load import LoadedImage

__all__ = ["ProvenanceConfig", "analyse_image", "run"]


class ProvenanceConfig(BaseModel):
    """``[checks.provenance]``: the scores of what a file declares, and how much of a stealth payload is read."""

    model_config = ConfigDict(extra="forbid")

    #: GB 45438 ``Label`` value -> score: 1 AI-generated, 2 possibly AI-generated, 3 suspected
    label_scores: dict[str, float] = Field(default_factory=lambda: dict(LABEL_SCORE))
    remnant_score: float = Field(REMNANT_SCORE, ge=0, le=1)
    conflict_camera_score: float = Field(0.8, ge=0, le=1)
    conflict_capture_score: float = Field(1.0, ge=0, le=1)
    #: the most bytes of a NovelAI alpha-channel payload that are decoded (a decompression-bomb guard)
    max_stealth_bytes: int = Field(MAX_STEALTH_BYTES, ge=1024, le=64 * 1024 * 1024)

    @field_validator("label_scores")
    @classmethod
    def _three_labels(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(LABEL_SCORE) or not all(0 <= v <= 1 for v in value.values()):
            raise ValueError('give a score in [0, 1] for each of "1", "2" and "3"')
        return value


_DEFAULT = ProvenanceConfig()


def analyse_image(image: LoadedImage, *, trust_anchors: Path | None = None,
                  config: ProvenanceConfig = _DEFAULT) -> list[Signal]:
    """Every provenance signal of one image, one per finding code."""
    signals = (c2pa_signals(image, trust_anchors=trust_anchors, remnant_score=config.remnant_score)
               + aigc_label_signals(image, label_scores=config.label_scores, remnant_score=config.remnant_score)
               + iptc_signals(image) + generator_signals(image, max_stealth_bytes=config.max_stealth_bytes)
               + hostile_signals(image))
    conflicts = conflict_signals(image, signals, camera_score=config.conflict_camera_score,
                                 capture_score=config.conflict_capture_score)
    if any(s.code in AI_CODES for s in signals):
        signals = [s for s in signals if s.code != "provenance.c2pa.valid_capture"]
    return _merge(signals + conflicts)


def _merge(signals: list[Signal]) -> list[Signal]:
    """One signal per code: several observations of one kind are one piece of evidence, not several."""
    by_code: dict[str, list[Signal]] = {}
    for s in signals:
        by_code.setdefault(s.code, []).append(s)
    out = []
    for code, group in by_code.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        out.append(Signal(code, max(s.score for s in group), "several",
                          {"items": [{**s.details, "part": s.variant} for s in group]}))
    return out


@check("provenance", config=ProvenanceConfig)
def run(ctx: CheckContext) -> list[Finding]:
    """C2PA, GB 45438 label, IPTC and generator metadata of every claim and reference photo."""
    anchors = ctx.settings.trust_anchors
    findings: list[Finding] = []
    for images in (ctx.claim_images, ctx.reference_images):
        for index, image in images:
            role = ctx.roles[index]
            if image.reduction is not None and image.alpha is not None:  # LSB payloads need the file's pixels
                ctx.skip(index, key="provenance.skip.reduced_alpha", params=image.reduction.params())
            for s in analyse_image(image, trust_anchors=anchors, config=ctx.config):
                details = {**s.details, "image_role": role}
                if role != "claim":  # said as "Reference photo: <the sentence>"
                    details["sentence"] = s.variant
                findings.append(ctx.finding(s.code, image=index, score=s.score, details=details,
                                            variant=s.variant if role == "claim" else "on_reference"))
            unread = [p.source for p in image.metadata.xmp if p.error]
            if unread:
                ctx.skip(index, key="provenance.skip.unreadable", params={"sources": unread})
            else:
                ctx.verified("provenance", [index], key="provenance.verified.read", params={"image": index})
    return findings
