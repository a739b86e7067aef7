"""Every catalogue key the code names exists, in both languages, and every key a template names through a spec
(``each:KEY``, ``parts:PREFIX``, ``sentences:PREFIX``, ``msg:PREFIX``) exists too: a typo fails here, not on a page."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from refundguard.messages import CATALOGUE

SRC = Path(__file__).resolve().parents[2] / "src" / "refundguard"
#: functions whose first argument is a catalogue key
KEYED_CALLS = {"not_applicable", "fail_with", "text", "both", "shown"}


def _string(node: ast.AST | None) -> list[str]:
    """The string constants ``node`` can be: a constant, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _string(node.body) + _string(node.orelse)
    return []


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _keys_in(path: Path) -> Iterator[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    renders = any(isinstance(n, ast.ImportFrom) and (n.module or "").startswith("refundguard.messages")
                  and any(a.name == "render" for a in n.names) for n in ast.walk(tree))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name == "text" and not isinstance(node.func, ast.Name):  # a method of that name (Signal.text(lang))
            name = ""
        if node.args and (name in KEYED_CALLS or (name == "render" and renders)):
            for key in _string(node.args[0]):
                yield key, node.lineno
        for kw in node.keywords:
            if kw.arg == "key":
                for key in _string(kw.value):
                    yield key, node.lineno
        if name == "finding" and node.args:  # ctx.finding(code, ..., variant=...)
            variants = [v for kw in node.keywords if kw.arg == "variant" for v in _string(kw.value)]
            for code in _string(node.args[0]):
                for variant in variants:
                    yield f"{code}:{variant}", node.lineno


def _used() -> list[tuple[str, str]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if "messages" in path.relative_to(SRC).parts:
            continue
        out += [(key, f"{path.relative_to(SRC)}:{line}") for key, line in _keys_in(path)]
    return out


def test_the_scan_finds_the_keys_of_the_converted_checks() -> None:
    keys = {k for k, _ in _used()}
    for expected in ("capture.screenshot:signs", "capture.no_camera_data:missing", "capture.camera_mismatch:lens",
                     "capture.editing_software:retouch", "capture.editing_software:develop",
                     "reuse.template:pattern", "reuse.duplicate:copy", "reuse.duplicate:same_photo",
                     "reuse.na.no_index", "tamper.skip.reduced", "watermark.skip.reduced",
                     "provenance.skip.reduced_alpha", "provenance.skip.unreadable", "provenance.verified.read",
                     "tamper.local:strong", "tamper.local:single_cue", "tamper.na.too_small"):
        assert expected in keys


@pytest.mark.parametrize(("key", "where"), _used())
def test_every_key_named_in_src_is_in_the_catalogue(key: str, where: str) -> None:
    entry = CATALOGUE.get(key)
    assert entry is not None, f"{where}: no message {key!r}"
    assert entry.en.strip() and entry.zh.strip(), f"{key}: a language is empty"


def _spec_targets() -> Iterator[tuple[str, str, str]]:
    for entry in CATALOGUE:
        for text in (entry.en, entry.zh):
            for _literal, _field, spec, _conv in string.Formatter().parse(text):
                kind, _, target = (spec or "").partition(":")
                if kind in ("each", "parts", "sentences", "msg") and target:
                    yield entry.key, kind, target


def test_every_key_a_template_names_exists() -> None:
    keys = {e.key for e in CATALOGUE}
    for key, kind, target in _spec_targets():
        if kind == "each":
            assert target in keys, f"{key}: each:{target} is not in the catalogue"
        else:
            assert any(k.startswith(target) for k in keys), f"{key}: {kind}:{target} names no key"


def _literal(template: str) -> str:
    return "".join(literal for literal, _f, _s, _c in string.Formatter().parse(template))


def test_every_entry_has_both_languages_and_chinese_where_it_has_words() -> None:
    for entry in CATALOGUE:
        assert entry.en.strip() and entry.zh.strip(), entry.key
        zh = _literal(entry.zh)
        if _literal(entry.en) != zh:  # texts of tags and names alone (``EXIF {tag}``) are the same in both
            words = [w for w in zh.replace("/", " ").split()  # English words, not --options
                     if w.isascii() and not w.startswith("-") and sum(c.isalpha() for c in w) > 1]
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh) or not words, f"{entry.key}: {entry.zh!r}"
