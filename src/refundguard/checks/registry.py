"""The check registry and the context every check receives.

A check is a module in :mod:`refundguard.checks` that decorates one function with :func:`check`::

    @check("watermark")
    def run(ctx: CheckContext) -> list[Finding]:
        ...

Checks are pure functions of the context. They raise :class:`~refundguard.errors.NotApplicable` when
their inputs are outside their domain; any other exception is recorded as ``failed``. A check that
builds on another's findings names it in ``after=`` and reads them from ``ctx.prior``; whether those
checks actually ran is in ``ctx.upstream``.

Besides findings, a check tells the engine what it did, so that "found nothing" is never confused with
"did not look":

- ``ctx.skip(image, key=..., params=...)`` — this photo was not examined by the check, and why;
- ``ctx.verified(kind, images, key=..., params=...)`` — a verification that actually happened (kinds in
  :data:`COVERAGE_KINDS`: the claim photo compared with a matched reference, with a second view of the
  same item, its provenance metadata read, a live capture).

Sentences come from the message catalogue (:mod:`refundguard.messages`): a finding names its sentence with
``variant`` (key ``code:variant``, parameters in ``details``), a skip or verification with ``key`` and ``params``,
a not-applicable reason with :func:`refundguard.errors.not_applicable`. The report keeps the keys and parameters
and every surface makes the sentence in its reader's language. A check not converted yet passes ``en=``/``zh=``
instead; its sentences are shown as written.

A check with thresholds declares them as a Pydantic model (``config=``); the values come from the
``[checks.<name>]`` section of the settings and the check reads them from ``ctx.config``::

    class TamperConfig(BaseModel):
        model_config = ConfigDict(extra="forbid")
        min_side: int = 64

    @check("tamper", config=TamperConfig)
    def run(ctx: CheckContext) -> list[Finding]:
        if ctx.config.min_side ...
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from refundguard.config import Settings
from refundguard.errors import ConfigError
from refundguard.findings import Finding, Heatmap, Message, Region
from refundguard.media.derived import Pictures
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
    #: the live capture session whose shots are the analysis' ``live`` images (see :class:`LiveSession`)
    live: LiveSession | None = None


@dataclass(frozen=True, slots=True)
class LiveShot:
    """One live image: which shot of the capture page it is and when the server received it.

    ``kind``: ``whole`` (a: the whole item with the one-time code on paper beside it), ``close`` (b: the
    damage close up), ``turned`` (c: the damage turned 30–45°) or ``orbit`` (a frame of the video orbit).
    """

    kind: str
    received_at: datetime | None = None
    frame_time: float | None = None  # seconds into the orbit video


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A completed live capture: the one-time code the buyer was shown and each live image, in order."""

    session_id: str
    code: str
    shots: tuple[LiveShot, ...]
    #: which way the page asked the buyer to turn for shot (c): ``left`` or ``right``
    turn: str | None = None
    #: the claimed damage as marked by whoever asked for the capture: (claim photo position, x, y, w, h)
    marked: tuple[tuple[int, int, int, int, int], ...] = ()


#: what a verification can be: ``reference`` (compared with a matched merchant photo), ``second_view``
#: (compared with another photo of the same item), ``provenance`` (metadata read completely),
#: ``live_capture`` (taken live through the capture page).
COVERAGE_KINDS = ("reference", "second_view", "provenance", "live_capture")


