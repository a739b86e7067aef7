"""GB 45438-2025 implicit AI-content labels (《人工智能生成合成内容标识办法》 Art. 5/6, Annex E).

Where labels are read from: the TC260 XMP property ``TC260:AIGC`` (element and attribute forms; the
namespace ``http://www.tc260.org.cn/ns/AIGC/1.0/`` is matched first, a prefix-only or wrong-namespace
label is accepted but flagged non-standard), PNG text chunks whose keyword contains ``AIGC`` (raw or
``{"AIGC":{...}}`` wrapped), EXIF UserComment/ImageDescription JSON and a bare ``AIGC{...}`` in a JPEG
APP/COM segment. Every label is validated field by field; remnants of a removed label are reported
separately (they prove nothing on their own).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from refundguard.checks.provenance.signal import Signal, short
from refundguard.media import bounded_json
from refundguard.media.load import LoadedImage

TC260_NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
XMP_PNG_KEY = "XML:com.adobe.xmp"
FIELDS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID",
          "ReservedCode2")
#: Label value -> (English meaning, Chinese legal wording of Art. 6).
LABEL_MEANING = {
    "1": ("is AI-generated/synthesised (属于)", "属于生成合成内容"),
    "2": ("is possibly AI-generated (可能为)", "可能为生成合成内容"),
    "3": ("is suspected to be AI-generated (疑似为)", "疑似为生成合成内容"),
}
LABEL_SCORE = {"1": 1.0, "2": 0.6, "3": 0.4}
#: score of the remnants of a removed label (and of a stripped C2PA manifest)
REMNANT_SCORE = 0.6
#: USCC -> (English product, Chinese product); a USCC names a legal entity, not necessarily one app.
KNOWN_USCC = {
    "91110102MACQD9K640": ("Doubao (ByteDance)", "豆包（字节跳动）"),
    "9144030008867405X2": ("Jimeng/Dreamina (ByteDance)", "即梦（字节跳动）"),
    "91440101MA9Y9T4H7A": ("Qwen (Alibaba)", "通义千问（阿里巴巴）"),
    "91110108335469089C": ("Kling (Kuaishou)", "可灵（快手）"),
    "91440300708461136T": ("Tencent Yuanbao (Shenzhen Tencent)", "腾讯元宝（深圳腾讯）"),
    "91110000802100433B": ("Baidu", "百度"),
    "91110105MACJ6K1C8A": ("LibLibAI", "LibLibAI"),
    "91340100MAEB4N8H76": ("RunningHub", "RunningHub"),
}
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE = re.compile(r"[0-9A-Z]{27}")
_PREFIX_ELEM = re.compile(r"<TC260:AIGC\b[^<>]{0,256}>([^<]*)</TC260:AIGC\s*>")
_PREFIX_ATTR = re.compile(r"TC260:AIGC\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_MAX_PREFIX_HITS = 16
_PREFIX_WINDOW = 256 * 1024
_DOUBAO_FINGERPRINT = '"??>'


@dataclass(frozen=True, slots=True)
class LabelHit:
    """One serialised label found in the file."""

    source: str          # where: "png:iTXt", "jpeg:APP1", "EXIF UserComment", "PNG tEXt 'AIGC'", ...
    form: str            # xmp-element | xmp-attribute | xmp-prefix-only | text-chunk | exif | jpeg-segment
    raw: str
    namespace: str | None = TC260_NS


@dataclass(frozen=True, slots=True)
class Problem:
    """A rule the label breaks: its code (API, ``details.problems[].code``), the sentence that says it
    (``provenance.label.problem.<part>``, the code unless named) and that sentence's parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    part: str | None = None

    def text(self, lang: str) -> str:
        from refundguard.messages import Context, render

        return render(f"provenance.label.problem.{self.part or self.code}", self.params, Context(lang))

    @property
    def en(self) -> str:
        return self.text("en")

    @property
    def zh(self) -> str:
        return self.text("zh")

    def to_dict(self, source: str) -> dict[str, Any]:
        """The problem as ``details.problems`` lists it (its sentence in both languages beside the parameters)."""
        return {"code": self.code, "source": source, "en": self.en, "zh": self.zh,
                "problem": self.part or self.code, **self.params}


def _remnant(part: str, **params: Any) -> dict[str, Any]:
    """A remnant of a removed label: a part of ``provenance.label.remnant.`` with its parameters."""
    return {"part": part, **params}


# ------------------------------------------------------------------------------------------ helpers

