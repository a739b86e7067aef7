"""Metadata written by AI image generators and AI editing apps.

A1111/Forge ``parameters`` (PNG text and EXIF UserComment), ComfyUI ``prompt``/``workflow`` graphs,
InvokeAI, Fooocus, SwarmUI, NovelAI (text chunks, EXIF JSON and the "stealth" payload hidden in the
alpha channel's least significant bits), Midjourney job ids, xAI Grok signatures, ByteDance app export
JSON, and AI tool names in EXIF Software/Make, XMP CreatorTool and xmpMM:History.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import numpy as np

from refundguard.checks.provenance.signal import Signal, short
from refundguard.media import bounded_json
from refundguard.media.load import LoadedImage

XMP_NS = "http://ns.adobe.com/xap/1.0/"
STEVT_NS = "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
DC_NS = "http://purl.org/dc/elements/1.1/"
STEALTH_MAGIC = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
MAX_STEALTH_BYTES = 1 << 20
_STEPS = re.compile(r"\bSteps: \d+")
_A1111_FIELDS = re.compile(r"\b(?:Sampler|Seed|CFG scale): ")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_JOB_ID = re.compile(r"Job ID:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.I)
#: (pattern, tool name) for AI tools named in Software/CreatorTool/Make/history fields
AI_TOOLS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.I), name) for p, name in (
    (r"\bfirefly\b", "Adobe Firefly"), (r"\bdall[\s·\-_.]?e\b", "DALL·E"),
    (r"stable[\s_-]?diffusion", "Stable Diffusion"),
    (r"\bmidjourney\b", "Midjourney"), (r"\bnovelai\b", "NovelAI"), (r"\bcomfyui\b", "ComfyUI"),
    (r"\bautomatic1111\b|\bstable-diffusion-webui\b", "AUTOMATIC1111"), (r"\binvokeai\b", "InvokeAI"),
    (r"\bfooocus\b", "Fooocus"), (r"\bideogram\b", "Ideogram"), (r"\bleonardo\.?ai\b", "Leonardo.Ai"),
    (r"豆包|\bdoubao\b", "豆包 Doubao"), (r"即梦|\bjimeng\b|\bdreamina\b", "即梦 Jimeng/Dreamina"),
    (r"通义|\btongyi\b|万相|\bwanxiang\b|\bqwen\b", "通义 Tongyi/Qwen"), (r"可灵|\bkling\b", "可灵 Kling"),
    (r"文心一格|\bernie[\s-]?vilg\b", "文心一格 ERNIE-ViLG"), (r"腾讯元宝|\byuanbao\b", "腾讯元宝 Yuanbao"),
    (r"\bgemini\b|\bimagen\b|\bnano[\s-]?banana\b", "Google Gemini/Imagen"), (r"\bgrok\b", "xAI Grok"),
    (r"\bflux(?:\.\d|\b)", "FLUX"), (r"\bsora\b", "Sora"), (r"\bchatgpt\b|\bgpt-4o\b|\bgpt-image", "ChatGPT"),
    (r"bing image creator|microsoft designer|copilot designer", "Microsoft Designer/Copilot"),
    (r"\breve\.com\b", "Reve"), (r"\baphrodite ai\b", "Aphrodite AI"), (r"\bluma ai\b", "Luma AI"),
    (r"\bdraw ?things\b", "Draw Things"), (r"\bswarmui\b", "SwarmUI"), (r"\bstability ai\b", "Stability AI"),
))
_KEYS = {"invokeai_metadata": "InvokeAI", "invokeai_workflow": "InvokeAI", "invokeai_graph": "InvokeAI",
         "sd-metadata": "InvokeAI (legacy)", "Dream": "InvokeAI (legacy)", "fooocus_scheme": "Fooocus",
         "hf-job-id": "Hugging Face job"}
_BYTEDANCE_PRODUCTS = {"doubao": "豆包 Doubao", "dreamina": "即梦 Dreamina", "dreamina_oversea": "Dreamina",
                       "jimeng": "即梦 Jimeng"}


def _json(text: str) -> Any:
    try:
        return bounded_json.loads(text)
    except ValueError:
        return None


def _item(generator: str, field: str, value: Any, score: float) -> dict[str, Any]:
    return {"generator": generator, "field": field, "value": short(value, 160), "score": score}


def _text_items(image: LoadedImage) -> list[dict[str, Any]]:
    items = []
    chunks = {c.key: c.text for c in image.metadata.text_chunks}
    for key, text in chunks.items():
        where = f"PNG text '{key}'"
        if key == "parameters" and _is_a1111(text):
            gen = "SwarmUI" if "sui_image_params" in text else "AUTOMATIC1111/Forge"
            items.append(_item(gen, where, text, 1.0))
        elif key == "parameters" and "sui_image_params" in text:
            items.append(_item("SwarmUI", where, text, 1.0))
        elif key in ("prompt", "workflow") and _is_comfy_graph(key, text):
            items.append(_item("ComfyUI", where, text, 1.0))
        elif key in _KEYS and text.strip():
            items.append(_item(_KEYS[key], where, text, 1.0))
        elif key == "Software" and text.strip() == "NovelAI":
            items.append(_item("NovelAI", where, text, 1.0))
        elif key == "Comment" and isinstance(c := _json(text), dict) and "steps" in c and ("scale" in c or "uc" in c):
            items.append(_item("NovelAI", where, text, 0.9))
        elif key == "Description" and (m := _JOB_ID.search(text)):
            items.append(_item("Midjourney", where, f"Job ID: {m.group(1)}", 0.9))
        elif key in ("Software", "Source", "Title") and (tool := _tool(text)):
            items.append(_item(tool, where, text, 0.8))
    return items


def _is_a1111(text: str) -> bool:
    """A1111's generation-info text: ``Steps: N`` followed on the same settings line by Sampler/Seed/CFG."""
    m = _STEPS.search(text, 0, 65536)
    return bool(m and _A1111_FIELDS.search(text, m.end(), m.end() + 4096))