@dataclass
class CheckStatus:
    """How one check went: ``ran`` (with ``ms``), ``not_applicable`` (``why``), ``failed`` (``error``) or
    ``not_requested``; ``photos`` holds, for a check that ran, each claim photo's own outcome
    (``{"image": i, "status": "ran"}`` or ``"skipped"`` with ``why``/``why_zh``)."""

    status: str
    ms: float | None = None
    why: str | None = None
    error: str | None = None
    photos: list[dict[str, Any]] | None = None
    #: the catalogue key and parameters of ``why`` (see :mod:`refundguard.messages`)
    key: str | None = None
    params: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A photo a check did not examine, and why (in both languages)."""

    check: str
    image: int
    en: str
    zh: str
    key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verification:
    """A verification that actually happened: ``kind`` (see :data:`COVERAGE_KINDS`) over ``images``."""

    kind: str
    check: str
    images: tuple[int, ...]
    en: str
    zh: str
    key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


class ReuseIndex(Protocol):
    """What a check may ask of the near-duplicate index (see :mod:`refundguard.index`)."""

    def query(self, image: LoadedImage, **kwargs: Any) -> list[Any]: ...


class LedgerHandle(Protocol):
    """What a check may ask of the cross-platform ledger (see :mod:`refundguard.ledger`): the buyer's standing
    adjudicated entries for the claim; raises ``NotApplicable`` when the ledger cannot answer for it."""

    def prior_abuse(self, info: ClaimInfo) -> Any: ...


class HeavyLock:
    """A lock that can say when it is next released: the scheduler waits on :meth:`next_release` (with the
    checks it runs) to start a heavy check as soon as a heavy part of a light check ends
    (:meth:`CheckContext.heavy_part`, :func:`refundguard.scheduling.run_checks`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guard = threading.Lock()
        self._waiting: list[Future[None]] = []

    def acquire(self, blocking: bool = True) -> bool:
        return self._lock.acquire(blocking)

    def release(self) -> None:
        with self._guard:
            self._lock.release()
            waiting, self._waiting = self._waiting, []
        for future in waiting:
            future.set_result(None)

    def locked(self) -> bool:
        return self._lock.locked()

    def next_release(self) -> Future[None]:
        """A future done when the lock is next released (done already when it is free now)."""
        future: Future[None] = Future()
        with self._guard:
            if self._lock.locked():
                self._waiting.append(future)
                return future
        future.set_result(None)
        return future

    def __enter__(self) -> HeavyLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


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
    ledger: LedgerHandle | None = None
    prior: list[Finding] = field(default_factory=list)
    check_name: str = ""
    cache: dict[str, Any] = field(default_factory=dict)
    #: status (``ran``, ``not_applicable``, ``failed``, ...) of each check this one runs after
    upstream: dict[str, str] = field(default_factory=dict)
    configs: dict[str, BaseModel] = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    #: pictures derived from the photos (grey levels, reduced decodes, ...), made once per analysis and shared
    pictures: Pictures = field(default_factory=Pictures)
    #: held while a heavy check of this analysis runs, or a check's heavy part (:meth:`heavy_part`); shared by
    #: every check's view of the analysis (:meth:`for_check`, :func:`refundguard.scheduling.run_checks`)
    heavy_lock: HeavyLock = field(default_factory=HeavyLock, repr=False, compare=False)

    def for_check(self, name: str, *, prior: Sequence[Finding] = (), upstream: dict[str, str] | None = None
                  ) -> CheckContext:
        """The view of this analysis that check ``name`` runs on: the same photos, settings, caches and
        pictures, with its own ``prior``/``upstream`` and its own lists of skips and verifications."""
        return dataclasses.replace(self, check_name=name, prior=list(prior), upstream=dict(upstream or {}),
                                   skips=[], verifications=[])

    @contextmanager
    def heavy_part(self) -> Iterator[None]:
        """The block runs while no heavy check of the analysis runs (and keeps them from starting): for the
        part of a light check whose working arrays are large (the reference check's SIFT features, its change
        search). A heavy check waiting for it starts as it ends."""
        with self.heavy_lock:
            yield

    @property
    def config(self) -> Any:
        """The typed ``[checks.<name>]`` settings of the running check (its ``config=`` model); a context built by
        hand (not by the engine) validates them from its own ``settings`` on first use."""
        if self.check_name not in self.configs:
            declared = _REGISTRY.get(self.check_name)
            if declared is None or declared.config is None:
                raise ConfigError(f"check {self.check_name!r} declares no config model")
            self.configs[self.check_name] = _validated(declared, self.settings.checks.get(self.check_name, {}))
        return self.configs[self.check_name]

    def _sentences(self, key: str | None, params: dict[str, Any] | None, en: str | None, zh: str | None
                   ) -> tuple[str, str]:
        if key is None:
            if en is None or zh is None:
                raise ValueError("give a catalogue key, or both en= and zh=")
            return en, zh
        from refundguard.messages import both

        made = both(key, params or {}, names=[im.name for im in self.images])
        return made["en"], made["zh"]

    def skip(self, image: int, *, en: str | None = None, zh: str | None = None, key: str | None = None,
             params: dict[str, Any] | None = None) -> None:
        """Record that the running check did not examine photo ``image``, and why (catalogue ``key``, or en/zh)."""
        en, zh = self._sentences(key, params, en, zh)
        self.skips.append(Skip(check=self.check_name, image=image, en=en, zh=zh, key=key, params=dict(params or {})))

    def verified(self, kind: str, images: Sequence[int], *, en: str | None = None, zh: str | None = None,
                 key: str | None = None, params: dict[str, Any] | None = None) -> None:
        """Record a verification the running check actually made (``kind`` in :data:`COVERAGE_KINDS`)."""
        if kind not in COVERAGE_KINDS:
            raise ValueError(f"unknown coverage kind {kind!r}")
        en, zh = self._sentences(key, params, en, zh)
        self.verifications.append(Verification(kind=kind, check=self.check_name, images=tuple(images), en=en, zh=zh,
                                               key=key, params=dict(params or {})))

    @property
    def claim_images(self) -> Iterator[tuple[int, LoadedImage]]:
        """``(index, image)`` for each claim photo."""
        return ((i, im) for i, im in enumerate(self.images) if self.roles[i] == "claim")

    @property
    def live_images(self) -> Iterator[tuple[int, LoadedImage]]:
        """``(index, image)`` for each live shot (taken through the capture page), in the session's order."""
        return ((i, im) for i, im in enumerate(self.images) if self.roles[i] == "live")

    @property
    def reference_images(self) -> Iterator[tuple[int, LoadedImage]]:
        """``(index, image)`` for each reference photo (listing, shipping, packing-video frame)."""
        return ((i, im) for i, im in enumerate(self.images) if self.roles[i] == "reference")

    def finding(self, code: str, *, image: int | None, score: float, variant: str | None = None,
                en: str | None = None, zh: str | None = None, regions: Sequence[Region] = (),
                heatmap: Heatmap | None = None, details: dict[str, Any] | None = None) -> Finding:
        """Create a finding of this check, with its configured weight.

        Its sentence is the catalogue's ``code:variant`` made from ``details`` (a check not converted yet gives
        ``en``/``zh`` instead)."""
        details = dict(details or {})
        if variant is not None:
            from refundguard.messages import both, finding_key

            made = both(finding_key(code, variant) or "", details, names=[im.name for im in self.images])
            en, zh = made["en"], made["zh"]
        elif en is None or zh is None:
            raise ValueError("give a variant (catalogue sentence), or both en= and zh=")
        return Finding(code=code, check=self.check_name, image=image, score=float(min(max(score, 0.0), 1.0)),
                       message=Message(en=en, zh=zh), weight=self.settings.weight(code),
                       regions=tuple(regions), heatmap=heatmap, details=details, variant=variant)


CheckFunction = Callable[[CheckContext], list[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    run: CheckFunction
    after: tuple[str, ...]
    doc: str
    config: type[BaseModel] | None = None
    #: the check reads live shots (``ctx.live_images``): it runs in the session pass, after every other check
    #: has examined the claim photos and each live shot (see :mod:`refundguard.passes`)
    live: bool = False
    #: the check's working arrays are large (hundreds of MiB at 12 MP): the scheduler never runs two heavy
    #: checks of one analysis at once, nor one beside a light check's heavy part (:meth:`CheckContext.heavy_part`;
    #: :func:`refundguard.scheduling.run_checks`); lighter ones run beside them
    heavy: bool = False


_REGISTRY: dict[str, Check] = {}
#: analyses in several threads (the service's jobs) may discover the checks at the same time
_DISCOVER_LOCK = threading.Lock()
#: check modules that failed to import: module name -> error. Reported as failed checks, never fatal.
IMPORT_ERRORS: dict[str, str] = {}


def check(name: str, *, after: Sequence[str] = (), config: type[BaseModel] | None = None, live: bool = False,
          heavy: bool = False) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``fn`` as the check ``name``; ``after`` names checks whose findings it reads; ``config`` is
    the Pydantic model of its ``[checks.<name>]`` settings; ``live`` marks a check that reads live shots;
    ``heavy`` one whose working arrays are large (never run beside another heavy check of the analysis)."""

    def register(fn: CheckFunction) -> CheckFunction:
        if name in _REGISTRY and _REGISTRY[name].run is not fn:
            raise ValueError(f"check {name!r} registered twice")
        module = importlib.import_module(fn.__module__)
        _REGISTRY[name] = Check(name=name, run=fn, after=tuple(after), doc=(module.__doc__ or "").strip(),
                                config=config, live=live, heavy=heavy)
        return fn

    return register


def check_configs(settings: Settings, checks: Sequence[Check]) -> dict[str, BaseModel]:
    """Validate the ``[checks.*]`` settings against each check's model; unknown sections or keys are errors."""
    known = {c.name: c for c in checks}
    unknown = sorted(set(settings.checks) - set(known) - set(IMPORT_ERRORS))
    if unknown:
        raise ConfigError(f"[checks] names no such check: {', '.join(unknown)} (checks: {', '.join(sorted(known))})")
    out: dict[str, BaseModel] = {}
    for c in checks:
        raw = settings.checks.get(c.name, {})
        if c.config is None:
            if raw:
                raise ConfigError(f"check {c.name!r} takes no [checks.{c.name}] settings")
            continue
        out[c.name] = _validated(c, raw)
    return out


def _validated(c: Check, raw: dict[str, Any]) -> BaseModel:
    """``raw`` validated by the check's model, or a :class:`ConfigError` naming the key."""
    if c.config is None:
        raise ConfigError(f"check {c.name!r} declares no config model")
    try:
        return c.config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"[checks.{c.name}] {where}: {first.get('msg', 'invalid')}") from None


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
    with _DISCOVER_LOCK:
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
