"""Sentences made of several catalogue texts: what a verdict rests on, the reasons of a report."""

from __future__ import annotations

import contextlib
import re
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


# ----------------------------------------------------------------------------------------------- timeline
#: an API key's id (the 16 hex digits after ``rg_``), as audit actors carry it
_KEY_ID = re.compile(r"[0-9a-f]{16}")
#: reasons audit entries wrote in English before they carried a ``why_key``, and the key that words them now
_LEGACY_WHY = {"buyer identifiers not registered": "ledger.query.not_registered"}
#: details of an audit entry that become a line of their own (after the entry's sentence), in this order
_TIMELINE_LINES = ("reason", "statement", "request", "note", "error")


def timeline_entry(action: str, details: Mapping[str, Any], ctx: Context,
                   file_names: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """An audit entry in words: its sentence (``timeline.<action>``) and the lines that follow it (the policy's
    reason, a decision's reason, a statement ...). An entry the catalogue cannot word shows its action name."""
    from refundguard.messages.catalogue import CATALOGUE

    params = dict(details)
    if "sha256" in params:
        sha = str(params["sha256"])
        params["file"] = (file_names or {}).get(sha) or f"{sha[:12]}…"
    key = f"timeline.{action}"
    title = render(key, {}, ctx) if key in CATALOGUE else render("timeline.other", {"action": action}, ctx)
    lines = []
    if f"timeline_detail.{action}" in CATALOGUE:
        with contextlib.suppress(LookupError):  # an entry recorded without the parameter: its title says enough
            lines.append(render(f"timeline_detail.{action}", params, ctx))
    why_key = params.get("why_key")
    if isinstance(why_key, str) and why_key in CATALOGUE:
        try:
            lines.append(render(why_key, params.get("why_params") or {}, ctx))
        except LookupError:
            lines.append(str(params.get("why") or ""))
    elif params.get("why") in _LEGACY_WHY:  # an entry recorded before its reason was catalogued
        lines.append(render(_LEGACY_WHY[str(params["why"])], {}, ctx))
    elif params.get("why"):  # written before the policy's reasons were catalogued (English only)
        lines.append(str(params["why"]))
    for name in _TIMELINE_LINES:
        value = params.get(name)
        if value not in (None, "", [], {}) and not (name == "error" and action != "claim.analysis_failed"):
            lines.append(render(f"timeline.{name}", {name: value}, ctx))
    if params.get("abuse"):
        lines.append(render("timeline.abuse", {}, ctx))
    if action == "claim.state_changed" and params.get("deadline"):
        lines.append(render("timeline.deadline", {"deadline": params["deadline"]}, ctx))
    return title, [line for line in lines if line]


def actor_words(actor: str, ctx: Context) -> str:
    """``system:policy`` -> "RefundGuard policy"; an API key's actor (``reviewer:<key id>``, ``merchant:<key id>:m1``)
    -> its role in words with the key id ("审核员（密钥 ab3a…）"); any other actor (``cli:root``) as it is."""
    from refundguard.messages.catalogue import CATALOGUE

    key = f"timeline.actor.{actor}"
    if key in CATALOGUE:
        return render(key, {}, ctx)
    role, _, rest = actor.partition(":")
    key_id, _, merchant = rest.partition(":")
    if _KEY_ID.fullmatch(key_id) and f"principal_role.{role}" in CATALOGUE:
        if role == "merchant" and merchant:
            return render("timeline.actor.merchant_key", {"merchant_id": merchant, "key_id": key_id}, ctx)
        return render("timeline.actor.key", {"role": role, "key_id": key_id}, ctx)
    return actor
