"""Test-only writers for provenance metadata: GB 45438 labels, generator metadata, IPTC XMP, C2PA signing.

Everything here builds real files with real libraries (Pillow, piexif, c2pa-python) so the check reads
them through the same loader as evidence.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import piexif
import piexif.helper
from PIL import Image, PngImagePlugin
from skimage import data as skdata

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
DOUBAO_CODE = "001191110102MACQD9K64010000"
JIMENG_PROPAGATOR = "00119144030008867405X220001"
BAD_CHECKSUM_CODE = "001191110102MACQD9K64X10000"


def label_fields(**overrides: Any) -> dict[str, Any]:
    """A valid Doubao-like label (Annex E field set), with fields replaced or added by ``overrides``."""
    fields: dict[str, Any] = {"Label": "1", "ContentProducer": DOUBAO_CODE,
                              "ProduceID": "cc75f5e99aae4210960acb722f10974e", "ReservedCode1": "",
                              "ContentPropagator": "", "PropagateID": "", "ReservedCode2": ""}
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def _attr_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def xmp_packet(body_attrs: str = "", body_elems: str = "", ns_decls: str = "", *, fingerprint: bool = False) -> str:
    """An XMP packet with one rdf:Description holding the given attributes/elements."""
    end = '"??>' if fingerprint else '"?>'
    return (f'<?xml version="1.0" encoding="UTF-8"?><?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d{end}'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" {ns_decls} {body_attrs}>{body_elems}</rdf:Description>'
            '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def tc260_xmp(fields: dict[str, Any] | str, *, form: str = "element", namespace: str = TC260_NS,
              wrapped: bool = False, fingerprint: bool = False) -> str:
    """The GB 45438 XMP label: ``TC260:AIGC`` as element or attribute, in ``namespace``."""
    value = fields if isinstance(fields, str) else json.dumps({"AIGC": fields} if wrapped else fields,
                                                              ensure_ascii=False, separators=(",", ":"))
    decl = f'xmlns:TC260="{namespace}"'
    if form == "attribute":
        return xmp_packet(f'TC260:AIGC="{_attr_escape(value)}"', "", decl, fingerprint=fingerprint)
    return xmp_packet("", f"<TC260:AIGC>{_attr_escape(value)}</TC260:AIGC>", decl, fingerprint=fingerprint)


def iptc_xmp(*, prefix: str = "Iptc4xmpExt", source_type: str | None = None, extra_attrs: str = "",
             credit: str | None = None) -> str:
    attrs = f'{prefix}:DigitalSourceType="{source_type}"' if source_type else ""
    elems = f"<photoshop:Credit>{credit}</photoshop:Credit>" if credit else ""
    return xmp_packet(f"{attrs} {extra_attrs}", elems,
                      f'xmlns:{prefix}="{IPTC_EXT_NS}" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"')


def photo(size: tuple[int, int] = (160, 120)) -> Image.Image:
    """A real photo (scikit-image's coffee cup), resized: the stand-in for a buyer's product photo."""
    return Image.fromarray(skdata.coffee()).resize(size)


def png_bytes(img: Image.Image | None = None, *, xmp: str | None = None, text: dict[str, str] | None = None,
              itxt: dict[str, str] | None = None) -> bytes:
    """A PNG with an iTXt XMP packet (as Doubao writes it) and any tEXt/iTXt chunks."""
    img = img if img is not None else photo()
    info = PngImagePlugin.PngInfo()
    if xmp is not None:
        info.add_itxt("XML:com.adobe.xmp", xmp)
    for key, value in (text or {}).items():
        info.add_text(key, value)
    for key, value in (itxt or {}).items():
        info.add_itxt(key, value)
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def jpeg_bytes(img: Image.Image | None = None, *, exif: bytes | None = None, quality: int = 90) -> bytes:
    img = (img if img is not None else photo()).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return buf.getvalue()


def insert_jpeg_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """Insert one APPn/COM segment right after SOI."""
    assert jpeg[:2] == b"\xff\xd8"
    return jpeg[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def jpeg_with_xmp(xmp: str, jpeg: bytes | None = None) -> bytes:
    return insert_jpeg_segment(jpeg or jpeg_bytes(), 0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode())


def webp_with_xmp(xmp: str, img: Image.Image | None = None) -> bytes:
    buf = io.BytesIO()
    (img if img is not None else photo()).save(buf, format="WEBP", quality=90, xmp=xmp.encode())
    return buf.getvalue()


def exif_bytes(*, user_comment: str | None = None, encoding: str = "unicode", image_description: str | None = None,
               software: str | None = None, make: str | None = None, model: str | None = None,
               artist: str | None = None, exposure: bool = False) -> bytes:
    """EXIF (via piexif) with the given fields; ``exposure`` adds ExposureTime/FNumber/ISO like a camera."""
    zeroth: dict[int, Any] = {}
    exif: dict[int, Any] = {}
    if image_description is not None:
        zeroth[piexif.ImageIFD.ImageDescription] = image_description.encode()
    if software is not None:
        zeroth[piexif.ImageIFD.Software] = software.encode()
    if make is not None:
        zeroth[piexif.ImageIFD.Make] = make.encode()
    if model is not None:
        zeroth[piexif.ImageIFD.Model] = model.encode()
    if artist is not None:
        zeroth[piexif.ImageIFD.Artist] = artist.encode()
    if user_comment is not None:
        exif[piexif.ExifIFD.UserComment] = piexif.helper.UserComment.dump(user_comment, encoding=encoding)
    if exposure:
        exif[piexif.ExifIFD.ExposureTime] = (1, 125)
        exif[piexif.ExifIFD.FNumber] = (28, 10)
        exif[piexif.ExifIFD.ISOSpeedRatings] = 200
    return piexif.dump({"0th": zeroth, "Exif": exif})


def novelai_stealth_png(payload: dict[str, Any], *, compressed: bool = True, size: tuple[int, int] = (96, 96),
                        magic: bytes | None = None, length_override: int | None = None) -> bytes:
    """A PNG whose alpha LSBs carry NovelAI's stealth metadata (column-major, MSB first)."""
    body = json.dumps(payload).encode()
    if compressed:
        body = gzip.compress(body)
    magic = magic or (b"stealth_pngcomp" if compressed else b"stealth_pnginfo")
    length = len(body) * 8 if length_override is None else length_override
    bits = np.unpackbits(np.frombuffer(magic + struct.pack(">I", length) + body, dtype=np.uint8))
    rgba = np.array(photo(size).convert("RGBA"))
    h, w = rgba.shape[:2]
    assert bits.size <= h * w, "payload too large for the carrier"
    alpha = np.full(h * w, 254, dtype=np.uint8)
    alpha[: bits.size] |= bits
    alpha[bits.size:] |= 1
    rgba[..., 3] = alpha.reshape(w, h).T
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- C2PA

def c2pa_manifest(*, source_type: str | None, action: str = "c2pa.created", agent: str = "FakeGen 1.0",
                  title: str = "evidence.jpg") -> dict[str, Any]:
    act: dict[str, Any] = {"action": action, "softwareAgent": {"name": agent}}
    if source_type:
        act["digitalSourceType"] = f"http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}"
    return {"claim_generator_info": [{"name": "refundguard-test", "version": "0.1"}], "title": title,
            "assertions": [{"label": "c2pa.actions", "data": {"actions": [act]}}]}


def c2pa_sign(source: bytes, mime: str, manifest: dict[str, Any], certs_dir: Path) -> bytes:
    """Sign ``source`` offline with the c2pa-python test certificate chain (no TSA, no network)."""
    from c2pa import Builder, C2paSignerInfo, C2paSigningAlg, Context, Settings, Signer

    info = C2paSignerInfo(C2paSigningAlg.ES256, (certs_dir / "es256_certs.pem").read_bytes(),
                          (certs_dir / "es256_private.key").read_bytes(), None)
    ctx = Context(Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}}))
    dst = io.BytesIO()
    with Signer.from_info(info) as signer, Builder(manifest, context=ctx) as builder:
        builder.sign(signer, mime, io.BytesIO(source), dst)
    return dst.getvalue()


def jpeg_scan_offset(jpeg: bytes) -> int:
    """Byte offset of the first entropy-coded byte after SOS (walking segments, not searching)."""
    pos = 2
    while pos + 4 <= len(jpeg):
        marker = jpeg[pos + 1]
        (length,) = struct.unpack(">H", jpeg[pos + 2:pos + 4])
        if marker == 0xDA:
            return pos + 2 + length
        pos += 2 + length
    raise ValueError("no SOS segment")
