"""Safe XMP parsing: no DTDs, no entities, no network, bounded size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from refundguard.errors import InputTooLarge, UnreadableImage

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)


@dataclass(frozen=True, slots=True)
class XmpPacket:
    """One XMP packet and where it was found (e.g. "jpeg:app1", "png:iTXt", "webp:XMP", "scan@1234")."""

    source: str
    text: str
    root: Element | None
    error: str | None = None

    def properties(self) -> Iterator[tuple[str, str, str]]:
        """Yield ``(namespace, local name, value)`` for every element text and attribute in the packet.

        Both XMP serialisations are covered: ``<ns:Prop>value</ns:Prop>`` and ``ns:Prop="value"``.
        Container elements (rdf:Bag/Seq/Alt) yield their ``rdf:li`` values under the parent's name.
        """
        if self.root is None:
            return
        yield from _walk(self.root, None)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _walk(root: Element, owner: tuple[str, str] | None) -> Iterator[tuple[str, str, str]]:
    """Document order, with an explicit stack: a hostile packet nests elements thousands deep."""
    stack: list[tuple[Element, tuple[str, str] | None]] = [(root, owner)]
    while stack:
        el, owner = stack.pop()
        ns, local = _split(el.tag)
        for key, value in el.attrib.items():
            ans, alocal = _split(key)
            if ans != RDF_NS:
                yield ans, alocal, value
        text = (el.text or "").strip()
        if ns == RDF_NS and local == "li" and owner is not None and text:
            yield owner[0], owner[1], text
        elif ns != RDF_NS and text:
            yield ns, local, text
        child_owner = owner if ns == RDF_NS else (ns, local)
        stack.extend((child, child_owner) for child in reversed(el))


def parse_packet(raw: bytes | str, source: str, *, max_bytes: int) -> XmpPacket:
    """Parse one packet. Oversized or DTD/entity-bearing packets are refused as hostile input."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise InputTooLarge(f"XMP packet in {source} is {len(data):,} bytes; the limit is {max_bytes:,}")
    if _DOCTYPE.search(data):
        raise UnreadableImage(f"XMP packet in {source} declares a DTD or entity; refused as hostile metadata")
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    start = text.find("<x:xmpmeta")
    if start < 0:
        start = text.find("<rdf:RDF")
    body = text[start:] if start >= 0 else text
    end = body.rfind("</x:xmpmeta>")
    if end >= 0:
        body = body[: end + len("</x:xmpmeta>")]
    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnreadableImage(f"XMP packet in {source} was refused as hostile metadata ({type(exc).__name__})")\
            from exc
    except SafeET.ParseError as exc:
        return XmpPacket(source, text, None, f"malformed XML: {exc}")
    return XmpPacket(source, text, root)


def scan_for_packets(data: bytes, *, window: int, limit: int = 32) -> Iterator[tuple[int, bytes]]:
    """Find XMP packets anywhere in a byte string, e.g. appended after the image data.

    Yields ``(offset, packet bytes)``. Each packet must close within ``window`` bytes of its start and
    at most ``limit`` openings are examined, so hostile files cannot make the scan quadratic.
    """
    pairs = ((b"<?xpacket begin=", re.compile(rb"<\?xpacket end=['\"][rw]['\"]\s*\?>")),
             (b"<x:xmpmeta", re.compile(rb"</x:xmpmeta\s*>")))
    covered: list[tuple[int, int]] = []
    examined = 0
    for opener, closer in pairs:
        pos = data.find(opener)
        while pos >= 0 and examined < limit:
            examined += 1
            if not any(s <= pos < e for s, e in covered):
                m = closer.search(data, pos, min(len(data), pos + window))
                if m:
                    covered.append((pos, m.end()))
                    yield pos, data[pos:m.end()]
            pos = data.find(opener, pos + 1)
