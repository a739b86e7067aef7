"""Legal tiers: the thresholds of the laws a police report or an appeal cites, as data, never as advice.

The laws, their tiers (amounts from which a tier applies) and their citations are in ``data/legal_tiers.toml`` (or
the file ``$REFUNDGUARD_LEGAL_TIERS`` names); :func:`standings` says which tier an amount reaches and what the next
one is. The bundle and the case page show them as information for the reader, with the file's disclaimer.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from refundguard.errors import ConfigError

KINDS = ("criminal", "administrative", "civil")


@dataclass(frozen=True, slots=True)
class Tier:
    """One threshold of a law: it applies from ``min_amount`` upwards."""

    min_amount: float
    label_en: str
    label_zh: str


@dataclass(frozen=True, slots=True)
class Law:
    id: str
    kind: str  # criminal | administrative | civil
    citation_en: str
    citation_zh: str
    summary_en: str
    summary_zh: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True)
class LegalTiers:
    laws: tuple[Law, ...]
    currency: str
    symbol: str
    disclaimer_en: str
    disclaimer_zh: str
    counted_outcomes: frozenset[str]
    source: str


@dataclass(frozen=True, slots=True)
class Standing:
    """Where an amount stands against one law: the highest tier reached and the next one."""

    law: Law
    amount: float
    reached: Tier | None
    next: Tier | None

    @property
    def shortfall(self) -> float | None:
        """How much more would reach the next tier (``None`` above the last tier)."""
        return None if self.next is None else round(self.next.min_amount - self.amount, 2)


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"legal tiers: {where}: '{key}' must be a non-empty string")
    return value.strip()


def parse_legal_tiers(data: dict[str, Any], source: str = "<data>") -> LegalTiers:
    """Validate parsed TOML into :class:`LegalTiers`; raise :class:`ConfigError` with the faulty key."""
    laws: list[Law] = []
    raw_laws = data.get("law")
    if not isinstance(raw_laws, list) or not raw_laws:
        raise ConfigError(f"legal tiers {source}: at least one [[law]] table is required")
    seen: set[str] = set()
    for n, raw in enumerate(raw_laws):
        where = f"{source} law #{n + 1}"
        law_id = _text(raw, "id", where)
        if law_id in seen:
            raise ConfigError(f"legal tiers {source}: duplicate law id {law_id!r}")
        seen.add(law_id)
        kind = _text(raw, "kind", where)
        if kind not in KINDS:
            raise ConfigError(f"legal tiers {where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        tiers: list[Tier] = []
        for m, t in enumerate(raw.get("tier") or []):
            amount = t.get("min_amount")
            if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount) \
                    or amount < 0:
                raise ConfigError(f"legal tiers {where} tier #{m + 1}: min_amount must be a number ≥ 0")
            tiers.append(Tier(float(amount), _text(t, "label_en", where), _text(t, "label_zh", where)))
        if not tiers:
            raise ConfigError(f"legal tiers {where}: at least one [[law.tier]] is required")
        amounts = [t.min_amount for t in tiers]
        if amounts != sorted(amounts) or len(set(amounts)) != len(amounts):
            raise ConfigError(f"legal tiers {where}: tiers must be in strictly increasing min_amount order")
        laws.append(Law(law_id, kind, _text(raw, "citation_en", where), _text(raw, "citation_zh", where),
                        _text(raw, "summary_en", where), _text(raw, "summary_zh", where), tuple(tiers)))
    outcomes = (data.get("adjudication") or {}).get("counted_outcomes", ["rejected"])
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise ConfigError(f"legal tiers {source}: adjudication.counted_outcomes must be a list of strings")
    return LegalTiers(laws=tuple(laws), currency=str(data.get("currency", "CNY")), symbol=str(data.get("symbol", "¥")),
                      disclaimer_en=_text(data, "disclaimer_en", source),
                      disclaimer_zh=_text(data, "disclaimer_zh", source),
                      counted_outcomes=frozenset(outcomes), source=source)


def load_legal_tiers(path: str | os.PathLike[str] | None = None) -> LegalTiers:
    """The legal tiers from ``path``, ``$REFUNDGUARD_LEGAL_TIERS``, or the packaged defaults."""
    path = path or os.environ.get("REFUNDGUARD_LEGAL_TIERS")
    if path:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read legal tiers {path}: {exc.strerror or exc}") from exc
        source = os.fspath(path)
    else:
        text = resources.files("refundguard.data").joinpath("legal_tiers.toml").read_text("utf-8")
        source = "refundguard/data/legal_tiers.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"legal tiers {source} is not valid TOML: {exc}") from exc
    return parse_legal_tiers(data, source)


def standings(tiers: LegalTiers, amount: float) -> list[Standing]:
    """Each law's highest tier reached by ``amount`` and the next tier above it."""
    out: list[Standing] = []
    for law in tiers.laws:
        reached = None
        nxt = None
        for tier in law.tiers:
            if amount >= tier.min_amount:
                reached = tier
            elif nxt is None:
                nxt = tier
        out.append(Standing(law=law, amount=amount, reached=reached, next=nxt))
    return out
