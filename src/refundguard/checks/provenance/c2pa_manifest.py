"""C2PA manifests read offline with c2pa-python (remote manifest fetch and OCSP disabled).

Every manifest in the store is walked, not only the active one (ChatGPT files keep the AI action in
the parent manifest). Integrity (hash/signature mismatches, also in ingredients) and trust (certificate
untrusted/expired) are separate axes: only integrity failures are tampering.

c2pa-python (~0.05 CPU-s to import) loads when a photo has a manifest store or a provenance pointer, not
when the check is discovered: most photos have neither.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refundguard.checks.provenance.aigc_label import REMNANT_SCORE
from refundguard.checks.provenance.signal import Signal
from refundguard.errors import ConfigError
from refundguard.media import bounded_json
from refundguard.media.load import LoadedImage

if TYPE_CHECKING:
    from c2pa import Context

DCTERMS_NS = "http://purl.org/dc/terms/"
IPTC_DST = "cv.iptc.org/newscodes/digitalsourcetype/"
C2PA_DST = "c2pa.org/digitalsourcetype/"
AI_SOURCE_TYPES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "compositeSynthetic",
                             "trainedAlgorithmicData"})
CAPTURE_SOURCE_TYPES = frozenset({"digitalCapture", "computationalCapture", "compositeCapture"})
#: validation codes that mean the bytes or the claim changed after signing (c2pa-rs sdk/src)
INTEGRITY_CODES = frozenset({
    "assertion.dataHash.mismatch", "assertion.boxesHash.mismatch", "assertion.bmffHash.mismatch",
    "assertion.collectionHash.mismatch", "assertion.hashedURI.mismatch", "claimSignature.mismatch",
    "claim.hardBindings.missing", "ingredient.claimSignature.mismatch", "ingredient.hashedURI.mismatch",
    "ingredient.manifest.mismatch", "ingredient.manifest.missing", "ingredient.modified", "ingredient.possiblyModified",
    "assertion.missing", "assertion.undeclared", "manifest.inaccessible", "claim.missing", "claim.multiple",
    "assertion.multipleHardBindings", "assertion.action.ingredientMismatch",
})
_TRUST_PREFIXES = ("signingCredential.", "timeStamp.", "cawg.", "claimSignature.outsideValidity")
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff", "HEIF": "image/heif",
         "AVIF": "image/avif", "GIF": "image/gif"}
_CONTEXTS: dict[tuple[int, str], Context] = {}
_LOCK = threading.Lock()


def _context(trust_anchors: Path | None) -> Context:
    """A reader context with network off; cached per process and trust-anchor file."""
    from c2pa import Context, Settings

    key = (os.getpid(), str(trust_anchors or ""))
    with _LOCK:
        if key not in _CONTEXTS:
            config: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
            if trust_anchors is not None:
                try:
                    config["trust"] = {"trust_anchors": Path(trust_anchors).read_text("utf-8")}
                except (OSError, UnicodeDecodeError) as exc:
                    raise ConfigError(f"cannot read the C2PA trust anchors {trust_anchors}: {exc}") from exc
            _CONTEXTS[key] = Context(Settings.from_dict(config))
        return _CONTEXTS[key]


def source_type(value: object) -> str | None:
    """The term of an IPTC/C2PA digital source type URI (http or https, surrounding spaces ignored)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    for scheme in ("http://", "https://"):
        if text.lower().startswith(scheme):
            rest = text[len(scheme):]
            for vocab in (IPTC_DST, C2PA_DST):
                if rest.startswith(vocab):
                    return rest[len(vocab):].strip("/ ")
    return None


def provenance_refs(image: LoadedImage) -> list[str]:
    """XMP ``dcterms:provenance`` values (a ``self#jumbf=`` pointer or a remote manifest URL)."""
    return [v for _s, ns, name, v in image.metadata.xmp_properties() if ns == DCTERMS_NS and name == "provenance"]


