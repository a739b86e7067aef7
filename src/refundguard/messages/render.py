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
``plural:a|b``  a count -> ``1 a`` / ``3 b`` (English plural forms)
``checks``      a list of check names -> their names in the reader's language, joined
``kinds``       a list of verification kinds -> what each did, joined
``parts:PREFIX`` a list of part names (or ``{"part": name, **params}``) -> the sentences ``PREFIX + name``
                made with the record's parameters (and the part's own), joined with ``; `` / ``；``
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
        if format_spec.startswith("plural:"):
            one, _, many = format_spec[len("plural:"):].partition("|")
            n = int(value)
            return f"{n} {one if n == 1 else (many or one)}"
        if format_spec.startswith("parts:"):
            prefix = format_spec[len("parts:"):]
            rendered = []
            for part in _seq(value):
                name, extra = (part, {}) if isinstance(part, str) else (str(part.get("part")), part)
                rendered.append(render(prefix + name, {**self.params, **extra}, ctx))
            return ("；" if zh else "; ").join(rendered)
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