def _is_comfy_graph(key: str, text: str) -> bool:
    """ComfyUI's API graph (``prompt``: nodes with ``class_type``) or UI graph (``workflow``: ``nodes`` list)."""
    graph = _json(text)
    if not isinstance(graph, dict):
        return False
    if key == "prompt":
        return any(isinstance(n, dict) and "class_type" in n for n in graph.values())
    return isinstance(graph.get("nodes"), list)


def _exif_items(image: LoadedImage) -> list[dict[str, Any]]:
    meta = image.metadata
    items = []
    comment = meta.exif_value("UserComment")
    if isinstance(comment, str) and comment:
        if _is_a1111(comment):
            items.append(_item("AUTOMATIC1111/Forge", "EXIF UserComment", comment, 1.0))
        elif isinstance(c := _json(comment), dict) and str(c.get("Software", "")).startswith("NovelAI"):
            items.append(_item("NovelAI", "EXIF UserComment", comment, 1.0))
    artist = meta.exif_value("Artist")
    signature = next((v for v in (meta.exif_value("ImageDescription"), comment)
                      if isinstance(v, str) and v.startswith("Signature:")), None)
    if isinstance(artist, str) and _UUID.match(artist.strip()) and signature:
        items.append(_item("xAI Grok", "EXIF Artist + ImageDescription/UserComment",
                           f"Artist {artist.strip()}; {short(signature, 40)}", 0.9))
    for name in ("ImageDescription", "UserComment"):
        value = meta.exif_value(name)
        data = _json(value) if isinstance(value, str) and value.startswith("{") else None
        product = data.get("data", {}).get("product") if isinstance(data, dict) and isinstance(
            data.get("data"), dict) else None
        if isinstance(product, str) and product.lower() in _BYTEDANCE_PRODUCTS:
            generated = data["data"].get("exportType") == "generation"
            items.append(_item(_BYTEDANCE_PRODUCTS[product.lower()], f"EXIF {name} app JSON",
                               value, 0.9 if generated else 0.6))
    for name in ("Software", "Make", "Model", "Artist"):
        value = meta.exif_value(name)
        if name != "Artist" and isinstance(value, str) and (tool := _tool(value)):
            items.append(_item(tool, f"EXIF {name}", value, 0.8))
    return items


