"""The signed record of a completed capture session: a C2PA manifest made by the platform's own certificate.

The signed asset is the session sheet, a JPEG the server composes from the shots (each with its kind, server
time and SHA-256 printed under it). Its manifest (c2pa-python, offline: no timestamp authority, no network)
holds a ``c2pa.actions`` assertion (created, composite of captures, by the RefundGuard capture page) and the
assertion ``org.refundguard.capture_session``: who asked for the capture and when, the one-time code, when the
session started and completed, and each shot's SHA-256, size, pixel size, server time and the page's own clock.
Anyone holding the sheet can check the signature with any C2PA reader and the platform's certificate, and
check each evidence file against the hashes it lists (:func:`verify`).

The certificate chain and key come from the capture settings (``signing_cert``, ``signing_key``); tests use the
c2pa-python test chain from the shared corpus. Without a certificate, sessions are recorded but not signed.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from refundguard import __version__

ASSERTION = "org.refundguard.capture_session"
FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_ALGS = {"es256": "ES256", "es384": "ES384", "es512": "ES512", "ps256": "PS256", "ed25519": "ED25519"}


class SigningUnavailable(Exception):
    """No certificate is configured, or it cannot be used (the message says which)."""


@dataclass(frozen=True, slots=True)
class Shot:
    kind: str
    sha256: str
    size: int
    format: str
    width: int | None
    height: int | None
    received_at: datetime
    client_time_ms: float | None = None
    since_start_ms: float | None = None
    frame_time: float | None = None
    source_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sha256": self.sha256, "size": self.size, "format": self.format,
                "width": self.width, "height": self.height, "server_time": self.received_at.isoformat(),
                "client_time_ms": self.client_time_ms, "since_start_ms": self.since_start_ms,
                "frame_time": self.frame_time, "source_sha256": self.source_sha256}


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """Everything the manifest states about one session."""

    request_id: str
    claim_id: str
    tenant: str
    requested_by: str
    requested_at: datetime
    reason: str | None
    code: str
    started_at: datetime
    completed_at: datetime
    shots: tuple[Shot, ...]
    client: dict[str, Any] = field(default_factory=dict)

    def assertion(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "claim_id": self.claim_id, "tenant": self.tenant,
                "requested_by": self.requested_by, "requested_at": self.requested_at.isoformat(),
                "reason": self.reason, "code": self.code, "session_started_at": self.started_at.isoformat(),
                "completed_at": self.completed_at.isoformat(), "shots": [s.to_dict() for s in self.shots],
                "client": self.client, "server": f"RefundGuard {__version__}"}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def session_sheet(record: SessionRecord, images: Sequence[tuple[Shot, Image.Image]], *, tile: int = 360) -> bytes:
    """The JPEG the manifest signs: every shot as a thumbnail with its kind, server time and SHA-256 prefix."""
    cols = min(3, max(1, len(images)))
    rows = -(-len(images) // cols) if images else 1
    head, caption = 70, 64
    sheet = Image.new("RGB", (cols * tile + 20, head + rows * (tile + caption) + 10), (250, 250, 248))
    draw = ImageDraw.Draw(sheet)
    big, small = _font(22), _font(15)
    draw.text((10, 8), f"RefundGuard 现场拍摄 live capture · {record.request_id}", font=big, fill=(20, 20, 20))
    done = record.completed_at.strftime("%Y-%m-%d %H:%M:%S")
    draw.text((10, 40), f"claim {record.claim_id} · code {record.code} · completed {done} UTC", font=small,
              fill=(60, 60, 60))
    for k, (shot, image) in enumerate(images):
        x, y = 10 + (k % cols) * tile, head + (k // cols) * (tile + caption)
        thumb = image.convert("RGB")
        thumb.thumbnail((tile - 10, tile - 10))
        sheet.paste(thumb, (x + (tile - thumb.width) // 2, y + (tile - thumb.height) // 2))
        draw.text((x, y + tile + 2), f"{shot.kind} · {shot.received_at:%H:%M:%S} UTC", font=small, fill=(20, 20, 20))
        draw.text((x, y + tile + 22), f"sha256 {shot.sha256[:24]}…", font=small, fill=(90, 90, 90))
    buf = io.BytesIO()
    sheet.save(buf, format="JPEG", quality=88)
    return buf.getvalue()


def _manifest(record: SessionRecord) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": "RefundGuard", "version": __version__}],
        "title": f"RefundGuard live capture {record.request_id}",
        "format": "image/jpeg",
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created", "softwareAgent": {"name": "RefundGuard capture page", "version": __version__},
                "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/compositeCapture",
                "description": "live capture session: each shot taken through the capture page's camera"}]}},
            {"label": ASSERTION, "data": record.assertion()},
        ],
    }


def sign_session(record: SessionRecord, sheet: bytes, *, cert: Path | None, key: Path | None, alg: str = "es256"
                 ) -> bytes:
    """The session sheet with its manifest embedded, signed with ``cert``/``key`` (offline)."""
    from c2pa import Builder, C2paError, C2paSignerInfo, C2paSigningAlg, Context, Settings, Signer

    if cert is None or key is None:
        raise SigningUnavailable("no signing certificate is configured (capture.signing_cert / signing_key)")
    try:
        chain, private = Path(cert).read_bytes(), Path(key).read_bytes()
    except OSError as exc:
        raise SigningUnavailable(f"the signing certificate cannot be read: {exc}") from exc
    info = C2paSignerInfo(getattr(C2paSigningAlg, _ALGS[alg]), chain, private, None)
    ctx = Context(Settings.from_dict({"builder": {"thumbnail": {"enabled": False}},
                                      "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}))
    out = io.BytesIO()
    try:
        with Signer.from_info(info) as signer, Builder(_manifest(record), context=ctx) as builder:
            builder.sign(signer, "image/jpeg", io.BytesIO(sheet), out)
    except C2paError as exc:
        raise SigningUnavailable(f"C2PA signing failed: {exc}") from exc
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Verification:
    """What checking a signed session sheet found."""

    signed: bool
    state: str | None  # the C2PA validation state: Valid, Trusted or Invalid
    problems: tuple[str, ...]  # integrity failures (an altered sheet or manifest, a missing assertion)
    assertion: dict[str, Any] | None
    signer: str | None
    hashes_match: bool | None  # every shot listed is the evidence file of that SHA-256
    trusted: bool = False  # the signer chains to a configured trust anchor

    @property
    def ok(self) -> bool:
        """Signed, intact, and every listed shot is the evidence file it names (trust is reported apart)."""
        return self.signed and self.state in ("Valid", "Trusted") and not self.problems and self.hashes_match is True

    def to_dict(self) -> dict[str, Any]:
        return {"signed": self.signed, "state": self.state, "problems": list(self.problems), "signer": self.signer,
                "trusted": self.trusted, "hashes_match": self.hashes_match, "ok": self.ok}


def verify(asset: bytes, *, trust_anchors: Path | None = None, files: dict[str, bytes] | None = None) -> Verification:
    """Check a signed session sheet: its C2PA signature and hashes, and (``files``: SHA-256 → bytes of the evidence
    files) that each shot it lists is the file of that hash."""
    from c2pa import C2paError, Context, Reader, Settings

    config: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_anchors is not None:
        try:
            config["trust"] = {"trust_anchors": Path(trust_anchors).read_text("utf-8")}
        except OSError as exc:
            return Verification(False, None, (f"trust anchors unreadable: {exc}",), None, None, None)
    try:
        reader = Reader.try_create("image/jpeg", io.BytesIO(asset), context=Context(Settings.from_dict(config)))
    except C2paError as exc:
        return Verification(False, "Invalid", (str(exc)[:300],), None, None, None)
    if reader is None:
        return Verification(False, None, ("no C2PA manifest in the session sheet",), None, None, None)
    with reader:
        store = json.loads(reader.json())
        state = reader.get_validation_state()
        results = reader.get_validation_results() or {}
    active = (store.get("manifests") or {}).get(store.get("active_manifest") or "", {})
    assertion = next((a.get("data") for a in active.get("assertions", []) if a.get("label") == ASSERTION), None)
    failed = (results.get("activeManifest") or {}).get("failure", [])
    untrusted = any(str(item.get("code", "")).startswith("signingCredential.untrusted") for item in failed)
    failures = [f"{item.get('code')}: {item.get('explanation', '')}"[:200] for item in failed
                if not str(item.get("code", "")).startswith("signingCredential.untrusted")]
    info = active.get("signature_info") or {}
    signer = info.get("issuer") or info.get("common_name")
    hashes_match: bool | None = None
    if files is not None and assertion is not None:
        hashes_match = all(s.get("sha256") in files and hashlib.sha256(files[s["sha256"]]).hexdigest() == s["sha256"]
                           for s in assertion.get("shots", []))
    if assertion is None:
        failures.append(f"the manifest has no {ASSERTION} assertion")
    return Verification(True, state, tuple(failures), assertion, signer, hashes_match,
                        trusted=state == "Trusted" and not untrusted)