def _agent(action: dict[str, Any]) -> str | None:
    agent = action.get("softwareAgent")
    if isinstance(agent, dict):
        return agent.get("name")
    return agent if isinstance(agent, str) else None


def _generator(manifest: dict[str, Any]) -> str | None:
    info = manifest.get("claim_generator_info")
    if isinstance(info, list) and info and isinstance(info[0], dict):
        name = info[0].get("name")
        return f"{name} {info[0].get('version', '')}".strip() if name else None
    return manifest.get("claim_generator")


def _walk_actions(store: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for label, manifest in (store.get("manifests") or {}).items():
        sig = manifest.get("signature_info") or {}
        for assertion in manifest.get("assertions") or []:
            if not str(assertion.get("label", "")).startswith("c2pa.actions"):
                continue
            for action in (assertion.get("data") or {}).get("actions") or []:
                if not isinstance(action, dict):
                    continue
                out.append({"manifest": label, "active": label == store.get("active_manifest"),
                            "action": action.get("action"), "digitalSourceType": action.get("digitalSourceType"),
                            "source_type": source_type(action.get("digitalSourceType")),
                            "softwareAgent": _agent(action), "description": action.get("description"),
                            "claim_generator": _generator(manifest), "issuer": sig.get("issuer"),
                            "common_name": sig.get("common_name"), "signed": sig.get("time")})
    return out


def _is_integrity(code: str) -> bool:
    if code.startswith(_TRUST_PREFIXES):
        return False
    return code in INTEGRITY_CODES or code.endswith(".mismatch")


def _integrity_failures(store: dict[str, Any], results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in (results.get("activeManifest") or {}).get("failure") or []:
        if _is_integrity(str(item.get("code"))):
            out.append({"where": "active manifest", "code": item.get("code"), "url": item.get("url"),
                        "explanation": item.get("explanation"), "score": 1.0, "place": {"part": "active"}})
    for delta in results.get("ingredientDeltas") or []:
        for item in (delta.get("validationDeltas") or {}).get("failure") or []:
            if _is_integrity(str(item.get("code"))):
                out.append({"where": f"ingredient {delta.get('ingredientAssertionURI')}", "code": item.get("code"),
                            "url": item.get("url"), "explanation": item.get("explanation"), "score": 0.8,
                            "place": {"part": "ingredient", "uri": delta.get("ingredientAssertionURI")}})
    seen = {(f["code"], f["url"]) for f in out}
    for label, manifest in (store.get("manifests") or {}).items():
        for ingredient in manifest.get("ingredients") or []:
            recorded = list(ingredient.get("validation_status") or [])
            recorded += ((ingredient.get("validation_results") or {}).get("activeManifest") or {}).get("failure") or []
            for item in recorded:
                code = str(item.get("code"))
                if _is_integrity(code) and (code, item.get("url")) not in seen:
                    seen.add((code, item.get("url")))
                    out.append({"where": f"ingredient '{ingredient.get('title')}' of {label} (recorded when it was "
                                         "added)", "code": code, "url": item.get("url"),
                                "explanation": item.get("explanation"), "score": 0.7,
                                "place": {"part": "recorded", "title": ingredient.get("title"), "manifest": label}})
    return out


def _trust(state: str | None, results: dict[str, Any]) -> dict[str, Any]:
    codes = sorted({str(i.get("code")) for i in (results.get("activeManifest") or {}).get("failure") or []
                    if str(i.get("code")).startswith(_TRUST_PREFIXES)})
    return {"state": state, "trusted": state == "Trusted", "trust_codes": codes}


def c2pa_signals(image: LoadedImage, *, trust_anchors: Path | None = None,
                 remnant_score: float = REMNANT_SCORE) -> list[Signal]:
    """C2PA evidence of one image. The reader runs only when a container or a provenance pointer exists."""
    refs = provenance_refs(image)
    container = image.metadata.c2pa_container
    if container is None and not refs:
        return []
    from c2pa import C2paError, Reader

    try:
        reader = Reader.try_create(_MIME.get(image.format), io.BytesIO(image.data),
                                   context=_context(trust_anchors))
    except C2paError as exc:
        return [_unreadable(str(exc), container, refs)]
    if reader is None:
        if refs and any(r.strip().startswith("self#jumbf") for r in refs):
            return [Signal("provenance.remnant", remnant_score, "c2pa_stripped", {"dcterms_provenance": refs})]
        return []
    with reader:
        try:
            store = bounded_json.loads(reader.json())
        except ValueError as exc:
            return [_unreadable(f"manifest store {exc}", container, refs)]
        state = reader.get_validation_state()
        results = reader.get_validation_results() or {}
    return _assess(store, state, results, container)


def _unreadable(error: str, container: str | None, refs: list[str]) -> Signal:
    if error.startswith("Remote") or "remote manifest" in error.lower():
        url = error.split("from url", 1)[1].strip() if "from url" in error else (refs[0] if refs else None)
        return Signal("provenance.c2pa.unverified", 1.0, "remote",
                      {"remote_url": url, "fetched": False, "dcterms_provenance": refs})
    return Signal("provenance.c2pa.unverified", 1.0, "unreadable", {"error": error, "container": container})


def _assess(store: dict[str, Any], state: str | None, results: dict[str, Any], container: str | None) -> list[Signal]:
    actions = _walk_actions(store)
    failures = _integrity_failures(store, results)
    trust = _trust(state, results)
    manifests = list((store.get("manifests") or {}).keys())
    base = {"container": container, "active_manifest": store.get("active_manifest"), "manifests": manifests,
            "trust": trust}
    out: list[Signal] = []
    ai = [a for a in actions if a["source_type"] in AI_SOURCE_TYPES]
    if ai:
        ai.sort(key=lambda a: (not a["active"], a["action"] != "c2pa.created"))
        first = ai[0]
        more = [{"part": "actions", "count": len(ai) - 1}] if len(ai) > 1 else []
        out.append(Signal("provenance.c2pa.ai_source", 1.0, "active" if first["active"] else "ingredient",
                          {**base, "ai_actions": ai, "shown_action": _said(first), "trust_state": state,
                           "more_actions": more}))
    if failures:
        top = max(failures, key=lambda f: f["score"])
        codes = sorted({f["code"] for f in failures})
        out.append(Signal("provenance.c2pa.tampered", top["score"], "integrity",
                          {**base, "failures": failures, "failure_codes": codes, "place": top["place"]}))
    if not ai and not failures:
        capture = _capture(actions)
        if capture is not None:
            score, act = capture
            out.append(Signal("provenance.c2pa.valid_capture", score, "capture",
                              {**base, "capture_action": act, "shown_action": _said(act), "trust_state": state,
                               "manifest_count": len(manifests)}))
    return out


def _said(act: dict[str, Any]) -> dict[str, Any]:
    """What a sentence says of one action: its manifest, action, source type, tool, signer and certificate name."""
    return {"manifest": act["manifest"], "action": act["action"], "source_type": act["source_type"],
            "agent": act["softwareAgent"] or act["claim_generator"], "issuer": act["issuer"],
            "common_name": act["common_name"]}


def _capture(actions: list[dict[str, Any]]) -> tuple[float, dict[str, Any]] | None:
    """The strongest capture evidence: a capture source type (1.0), ``c2pa.created`` without a source
    type (0.5), or ``c2pa.created`` with another non-AI type such as algorithmicMedia (0.3)."""
    best: tuple[float, dict[str, Any]] | None = None
    for act in actions:
        if act["source_type"] in CAPTURE_SOURCE_TYPES:
            score = 1.0
        elif act["action"] == "c2pa.created" and not act["digitalSourceType"]:
            score = 0.5
        elif act["action"] == "c2pa.created" and act["source_type"] not in (None, "composite"):
            score = 0.3
        else:
            continue
        if best is None or score > best[0]:
            best = (score, act)
    return best
