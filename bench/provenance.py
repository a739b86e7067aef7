"""Provenance check: recall on real AI files, false flags on genuine photos, and cost per image.

- recall: corpus ``provenance/ai`` files recognised as AI by metadata (C2PA AI source, GB 45438 label,
  IPTC, generator metadata). ``adobe-trustmark-p.png`` carries only an Adobe TrustMark watermark (no
  offline decoder, no metadata): it is an expected miss and is reported as such.
- false flags: corpus ``natural/`` + ``damage/magnetic_tile`` + SAGI originals (target 0); any
  provenance finding on them counts, and so does a risk level above "low".
- cost: ms per image of the provenance check alone (metadata only) on the corpus and on a 12 MP JPEG made
  by upscaling a corpus photo (its EXIF and XMP kept), plus loading that JPEG and the whole ``analyze``
  with every registered check (the other checks' costs are listed separately).
"""

from __future__ import annotations

import io
import statistics
import time
from pathlib import Path
from typing import Any

from PIL import Image

from refundguard.checks.provenance import analyse_image
from refundguard.checks.provenance.signal import AI_CODES
from refundguard.engine import analyze
from refundguard.media.load import LoadedImage, load_image

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
EXPECTED_MISSES = {"adobe-trustmark-p.png": "Adobe TrustMark watermark only: no metadata, no offline decoder"}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def _timed(image: LoadedImage, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        analyse_image(image)
        out.append((time.perf_counter() - started) * 1000.0)
    return out


def _genuine(quick: bool) -> list[Path]:
    tiles = sorted((CORPUS / "damage" / "magnetic_tile").glob("*/Imgs/*.jpg"))
    sagi = [p for p in sorted((CORPUS / "inpainting" / "sagi").glob("*.jpg"))
            if "_None" not in p.stem and "_Upscaled" not in p.stem]
    return sorted((CORPUS / "natural").glob("*.jpg")) + (tiles[::7] if quick else tiles) + sagi


def _twelve_mp_jpeg() -> bytes:
    src = Image.open(CORPUS / "natural" / "IMG_0003.jpg")
    big = src.resize((4240, 2832), Image.Resampling.BICUBIC)  # 12.0 MP
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=90, exif=src.info.get("exif", b""), xmp=src.info.get("xmp", b""))
    return buf.getvalue()


def run(quick: bool = False) -> dict[str, Any]:
    if not CORPUS.exists():
        raise SystemExit(f"corpus not found at {CORPUS}")
    repeats = 3 if quick else 10
    ai_files = sorted(p for p in (CORPUS / "provenance" / "ai").iterdir() if p.is_file())
    hits, misses, per_file, check_ms = [], [], {}, []
    for path in ai_files:
        image = load_image(path)
        codes = sorted({s.code for s in analyse_image(image)})
        per_file[path.name] = codes
        (hits if AI_CODES & set(codes) else misses).append(path.name)
        check_ms += _timed(image, repeats)
    unexpected = [m for m in misses if m not in EXPECTED_MISSES]

    genuine = _genuine(quick)
    flagged: dict[str, list[str]] = {}
    above_low = 0
    for path in genuine:
        image = load_image(path)
        signals = analyse_image(image)
        if signals:
            flagged[str(path.relative_to(CORPUS))] = [s.code for s in signals]
        check_ms += _timed(image, 1)
        above_low += analyze([image], only=["provenance"]).assessment.level != "low"

    data = _twelve_mp_jpeg()
    load_ms, whole_ms, per_check = [], [], {}
    for _ in range(3 if quick else 5):
        started = time.perf_counter()
        big = load_image(data, name="12mp.jpg")
        load_ms.append((time.perf_counter() - started) * 1000.0)
    big_check = _timed(big, 5 if quick else 30)
    for _ in range(1 if quick else 3):
        started = time.perf_counter()
        result = analyze([big])
        whole_ms.append((time.perf_counter() - started) * 1000.0)
        for name, status in result.checks.items():
            if status.ms is not None:
                per_check.setdefault(name, []).append(status.ms)
    return {
        "recall": {"files": len(ai_files), "recognised": len(hits), "recall": round(len(hits) / len(ai_files), 3),
                   "recall_excluding_expected_misses": round(len(hits) / (len(ai_files) - len(
                       [m for m in misses if m in EXPECTED_MISSES])), 3),
                   "misses": {m: EXPECTED_MISSES.get(m, "UNEXPECTED") for m in misses},
                   "unexpected_misses": unexpected, "codes": per_file},
        "false_flags": {"images": len(genuine), "flagged": len(flagged), "which": flagged,
                        "levels_above_low": above_low},
        "ms_per_image": {
            "provenance_check_corpus": {"n": len(check_ms), "p50": _pct(check_ms, 0.5), "p95": _pct(check_ms, 0.95)},
            "provenance_check_12mp_jpeg": {"n": len(big_check), "p50": _pct(big_check, 0.5),
                                           "p95": _pct(big_check, 0.95)},
            "load_12mp_jpeg": {"n": len(load_ms), "p50": _pct(load_ms, 0.5), "p95": _pct(load_ms, 0.95)},
            "whole_analyze_12mp_jpeg_all_checks": {"n": len(whole_ms), "p50": _pct(whole_ms, 0.5),
                                                   "p95": _pct(whole_ms, 0.95),
                                                   "per_check_p50": {k: round(statistics.median(v), 1)
                                                                     for k, v in sorted(per_check.items())}},
        },
        "twelve_mp_jpeg": {"size": [big.width, big.height], "bytes": len(data),
                           "made_from": "natural/IMG_0003.jpg upscaled bicubic, EXIF+XMP kept, q90"},
    }