def uscc_valid(uscc: str) -> bool:
    """GB 32100-2015 check character of an 18-character Unified Social Credit Code."""
    if len(uscc) != 18 or any(c not in _USCC_CHARS for c in uscc):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(uscc[:17], _USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return _USCC_CHARS[check] == uscc[17]


def decode_provider_code(code: str) -> dict[str, Any] | None:
    """Split a 27-character provider code (网安秘字〔2025〕29号) into its parts; None if it is not one."""
    if not _CODE.fullmatch(code):
        return None
    uscc = code[4:22]
    product = KNOWN_USCC.get(uscc)
    return {"code": code, "format": code[:2], "subject": code[2:4], "uscc": uscc, "uscc_valid": uscc_valid(uscc),
            "service": code[22], "app": code[23:], "product": product[0] if product else None,
            "product_zh": product[1] if product else None}


def parse_label(raw: str) -> tuple[dict[str, Any] | None, bool, str | None]:
    """Parse a label value: ``(fields, was_wrapped, error)``. Accepts raw, wrapped and ``AIGC{...}`` forms."""
    text = raw.strip()
    if text.startswith("AIGC") and not text.startswith("AIGC\""):
        text = text[4:].lstrip(" :=")
    try:
        value, _ = bounded_json.raw_decode(text)
    except bounded_json.NestingTooDeep as exc:
        return None, False, f"the value is {exc} (built to break parsers)"
    except ValueError:
        return None, False, "the value is not JSON"
    wrapped = False
    if isinstance(value, dict) and set(value) == {"AIGC"} and isinstance(value["AIGC"], dict):
        value, wrapped = value["AIGC"], True
    if not isinstance(value, dict):
        return None, wrapped, "the value is not a JSON object"
    return value, wrapped, None


def _charset_ok(value: str) -> bool:
    # Annex E: 0x21, 0x23-0x5B, 0x5D-0x7E and the escape \" (a decoded '"' is therefore allowed).
    return all(c == '"' or c == "!" or "#" <= c <= "[" or "]" <= c <= "~" for c in value)


# -------------------------------------------------------------------------------------- extraction

def _xmp_hits(image: LoadedImage) -> tuple[list[LabelHit], list[dict[str, Any]]]:
    hits: list[LabelHit] = []
    remnants: list[dict[str, Any]] = []
    for packet in image.metadata.xmp:
        found = False
        if packet.root is not None:
            for el in packet.root.iter():
                pairs = [(el.tag, "".join(el.itertext()), "xmp-element")]
                pairs += [(k, v, "xmp-attribute") for k, v in el.attrib.items()]
                for key, value, form in pairs:
                    if not key.startswith("{"):
                        continue
                    ns, _, local = key[1:].partition("}")
                    if local != "AIGC":
                        continue
                    standard = ns.rstrip("/") == TC260_NS.rstrip("/")
                    if not standard and "Label" not in value:
                        continue
                    found = True
                    if not value.strip():
                        remnants.append(_remnant("empty_property", source=packet.source))
                        continue
                    hits.append(LabelHit(packet.source, form, value.strip(), ns))
        if not found:
            for value in _prefix_values(packet.text):
                found = True
                text = html.unescape(value).strip()
                if text:
                    hits.append(LabelHit(packet.source, "xmp-prefix-only", text, None))
                else:
                    remnants.append(_remnant("empty_property", source=packet.source))
        if not found and TC260_NS.rstrip("/") in packet.text:
            remnants.append(_remnant("namespace_only", source=packet.source))
        elif not found and _DOUBAO_FINGERPRINT in packet.text:
            remnants.append(_remnant("writer_fingerprint", source=packet.source, fingerprint=_DOUBAO_FINGERPRINT))
    return hits, remnants


def _prefix_values(text: str) -> list[str]:
    """``TC260:AIGC`` values found by prefix alone (bounded: at most 16 occurrences, 256 KiB each)."""
    values: list[str] = []
    pos = text.find("TC260:AIGC")
    while pos >= 0 and len(values) < _MAX_PREFIX_HITS:
        end = min(len(text), pos + _PREFIX_WINDOW)
        if pos > 0 and text[pos - 1] == "<" and (m := _PREFIX_ELEM.match(text, pos - 1, end)):
            values.append(m.group(1))
        elif text[pos - 1:pos] not in ("<", "/") and (m := _PREFIX_ATTR.match(text, pos, end)):
            values.append(m.group(1) if m.group(1) is not None else m.group(2))
        pos = text.find("TC260:AIGC", pos + 10)
    return values


def _text_hits(image: LoadedImage) -> tuple[list[LabelHit], list[dict[str, Any]]]:
    hits: list[LabelHit] = []
    remnants: list[dict[str, Any]] = []
    for chunk in image.metadata.text_chunks:
        if chunk.key == XMP_PNG_KEY or "AIGC" not in chunk.key.upper():
            continue
        where = f"PNG {chunk.kind} '{chunk.key}'"
        if chunk.text.strip():
            hits.append(LabelHit(where, "text-chunk", chunk.text.strip()))
        else:
            remnants.append(_remnant("empty_chunk", source=where))
    return hits, remnants


def _exif_hits(image: LoadedImage) -> list[LabelHit]:
    hits = []
    for name in ("UserComment", "ImageDescription"):
        value = image.metadata.exif_value(name)
        if isinstance(value, str) and "AIGC" in value and "{" in value:
            start = value.find("{") if not value.lstrip().startswith("AIGC") else 0
            hits.append(LabelHit(f"EXIF {name}", "exif", value[start:].strip()))
    return hits


def _segment_hits(image: LoadedImage) -> list[LabelHit]:
    hits = []
    for seg in image.metadata.segments:
        if not (seg.name.startswith("APP") or seg.name == "COM") or seg.name == "APP11":
            continue
        head = seg.head
        if head.startswith((b"Exif\x00", b"http://ns.adobe.com/")):
            continue
        for marker in (b"AIGC{", b'{"AIGC"'):
            pos = head.find(marker)
            if pos >= 0:
                hits.append(LabelHit(f"JPEG {seg.name} segment at byte {seg.offset}", "jpeg-segment",
                                     head[pos:].decode("utf-8", "replace").rstrip("\x00")))
                break
    return hits


# -------------------------------------------------------------------------------------- validation

def _code_problems(field: str, value: str, role: str) -> list[Problem]:
    decoded = decode_provider_code(value)
    if decoded is None:
        return []
    out = []
    if decoded["format"] != "00":
        out.append(Problem("code_format", {"field": field, "value": value, "format": decoded["format"]}))
    if not decoded["uscc_valid"]:
        out.append(Problem("uscc_checksum", {"field": field, "value": value, "uscc": decoded["uscc"]}))
    expected = "1" if role == "producer" else "2"
    if decoded["service"] not in ("1", "2"):
        out.append(Problem("service_type", {"field": field, "value": value, "service": decoded["service"]}))
    elif decoded["service"] != expected:
        out.append(Problem("service_role", {"field": field, "value": value, "service": decoded["service"],
                                            "role": role, "expected": expected}))
    return out


def validate(fields: dict[str, Any], hit: LabelHit) -> list[Problem]:
    """Every rule of Annex E / §6 that the label breaks (empty list: valid)."""
    out: list[Problem] = []
    if hit.namespace is None:
        out.append(Problem("namespace_prefix_only", {"namespace": TC260_NS}))
    elif hit.form.startswith("xmp") and hit.namespace.rstrip("/") != TC260_NS.rstrip("/"):
        out.append(Problem("namespace_wrong", {"namespace": hit.namespace}))
    label = fields.get("Label")
    if not isinstance(label, str) or label not in LABEL_MEANING:
        out.append(Problem("bad_label", {"label": json.dumps(label, ensure_ascii=False)}))
    for name in ("ContentProducer", "ProduceID"):
        value = fields.get(name)
        if not isinstance(value, str) or not value.strip():
            out.append(Problem(f"empty_{name}", {"name": name}, part="empty"))
    unknown = [k for k in fields if k not in FIELDS]
    if unknown:
        out.append(Problem("unknown_fields", {"fields": [str(k) for k in unknown]}))
    for name, value in fields.items():
        if name in FIELDS and value is not None and not isinstance(value, str):
            out.append(Problem("not_string", {"name": name, "type": type(value).__name__}))
        elif isinstance(value, str) and not _charset_ok(value):
            bad = sorted({c for c in value if not _charset_ok(c)})
            shown = " ".join(repr(c) for c in bad[:6])
            out.append(Problem("charset", {"name": name, "chars": shown}))
    for name, role in (("ContentProducer", "producer"), ("ContentPropagator", "propagator")):
        value = fields.get(name)
        if isinstance(value, str):
            out += _code_problems(name, value, role)
    prop, pid = fields.get("ContentPropagator"), fields.get("PropagateID")
    if bool(isinstance(prop, str) and prop.strip()) != bool(isinstance(pid, str) and pid.strip()):
        filled, empty = ("ContentPropagator", "PropagateID") if prop else ("PropagateID", "ContentPropagator")
        out.append(Problem("half_filled_propagation", {"filled": filled, "empty": empty}))
    return out


# ------------------------------------------------------------------------------------------ report

def _party(value: Any) -> dict[str, Any]:
    """A producer or propagator as a sentence says it: a part of ``provenance.label.party.`` — a provider code
    decoded (``code``: its USCC, the product when known, the kind of service, the app) or the value as it is."""
    text = str(value)
    decoded = decode_provider_code(text) if isinstance(value, str) else None
    if decoded is None:
        return {"part": "plain", "text": text}
    service = {"1": "generation", "2": "propagation"}.get(decoded["service"], "unknown")
    product = [{"part": "known", "name": {"en": decoded["product"], "zh": decoded["product_zh"]}}] \
        if decoded["product"] else []
    return {"part": "code", "code": text, "uscc": decoded["uscc"], "product": product, "service_kind": service,
            "app": decoded["app"]}


def _summary(fields: dict[str, Any]) -> dict[str, Any]:
    """What a label says, as the parameters of ``provenance.label.summary``: its Label and meaning, the producer
    and ProduceID, and the propagator and PropagateID when it has them."""
    label = str(fields.get("Label"))
    meaning = LABEL_MEANING.get(label, ("has no valid meaning", "无有效含义"))
    out: dict[str, Any] = {"part": "summary", "label": label, "meaning": {"en": meaning[0], "zh": meaning[1]},
                           "producer": _party(fields.get("ContentProducer", "")),
                           "produce_id": str(fields.get("ProduceID", "")), "propagation": []}
    if fields.get("ContentPropagator") or fields.get("PropagateID"):
        out["propagation"] = [{"part": "propagator", "propagator": _party(fields.get("ContentPropagator", "")),
                               "propagate_id": str(fields.get("PropagateID", ""))}]
    return out


def _label_details(hit: LabelHit, fields: dict[str, Any] | None, wrapped: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"source": hit.source, "form": hit.form, "namespace": hit.namespace, "wrapped": wrapped,
                           "fields": fields if fields is not None else None}
    if fields is None:
        out["raw"] = short(hit.raw, 500)
    else:
        label = fields.get("Label")
        if isinstance(label, str) and label in LABEL_MEANING:
            out["label_meaning"] = LABEL_MEANING[label][1]
        for name in ("ContentProducer", "ContentPropagator"):
            value = fields.get(name)
            if isinstance(value, str) and (decoded := decode_provider_code(value)):
                out[f"{name}_decoded"] = decoded
    return out


def aigc_label_signals(image: LoadedImage, *, label_scores: dict[str, float] | None = None,
                       remnant_score: float = REMNANT_SCORE) -> list[Signal]:
    """GB 45438 labels of one image: a valid label, an invalid one (every problem listed) or remnants.

    ``label_scores`` maps the label's ``Label`` value (1 AI-generated, 2 possibly, 3 suspected) to its score.
    """
    xmp_hits, remnants = _xmp_hits(image)
    text_hits, text_remnants = _text_hits(image)
    hits = xmp_hits + text_hits + _exif_hits(image) + _segment_hits(image)
    remnants += text_remnants
    if not hits:
        if not remnants:
            return []
        return [Signal("provenance.remnant", remnant_score, "label_remnants",
                       {"remnants": [_remnant_text(r) for r in remnants], "remnant_parts": remnants,
                        "standard": "GB 45438-2025"})]
    parsed = [(hit, *parse_label(hit.raw)) for hit in hits]
    problems: list[tuple[LabelHit, Problem]] = []
    for hit, fields, _wrapped, error in parsed:
        if fields is None:
            part = {"the value is not JSON": "not_json", "the value is not a JSON object": "not_object"}.get(
                str(error), "too_deep")
            problems.append((hit, Problem("not_json", {"error": error, "raw": short(hit.raw, 60)}, part=part)))
        else:
            problems += [(hit, p) for p in validate(fields, hit)]
    if len(hits) > 1:
        problems.append((hits[0], Problem("duplicate", {"count": len(hits), "sources": [h.source for h in hits]})))
        distinct = {json.dumps(f, sort_keys=True, ensure_ascii=False) for _h, f, _w, _e in parsed if f is not None}
        if len(distinct) > 1:
            problems.append((hits[0], Problem("disagree")))
    labels = [_label_details(h, f, w) for h, f, w, _e in parsed]
    first_fields = next((f for _h, f, _w, _e in parsed if f is not None), None)
    if problems:
        return [Signal("provenance.aigc_label.invalid", 1.0, "problems",
                       {"labels": labels, "problems": [p.to_dict(h.source) for h, p in problems],
                        "source": hits[0].source, "content": [_summary(first_fields)] if first_fields else []})]
    hit, fields, _wrapped, _err = parsed[0]
    assert fields is not None
    return [Signal("provenance.aigc_label", (label_scores or LABEL_SCORE)[fields["Label"]], "label",
                   {**labels[0], "summary": _summary(fields)})]


def _remnant_text(remnant: dict[str, Any]) -> str:
    """A remnant in English, as ``details.remnants`` lists them."""
    from refundguard.messages import Context, render

    return render(f"provenance.label.remnant.{remnant['part']}", remnant, Context("en"))