def _xmp_items(image: LoadedImage) -> list[dict[str, Any]]:
    items = []
    for source, ns, name, value in image.metadata.xmp_properties():
        if (ns, name) in ((XMP_NS, "CreatorTool"), (STEVT_NS, "softwareAgent")) and (tool := _tool(value)):
            field = "XMP xmp:CreatorTool" if name == "CreatorTool" else "XMP xmpMM:History softwareAgent"
            items.append(_item(tool, f"{field} ({source})", value, 0.8))
        elif ns == DC_NS and name == "description" and (m := _JOB_ID.search(value)):
            items.append(_item("Midjourney", f"XMP dc:description ({source})", f"Job ID: {m.group(1)}", 0.9))
    return items


def _tool(value: str) -> str | None:
    for pattern, name in AI_TOOLS:
        if pattern.search(value):
            return name
    return None


def _bits(alpha: np.ndarray, start: int, count: int) -> np.ndarray:
    """``count`` alpha LSBs from bit ``start``, read column by column (NovelAI's order)."""
    h = alpha.shape[0]
    cols = min(alpha.shape[1], (start + count + h - 1) // h)
    return (alpha[:, :cols].T.reshape(-1) & 1)[start:start + count].astype(np.uint8)


def stealth_payload(alpha: np.ndarray | None, *, max_bytes: int = MAX_STEALTH_BYTES) -> tuple[str, str] | None:
    """NovelAI's stealth pnginfo: ``(magic, decoded text)`` from the alpha channel LSBs, or None.

    Layout: 15-byte magic ``stealth_pnginfo`` (plain) or ``stealth_pngcomp`` (gzip), a 32-bit big-endian
    payload length in bits, then the payload, all MSB first, column-major. Sizes are bounded by
    ``max_bytes`` and by the number of pixels; a malformed payload is reported as such.
    """
    if alpha is None or alpha.ndim != 2 or alpha.size < 152:
        return None
    magic = np.packbits(_bits(alpha, 0, 120)).tobytes()
    if magic not in STEALTH_MAGIC:
        return None
    length = int.from_bytes(np.packbits(_bits(alpha, 120, 32)).tobytes(), "big")
    name = magic.decode()
    if length <= 0 or length % 8 or length // 8 > max_bytes or 152 + length > alpha.size:
        return name, f"<malformed payload length {length} bits>"
    payload = np.packbits(_bits(alpha, 152, length)).tobytes()
    if STEALTH_MAGIC[magic]:
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            payload = inflater.decompress(payload, max_bytes)
        except zlib.error:
            return name, "<corrupt gzip payload>"
    return name, payload.decode("utf-8", "replace")


def generator_signals(image: LoadedImage, *, max_stealth_bytes: int = MAX_STEALTH_BYTES) -> list[Signal]:
    """One ``provenance.generator_metadata`` signal listing every generator trace of the image."""
    items = _text_items(image) + _exif_items(image) + _xmp_items(image)
    stealth = stealth_payload(image.alpha, max_bytes=max_stealth_bytes)
    if stealth is not None:
        magic, text = stealth
        items.append(_item("NovelAI", f"alpha-channel LSB payload '{magic}'", text, 1.0))
    if not items:
        return []
    names = sorted({i["generator"] for i in items})
    return [Signal("provenance.generator_metadata", max(i["score"] for i in items), "traces",
                   {"generators": names, "evidence": items})]
