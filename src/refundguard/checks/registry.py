"""The check registry and the context every check receives.

A check is a module in :mod:`refundguard.checks` that decorates one function with :func:`check`::

    @check("watermark")
    def run(ctx: CheckContext) -> list[Finding]:
        ...

Checks are pure functions of the context. They raise :class:`~refundguard.errors.NotApplicable` when
their inputs are outside their domain; any other exception is recorded as ``failed``. A check that
builds on another's findings names it in ``after=`` and reads them from ``ctx.prior``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from refundguard.config import Settings
from refundguard.findings import Finding, Heatmap, Message, Region
from refundguard.media.load import LoadedImage


@dataclass(frozen=True, slots=True)
class ClaimInfo:
    """Facts about the claim that come from the platform, not from the photos."""

    claim_id: str | None = None
    order_time: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    claimed_at: datetime | None = None
    buyer_id: str | None = None
    merchant_id: str | None = None
    account_id: str | None = None
    amount: float | None = None


class ReuseIndex(Protocol):
    """What a check may ask of the near-duplicate index (see :mod:`refundguard.index`)."""

    def query(self, image: LoadedImage, **kwargs: Any) -> list[Any]: ...


@dataclass
class CheckContext:
    """Inputs of one analysis: the claim's photos, the merchant's references and the claim facts.

    ``images`` holds claim photos first, then references; ``Finding.image`` indexes this list.
    """

    images: list[LoadedImage]
    roles: list[str]
    claim: ClaimInfo
    settings: Settings
    index: ReuseIndex | None = None
    prior: list[Finding] = field(default_factory=list)
    check_name: str = ""
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def claim_images(self) -> Iterator[tuple[int, LoadedImage]]:
        """``(index, image)`` for each claim photo."""
        return ((i, im) for i, im in enumerate(self.images) if self.roles[i] == "claim")

    @property
    def reference_images(self) -> Iterator[tuple[int, LoadedImage]]:
        """``(index, image)`` for each reference photo (listing, shipping, packing-video frame)."""
        return ((i, im) for i, im in enumerate(self.images) if self.roles[i] == "reference")

    def finding(self, code: str, *, image: int | None, score: float, en: str, zh: str,
                regions: Sequence[Region] = (), heatmap: Heatmap | None = None,
                details: dict[str, Any] | None = None) -> Finding:
        """Create a finding of this check, with its configured weight."""
        return Finding(code=code, check=self.check_name, image=image, score=float(min(max(score, 0.0), 1.0)),
                       message=Message(en=en, zh=zh), weight=self.settings.weight(code),
                       regions=tuple(regions), heatmap=heatmap, details=dict(details or {}))


CheckFunction = Callable[[CheckContext], list[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    run: CheckFunction
    after: tuple[str, ...]
    doc: str


_REGISTRY: dict[str, Check] = {}
#: check modules that failed to import: module name -> error. Reported as failed checks, never fatal.
IMPORT_ERRORS: dict[str, str] = {}


def check(name: str, *, after: Sequence[str] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``fn`` as the check ``name``; ``after`` names checks whose findings it reads."""

    def register(fn: CheckFunction) -> CheckFunction:
        if name in _REGISTRY and _REGISTRY[name].run is not fn:
            raise ValueError(f"check {name!r} registered twice")
        module = importlib.import_module(fn.__module__)
        _REGISTRY[name] = Check(name=name, run=fn, after=tuple(after), doc=(module.__doc__ or "").strip())
        return fn

    return register


def _discover() -> None:
    import refundguard.checks as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name == "registry" or info.name in IMPORT_ERRORS:
            continue
        try:
            importlib.import_module(f"refundguard.checks.{info.name}")
        except Exception as exc:  # a broken check module must not take the other checks down
            IMPORT_ERRORS[info.name] = f"{type(exc).__name__}: {exc}"


def registered() -> list[Check]:
    """All checks, ordered so that every check comes after the checks it reads."""
    _discover()
    ordered: list[Check] = []
    placed: set[str] = set()
    pending = dict(sorted(_REGISTRY.items()))
    while pending:
        ready = [c for c in pending.values() if all(a in placed or a not in _REGISTRY for a in c.after)]
        if not ready:
            raise ValueError(f"checks with circular dependencies: {sorted(pending)}")
        for c in ready:
            ordered.append(c)
            placed.add(c.name)
            del pending[c.name]
    return ordered
