"""Make a catalogue sentence in one language, with its parameters formatted for the reader.

Parameters are formatted by the spec in the template (``{image:photo}``, ``{share:pct}``):

=============== ==============================================================================
``photo``       a photo index into the report's images -> the photo's file name (``Context.names``)
``photos``      a list of photo indexes -> their names, joined
``list``        a list of words -> joined (``、`` in Chinese, ``, `` in English)
``pct`` ``pct0`` a share in [0, 1] -> ``1.4%`` / ``1%``
``money``       an amount -> ``¥1,280.00`` (``Context.symbol``)
``totals``      ``{currency: amount}`` -> ``CNY 1,280.00, USD 5.00``
``time``        an ISO time or datetime -> the reader's zone with its offset (``2026-05-01 10:00 UTC+08:00``)
``date``        the same, the date only
``clock``       a time that may have no zone: with an offset, as ``time``; without one, as written, marked
                "(no time zone)" (it cannot be placed in any zone)
``recorded``    a time read from a file (EXIF): as ``clock``, and where the file's own offset is not the
                reader's, also as the file records it (``… (in the file: 2011-07-30 15:41 UTC-07:00)``)
``megapixels``  a number of pixels -> ``12.0 MP`` / ``1200 万像素``
``span``        a number of minutes -> ``2 d 3 h 5 min`` / ``2 天 3 小时 5 分钟``
``plural:a|b``  a count -> ``1 a`` / ``3 b`` (English plural forms)
``checks``      a list of check names -> their names in the reader's language, joined
``kinds``       a list of verification kinds -> what each did, joined
``parts:PREFIX`` a list of part names (or ``{"part": name, **params}``) -> the sentences ``PREFIX + name``
                made with the record's parameters (and the part's own), joined with ``; `` / ``；``
``sentences:PREFIX`` the same as ``parts``, each made a sentence of its own after the text (`` A. B.`` / ``A。B。``);
                nothing for an empty list
``each:KEY``    a list of ``{name: value}`` -> the sentence ``KEY`` made with each item's values, joined like ``parts``
``or:KEY``      a value, or the catalogue text ``KEY`` when it is missing (None or empty): ``{agent:or:word.unknown}``
``short:N``     a value cut to ``N`` characters (with ``…``), the whole of it staying in the record
``lang``        ``{"en": ..., "zh": ...}`` (a name a record keeps in both languages) -> the reader's
``codes``       a list of finding codes -> their titles in the reader's language (``refundguard.findings.CODES``)
``msg:PREFIX``  a word (or a list of words) -> the catalogue text ``PREFIX + word`` (``{check:msg:check.}``
                names a check in the reader's language), joined
=============== ==============================================================================

Any other spec is Python's own (``{score:.2f}``).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from refundguard.messages.catalogue import CATALOGUE, Entry


class MissingText(LookupError):
    """The key is not in the catalogue, or the record lacks a parameter its sentence needs."""


@dataclass(frozen=True, slots=True)
class Context:
    """Who reads: the language, the photos' names (by report index), the time zone and the currency symbol."""

    lang: str = "zh"
    names: Sequence[str] = ()
    tz: tzinfo | None = None
    symbol: str = "¥"

    def other(self) -> Context:
        """The same reader in the other language."""
        return Context("en" if self.lang == "zh" else "zh", self.names, self.tz, self.symbol)


