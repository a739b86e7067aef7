"""Safe XMP parsing: no DTDs, no entities, no network, bounded size and nesting.

Real XMP nests a few levels (x:xmpmeta / rdf:RDF / rdf:Description / property / rdf:Bag / rdf:li ...).
A packet nested deeper than the limit is built to break parsers: it is read iteratively down to the
limit (so a label beside the deep part is still found) and marked ``too_deep`` for the provenance check
to report; nothing here recurses on the document.
"""

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
    #: nesting depth of the document when it exceeds the limit (then only ``max_depth`` levels are read)
    too_deep: int | None = None
    max_depth: int = 64

    def properties(self) -> Iterator[tuple[str, str, str]]:
        """Yield ``(namespace, local name, value)`` for every element text and attribute in the packet.

        Both XMP serialisations are covered: ``<ns:Prop>value</ns:Prop>`` and ``ns:Prop="value"``.
        Container elements (rdf:Bag/Seq/Alt) yield their ``rdf:li`` values under the parent's name.
        """
        if self.root is None:
            return
        yield from _walk(self.root, self.max_depth)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _walk(root: Element, max_depth: int) -> Iterator[tuple[str, str, str]]:
    """Depth-first, in document order, iteratively; elements below ``max_depth`` levels are not read."""
    stack: list[tuple[Element, tuple[str, str] | None, int]] = [(root, None, 1)]
    while stack:
        el, owner, level = stack.pop()
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
        if level < max_depth:
            child_owner = owner if ns == RDF_NS else (ns, local)
            stack.extend((child, child_owner, level + 1) for child in reversed(el))


def depth(root: Element) -> int:
    """Nesting depth of an element tree (the root alone is 1), computed without recursion."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in el)
    return deepest


def parse_packet(raw: bytes | str, source: str, *, max_bytes: int, max_depth: int = 64) -> XmpPacket:
    """Parse one packet. Oversized or DTD/entity-bearing packets are refused as hostile input; a packet
    nested deeper than ``max_depth`` is kept, marked ``too_deep`` and read down to that depth."""
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
    nesting = depth(root)
    if nesting > max_depth:
        return XmpPacket(source, text, root, f"nested {nesting} levels deep; read to the limit of {max_depth}",
                         too_deep=nesting, max_depth=max_depth)
    return XmpPacket(source, text, root, max_depth=max_depth)


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
