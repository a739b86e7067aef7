"""Contradictions between provenance signals of one image.

An AI declaration (C2PA AI source, GB 45438 label, IPTC, generator metadata) beside camera EXIF means
either an AI-edited camera photo or camera data copied onto a generated image; a C2PA capture claim
beside an AI label means one of the two was planted. Either way a person should look.
"""

from __future__ import annotations

from typing import Any

from refundguard.checks.provenance.signal import AI_CODES, Signal
from refundguard.media.load import LoadedImage

CAMERA_FIELDS = ("Make", "Model", "ExposureTime", "FNumber", "ISOSpeedRatings", "PhotographicSensitivity",
                 "FocalLength", "LensModel")


def camera_fields(image: LoadedImage) -> dict[str, Any]:
    """Camera-only EXIF fields present in the image (empty values ignored)."""
    out = {}
    for name in CAMERA_FIELDS:
        value = image.metadata.exif_value(name)
        if value not in (None, "", 0, [], "0"):
            out[name] = value
    return out


def conflict_signals(image: LoadedImage, signals: list[Signal], *, camera_score: float = 0.8,
                     capture_score: float = 1.0) -> list[Signal]:
    """Conflicts among ``signals`` (already found for ``image``) and the image's camera EXIF: camera EXIF beside
    an AI declaration (``camera_score``), a valid C2PA capture manifest beside one (``capture_score``)."""
    ai = [s for s in signals if s.code in AI_CODES]
    out: list[Signal] = []
    camera = camera_fields(image)
    if ai and camera:
        codes = sorted({s.code for s in ai})
        shown = [{"tag": k, "value": v} for k, v in list(camera.items())[:4]]
        out.append(Signal("provenance.conflict", camera_score, "camera",
                          {"camera": camera, "ai_codes": codes, "camera_shown": shown}))
    capture = [s for s in signals if s.code == "provenance.c2pa.valid_capture"]
    if capture and ai:
        codes = sorted({s.code for s in ai})
        kind = (capture[0].details.get("capture_action") or {}).get("source_type")
        out.append(Signal("provenance.conflict", capture_score, "capture",
                          {"capture": capture[0].details.get("capture_action"), "ai_codes": codes,
                           "source_type": kind}))
    return out
