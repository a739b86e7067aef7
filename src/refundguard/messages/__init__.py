"""Every sentence RefundGuard shows, kept by key and made in the reader's language when it is shown.

Records keep keys and parameters, not sentences: a finding keeps its ``code``, ``variant`` and ``details``; an
audit entry its action and details; an error its code and fields. A surface (page, PDF, CLI, API error) makes
the sentence with :func:`render` in the reader's language (zh-CN or en), with photo names, times in the
reader's zone and amounts formatted for them (:class:`Context`)::

    from refundguard.messages import Context, render
    render("tamper.local:single_cue", finding["details"], Context(lang="zh", names=names))

:func:`shown` is the surface's call: it renders the key when the catalogue has it and otherwise falls back to
a sentence the record stored (a check not converted yet still writes its ``message``; a report stored before
the catalogue existed has only sentences). See docs/report.md, "Messages".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from refundguard.messages import texts as _texts  # noqa: F401  (fills the catalogue)
from refundguard.messages.catalogue import CATALOGUE, LANGS, Entry, finding_key
from refundguard.messages.render import Context, MissingText, format_time, join, photo_name, render

__all__ = ["CATALOGUE", "LANGS", "Context", "Entry", "MissingText", "Text", "bilingual", "both", "finding_key",
           "format_time", "join", "photo_name", "render", "shown", "text"]


@dataclass(frozen=True, slots=True)
class Text:
    """A sentence to be made later: its catalogue key and parameters (what a record stores)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, ctx: Context | None = None) -> str:
        return render(self.key, self.params, ctx)

    def en(self, names: tuple[str, ...] = ()) -> str:
        return render(self.key, self.params, Context("en", names))

    def zh(self, names: tuple[str, ...] = ()) -> str:
        return render(self.key, self.params, Context("zh", names))

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": dict(self.params)}


def text(key: str, **params: Any) -> Text:
    """``Text(key, params)``; the key must exist (a typo fails where it is written, not where it is shown)."""
    if key not in CATALOGUE:
        raise KeyError(f"no message {key!r} in the catalogue")
    return Text(key, params)


def both(key: str, params: Mapping[str, Any] | None = None, *, names: tuple[str, ...] | list[str] = ()
         ) -> dict[str, str]:
    """``{"en": ..., "zh": ...}`` of ``key``."""
    names = tuple(names)
    return {lang: render(key, params, Context(lang, names)) for lang in ("en", "zh")}


def bilingual(text_: str | None, lang: str) -> str:
    """One language of an older bilingual sentence written as ``English / 中文`` (else the text as it is)."""
    if not text_:
        return ""
    head, sep, tail = text_.rpartition(" / ")
    if sep and any("\u4e00" <= ch <= "\u9fff" for ch in tail) and not any("\u4e00" <= ch <= "\u9fff" for ch in head):
        return tail if lang == "zh" else head
    return text_


def shown(key: str | None, params: Mapping[str, Any] | None, ctx: Context, *,
          stored: Mapping[str, str] | str | None = None) -> str:
    """The sentence ``key`` for this reader, or the ``stored`` one (``{"en","zh"}`` or a plain string) when the
    catalogue cannot make it (unknown key, a parameter missing): records written before a text was catalogued,
    and checks that still write their own sentences, keep showing what they wrote — in the reader's language
    where the stored English is a catalogue sentence (:meth:`Catalogue.by_english`)."""
    if key is not None and key in CATALOGUE:
        try:
            return render(key, params or {}, ctx)
        except MissingText:
            pass
    if isinstance(stored, Mapping):
        said = str(stored.get(ctx.lang) or "")
        english = str(stored.get("en") or "")
        if ctx.lang != "en" and (not said or said == english) and (known := CATALOGUE.by_english(english)):
            return known.template(ctx.lang)
        return said or english or str(stored.get("zh") or "")
    if stored and (known := CATALOGUE.by_english(stored)):
        return known.template(ctx.lang)
    return bilingual(stored, ctx.lang)