def photo_name(names: Sequence[str], index: Any) -> str:
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(names):
        return names[index]
    return f"#{index + 1}" if isinstance(index, int) and not isinstance(index, bool) else str(index)


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def format_time(value: Any, tz: tzinfo | None, *, date_only: bool = False) -> str:
    """``2026-05-01 10:00 UTC+08:00`` in zone ``tz`` (a naive time is UTC, as the service stores it)."""
    when = parse_time(value)
    if when is None:
        return "—" if value in (None, "") else str(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(tz or UTC)
    if date_only:
        return local.strftime("%Y-%m-%d")
    offset = local.strftime("%z") or "+0000"
    return f"{local:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"


def format_clock(value: Any, ctx: Context, *, recorded: bool = False) -> str:
    """A time that may have no zone: with an offset, in the reader's zone (:func:`format_time`); without one, as
    written (to the minute), marked as having no zone. ``recorded``: a time read from a file, also given with the
    file's own offset where that differs from the reader's."""
    when = parse_time(value)
    if when is None:
        return format_time(value, ctx.tz)
    if when.tzinfo is None:
        return f"{when:%Y-%m-%d %H:%M}" + ("（未记录时区）" if ctx.lang == "zh" else " (no time zone)")
    shown, own = format_time(when, ctx.tz), format_time(when, when.tzinfo)
    if not recorded or shown[-9:] == own[-9:]:  # the same offset: one time says it
        return shown
    return f"{shown}（文件中记录为 {own}）" if ctx.lang == "zh" else f"{shown} (in the file: {own})"


def format_span(minutes: Any, lang: str) -> str:
    """``2 d 3 h 5 min`` / ``2 天 3 小时 5 分钟`` (the days left out when there are none)."""
    total = abs(int(minutes))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if lang == "zh":
        return (f"{days} 天 " if days else "") + f"{hours} 小时 {mins} 分钟"
    return (f"{days} d " if days else "") + f"{hours} h {mins} min"


class _Formatter(string.Formatter):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.params: Mapping[str, Any] = {}

    def vformat(self, format_string: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
        self.params = kwargs
        return super().vformat(format_string, args, kwargs)

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, int):
            return args[key]
        if key not in kwargs:
            raise MissingText(f"parameter {key!r} missing")
        return kwargs[key]

    def format_field(self, value: Any, format_spec: str) -> str:
        ctx = self.ctx
        zh = ctx.lang == "zh"
        if format_spec == "photo":
            return photo_name(ctx.names, value)
        if format_spec == "photos":
            return join([photo_name(ctx.names, v) for v in _seq(value)], ctx.lang)
        if format_spec in ("checks", "kinds"):
            prefix = "check." if format_spec == "checks" else "kind."
            return join([render(prefix + str(v), {}, ctx) if prefix + str(v) in CATALOGUE else str(v)
                         for v in _seq(value)], ctx.lang)
        if format_spec == "list":
            return join([str(v) for v in _seq(value)], ctx.lang)
        if format_spec in ("pct", "pct0"):
            return f"{float(value):.{0 if format_spec == 'pct0' else 1}%}"
        if format_spec == "totals":  # {currency: amount}
            return join([f"{cur} {float(v):,.2f}" for cur, v in sorted(dict(value).items())], ctx.lang)
        if format_spec == "money":
            return "—" if value is None else f"{ctx.symbol}{float(value):,.2f}"
        if format_spec in ("time", "date"):
            return format_time(value, ctx.tz, date_only=format_spec == "date")
        if format_spec in ("clock", "recorded"):
            return format_clock(value, ctx, recorded=format_spec == "recorded")
        if format_spec == "megapixels":
            return f"{float(value) / 1e4:.0f} 万像素" if zh else f"{float(value) / 1e6:.1f} MP"
        if format_spec == "span":
            return format_span(value, ctx.lang)
        if format_spec.startswith("plural:"):
            one, _, many = format_spec[len("plural:"):].partition("|")
            n = int(value)
            return f"{n} {one if n == 1 else (many or one)}"
        if format_spec.startswith(("parts:", "sentences:")):
            kind, _, prefix = format_spec.partition(":")
            rendered = []
            for part in _seq(value):
                name, extra = (part, {}) if isinstance(part, str) else (str(part.get("part")), part)
                rendered.append(render(prefix + name, {**self.params, **extra}, ctx))
            if kind == "sentences":
                return "".join(rendered) if zh else "".join(" " + r for r in rendered)
            return ("；" if zh else "; ").join(rendered)
        if format_spec == "lang":
            return str(value.get(ctx.lang) or value.get("en") or "") if isinstance(value, Mapping) else str(value)
        if format_spec == "codes":
            from refundguard.findings import CODES

            return join([CODES[str(c)][1 if zh else 0] if str(c) in CODES else str(c) for c in _seq(value)],
                        ctx.lang)
        if format_spec.startswith("or:"):
            return render(format_spec[len("or:"):], {}, ctx) if value in (None, "") else str(value)
        if format_spec.startswith("short:"):
            limit, text = int(format_spec[len("short:"):]), str(value)
            return text if len(text) <= limit else text[: limit - 1] + "…"
        if format_spec.startswith("each:"):
            key = format_spec[len("each:"):]
            return ("；" if zh else "; ").join(render(key, {**self.params, **dict(item)}, ctx) for item in _seq(value))
        if format_spec.startswith("msg:"):
            prefix = format_spec[len("msg:"):]
            words = [render(prefix + str(v), {}, ctx) if prefix + str(v) in CATALOGUE else str(v)
                     for v in _seq(value)]
            return join(words, ctx.lang)
        if value is None:
            return "—"
        return super().format_field(value, format_spec)


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def join(words: Sequence[str], lang: str) -> str:
    """``A、B、C`` in Chinese; ``A and B``, ``A, B and C`` in English."""
    words = list(words)
    if lang == "zh" or len(words) < 2:
        return "、".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def render(key: str, params: Mapping[str, Any] | None = None, ctx: Context | None = None) -> str:
    """The sentence ``key`` in ``ctx.lang``; raises :class:`MissingText` for an unknown key or parameter."""
    entry = CATALOGUE.get(key)
    if entry is None:
        raise MissingText(f"no message {key!r}")
    return render_entry(entry, params or {}, ctx or Context())


def render_entry(entry: Entry, params: Mapping[str, Any], ctx: Context) -> str:
    try:
        return _Formatter(ctx).vformat(entry.template(ctx.lang), (), dict(params))
    except MissingText:
        raise
    except (ValueError, TypeError, IndexError, KeyError) as exc:  # a parameter of the wrong kind
        raise MissingText(f"message {entry.key!r}: {exc}") from exc
