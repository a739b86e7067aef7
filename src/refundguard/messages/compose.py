"""Sentences made of several catalogue texts: what a verdict rests on, the reasons of a report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from refundguard.messages.render import Context, render

#: verification kinds that verify a claim photo against independent evidence, in the order they are named
VERIFYING = ("reference", "second_view", "live_capture")


def coverage_summary(coverage: Mapping[str, Any], level: str, ctx: Context) -> str:
    """What a verdict rests on, from a report's ``coverage`` section (``failed``, ``not_requested``, ``photos``)."""
    failed = [f["check"] for f in coverage.get("failed") or []]
    left_out = list(coverage.get("not_requested") or [])
    if failed or left_out:
        parts = []
        if failed:
            parts.append(render("coverage.part.failed", {"checks": failed}, ctx))
        if left_out:
            parts.append(render("coverage.part.not_requested", {"checks": left_out}, ctx))
        return render("coverage.incomplete", {"parts": ("；" if ctx.lang == "zh" else "; ").join(parts)}, ctx)
    sep = "；" if ctx.lang == "zh" else "; "
    photos = list(coverage.get("photos") or [])
    verified = [render("coverage.photo_verified",
                       {"image": p["image"], "kinds": [k for k in VERIFYING if k in (p.get("verified_by") or [])]},
                       ctx) for p in photos if p.get("verified_by")]
    missing = [p["image"] for p in photos if not p.get("verified_by")]
    if photos and not missing:
        return render("coverage.verified.low" if level == "low" else "coverage.verified",
                      {"verified": sep.join(verified)}, ctx)
    out = render("coverage.unverified.low" if level == "low" else "coverage.unverified", {"missing": missing}, ctx)
    if verified:
        out += render("coverage.also_verified", {"verified": sep.join(verified)}, ctx)
    return out


def failure_notes(coverage: Mapping[str, Any], ctx: Context) -> list[str]:
    """One reason per failed check: its evidence is missing, so a person must look."""
    return [render("coverage.failed_note", {"check": f["check"], "error": short(str(f.get("error") or ""))}, ctx)
            for f in coverage.get("failed") or []]


def short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def photo_prefix(names: Sequence[str], image: int | None, evidence_photos: int, ctx: Context) -> str:
    """``name: `` before a reason about one photo when the claim has several."""
    if image is None or evidence_photos < 2 or not 0 <= image < len(names):
        return ""
    return f"{names[image]}：" if ctx.lang == "zh" else f"{names[image]}: "
