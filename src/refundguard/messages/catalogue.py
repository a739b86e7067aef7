"""The catalogue: every sentence RefundGuard shows, by key, in English and Chinese (zh-CN).

A key names what is said, never how: ``tamper.local:single_cue`` (finding code and variant), ``error.forbidden``,
``timeline.claim.analysed``. The two texts are :meth:`str.format` templates over the same named parameters; the
parameters travel with the record (a finding's ``details``, an audit entry's details, an error's fields) and the
sentence is made when it is shown, in the reader's language (:mod:`refundguard.messages.render`).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

LANGS = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Entry:
    """One sentence in both languages (``str.format`` templates over the same parameters)."""

    key: str
    en: str
    zh: str

    def template(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @property
    def params(self) -> frozenset[str]:
        """The parameter names the templates use (the same in both languages)."""
        return _fields(self.en)


def _fields(template: str) -> frozenset[str]:
    names = set()
    for _literal, field, _spec, _conv in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".", 1)[0].split("[", 1)[0])
    return frozenset(names)


class Catalogue:
    """Sentences by key. Adding a key twice, or texts whose parameters differ between languages, is an error."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._english: dict[str, Entry] | None = None
        self._english_of = 0  # how many entries the English index was built from

    def add(self, key: str, en: str, zh: str) -> None:
        if key in self._entries:
            raise ValueError(f"message {key!r} defined twice")
        if _fields(en) != _fields(zh):
            raise ValueError(f"message {key!r}: parameters differ between en {sorted(_fields(en))} "
                             f"and zh {sorted(_fields(zh))}")
        self._entries[key] = Entry(key, en, zh)

    def define(self, prefix: str, texts: Mapping[str, tuple[str, str]]) -> None:
        """Add ``prefix + name`` for each ``name: (en, zh)`` (``prefix`` ends with its separator)."""
        for name, (en, zh) in texts.items():
            self.add(prefix + name, en, zh)

    def get(self, key: str | None) -> Entry | None:
        return None if key is None else self._entries.get(key)

    def by_english(self, text: str) -> Entry | None:
        """The parameterless entry whose English is ``text``: a sentence a record stored in English only (a check
        not converted to keys yet, an entry written before its text was catalogued) shown in the reader's language."""
        if self._english is None or self._english_of != len(self._entries):  # built again after an add
            self._english = {e.en: e for e in self._entries.values() if not e.params}
            self._english_of = len(self._entries)
        return self._english.get(text.strip())

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)


CATALOGUE = Catalogue()


def finding_key(code: str, variant: str | None) -> str | None:
    """The catalogue key of a finding's sentence: ``code:variant`` (None for a finding without a variant)."""
    return None if not variant else f"{code}:{variant}"
