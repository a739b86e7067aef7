"""Analysis passes and their cache: the work of an analysis that does not have to be done twice.

An analysis with live shots (photos the buyer took through the capture page) runs in passes:

- the **claim pass**: every check on the claim photos and references (what an analysis without live shots
  runs);
- one **shot pass** per live shot: every check on that shot alone, with the references, as if it were the
  only claim photo (its findings and outcomes keep the shot's index in the whole analysis);
- the **session pass**: the checks that read live shots (``@check(..., live=True)``) on everything.

The claim pass and the shot passes depend only on their images, the check settings and the version, so they
can be cached under a key built from those (:func:`pass_key`): the capture service analyses each shot when it
arrives and, when the last one comes, only the session pass and that last shot are left to do. A cache hit is
re-weighted with the current weights (weights only affect the verdict, never what a check found).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from refundguard import __version__
from refundguard.checks.registry import CheckStatus, Skip, Verification
from refundguard.config import Settings
from refundguard.findings import Finding, Heatmap, Message, Region
from refundguard.media.load import LoadedImage

#: checks whose answer depends on state outside the images — the reuse index (photos of other claims), the
#: ledger (adjudicated abuse): never cached, they run again in every analysis
EXTERNAL_STATE = frozenset({"reuse", "ledger"})


@dataclass
class PassResult:
    """What one pass produced: findings, each check's status, the photos skipped and the verifications made."""

    findings: list[Finding] = field(default_factory=list)
    statuses: dict[str, CheckStatus] = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (heatmaps as PNG data URLs)."""
        from refundguard.report.json import jsonable

        return {
            "findings": [{"code": f.code, "check": f.check, "image": f.image, "score": f.score,
                          "message": f.message.to_dict(), "regions": [r.to_dict() for r in f.regions],
                          "heatmap": f.heatmap.to_data_url() if f.heatmap is not None else None,
                          "details": jsonable(f.details)} for f in self.findings],
            "statuses": {name: {k: v for k, v in vars(s).items() if v is not None}
                         for name, s in self.statuses.items()},
            "skips": [{"check": s.check, "image": s.image, "en": s.en, "zh": s.zh} for s in self.skips],
            "verifications": [{"kind": v.kind, "check": v.check, "images": list(v.images), "en": v.en, "zh": v.zh}
                              for v in self.verifications],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], settings: Settings) -> PassResult:
        """Read back :meth:`to_dict`; each finding takes its weight from ``settings``."""
        findings = [Finding(code=f["code"], check=f["check"], image=f["image"], score=float(f["score"]),
                            message=Message(**f["message"]), weight=settings.weight(f["code"]),
                            regions=tuple(Region(**r) for r in f["regions"]),
                            heatmap=Heatmap.from_data_url(f["heatmap"]) if f.get("heatmap") else None,
                            details=dict(f["details"])) for f in data["findings"]]
        return cls(findings=findings,
                   statuses={name: CheckStatus(**s) for name, s in data["statuses"].items()},
                   skips=[Skip(**s) for s in data["skips"]],
                   verifications=[Verification(kind=v["kind"], check=v["check"], images=tuple(v["images"]),
                                               en=v["en"], zh=v["zh"]) for v in data["verifications"]])

    def reweighted(self, settings: Settings) -> PassResult:
        """The same pass with every finding's weight taken from ``settings``."""
        from dataclasses import replace

        return PassResult([replace(f, weight=settings.weight(f.code)) for f in self.findings], dict(self.statuses),
                          list(self.skips), list(self.verifications))


class PassCache(Protocol):
    """Where finished passes are kept (see :class:`MemoryPassCache`; the service keeps them in its database)."""

    def get(self, key: str, settings: Settings) -> PassResult | None: ...

    def put(self, key: str, result: PassResult) -> None: ...


class MemoryPassCache:
    """A bounded in-process cache (least recently used passes are dropped first); thread-safe."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, PassResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, settings: Settings) -> PassResult | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
        return found.reweighted(settings)

    def put(self, key: str, result: PassResult) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def pass_key(kind: str, images: Sequence[LoadedImage], roles: Sequence[str], *, settings: Settings,
             configs: dict[str, Any], checks: Sequence[str], only: Sequence[str] | None, claim: object) -> str:
    """The cache key of a pass: a SHA-256 over everything its result depends on.

    ``kind`` names the pass (``claim`` or ``shot:<index>``); ``images``/``roles`` are the images the pass
    sees with the roles it gives them; ``configs`` the validated ``[checks.*]`` settings; ``claim`` the claim
    facts (the capture check compares photo times with the delivery time). The checks of
    :data:`EXTERNAL_STATE` are never part of a cached pass.
    """
    body = {
        "kind": kind, "version": __version__,
        # the decoded size too: a photo over its share of the claim's pixel budget is analysed reduced
        "images": [[role, im.sha256, im.width, im.height] for im, role in zip(images, roles, strict=True)],
        "configs": {name: model.model_dump(mode="json") for name, model in sorted(configs.items())},
        "checks": sorted(checks), "only": sorted(only) if only is not None else None,
        "limits": settings.limits.model_dump(mode="json"),
        "trust_anchors": _file_digest(settings.trust_anchors),
        "claim": repr(claim),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _file_digest(path: object) -> str | None:
    if path is None:
        return None
    try:
        with open(str(path), "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return f"unreadable:{path}"
