"""Which changed regions does the check report? The area detector's and the structure detector's, combined.

Two detectors look at the same aligned pair:

- the **area** detector (:mod:`area`) finds large changes with their whole outline (claimbench's cracks,
  tears, stains, pasted defects, AI inpainting) but misses thin and small ones;
- the **structure** detector (:mod:`changes`) finds thin scratches and small spots, judges each change
  against what the laundering does to that texture, and measures how visible it is; its regions carry a
  kind (:mod:`kinds`).

They are combined so that each keeps what it is good at (docs/reference_check.md, "Two detectors"):

1. **Area components** keep their outline and take a kind: *framing* when most of their pixels lie in the
   framing band along the reference's edge (a screenshot frame, a border; dropped); *overlay* when the
   kind classifier calls the component itself an overlay *and* the structure regions under it are mostly
   overlays (by pixels): two views agree, so a crack whose strokes look like letters to one of them stays
   damage (claimbench: six cracks and defects were called overlays by one view alone); *damage*
   otherwise. Their edit probability is the area detector's own: a logistic of the share of the footprint
   their damage-like components cover (one smallest component is not enough).
2. When the area path found damage (edit probability >= 0.5), its components are the report and their
   outlines the localisation. Otherwise the **structure regions** are a second path: a damage-like one is
   reported when it is both significant and visible by a margin (``confidence`` >= ``structure_min``),
   so a copy the area detector calls unchanged becomes an edit only on strong, visible evidence; overlays
   are reported as overlays. Their edit probability is that confidence.
3. The photo's edit probability is that of the path that reported damage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from refundguard.checks._align.area import AreaChanges
from refundguard.checks._align.changes import Changes
from refundguard.checks._align.kinds import RegionKind
from refundguard.checks._align.settings import MergeSettings

#: heatmap values: sub-threshold differences below 0.5, overlays in [0.5, 0.7], damage-like changes >= 0.75
HEAT_OVERLAY = (0.5, 0.7)
HEAT_DAMAGE = (0.75, 1.0)


@dataclass(frozen=True)
class Change:
    """One reported changed region (working pixels of the compared frame).

    Attributes
    ----------
    box : (x, y, w, h).
    family, kind, features : what kind of change it is (:class:`kinds.RegionKind`).
    detector : "area" or "structure": the detector whose outline is reported.
    confidence : 0.5 at the reporting threshold of its detector, up to 1.0.
    measures : the structure detector's measurements of the change where it saw it (visibility,
        significance, contrast, channel), else empty.
    """

    box: tuple[int, int, int, int]
    family: str
    kind: str
    features: dict[str, Any]
    detector: str
    confidence: float
    measures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Merged:
    """The reported regions of a pair: ``changes`` (most confident damage first, then overlays), ``labels``
    ((h, w) int32, index into ``changes`` plus one), ``heat`` (see :data:`HEAT_DAMAGE`), the edit and
    overlay probabilities and the changed share of the footprint."""

    changes: list[Change]
    labels: np.ndarray
    heat: np.ndarray
    p_edit: float
    p_overlay: float
    share: float


def _logistic(x: float, center: float, width: float) -> float:
    return float(1.0 / (1.0 + np.exp(-(x - center) / width)))


def structure_confidence(significance: float, visibility: float, seed_z: float, min_visibility: float,
                         peak_visible_z: float = 0.0, peak_z: float = float("inf")) -> float:
    """0.5 at the structure detector's thresholds, 1.0 at twice them: the weaker of significance and visibility,
    or the strongest visible pixel over ``peak_z`` (a spot too small to sum evidence over), whichever is higher."""
    margin = max(min(significance / seed_z, visibility / min_visibility), peak_visible_z / peak_z)
    return float(np.clip(0.5 + 0.5 * (margin - 1.0), 0.5, 1.0))


def _measures(changes: Changes, i: int) -> dict[str, Any]:
    r = changes.regions[i]
    return {"visibility": round(r.visibility, 2), "significance": round(r.significance, 1),
            "contrast": round(r.contrast, 4), "channel": r.channel}


def area_kinds(area: AreaChanges, changes: Changes, kinds: list[RegionKind], own: list[RegionKind],
               s: MergeSettings) -> list[RegionKind | None]:
    """The kind of each area component (None: framing), from the structure regions under it and its own
    classification ``own`` (:func:`kinds.classify` run on the component)."""
    out: list[RegionKind | None] = []
    for i, (x, y, w, h) in enumerate(area.boxes):
        comp = area.labels[y:y + h, x:x + w] == i + 1
        if float(changes.framing[y:y + h, x:x + w][comp].mean()) >= s.framing_share:
            out.append(None)
            continue
        under = changes.labels[y:y + h, x:x + w][comp]
        counts = np.bincount(under[under > 0], minlength=int(changes.labels.max()) + 1)
        pixels = {"damage": 0, "overlay": 0}
        damage_kinds: dict[str, int] = {}
        for r, k in zip(changes.regions, kinds, strict=True):
            pixels[k.family] += int(counts[r.label])
            if k.family == "damage" and counts[r.label]:
                damage_kinds[k.kind] = damage_kinds.get(k.kind, 0) + int(counts[r.label])
        if float((under > 0).mean()) < s.structure_support:  # laundering the structure detector explained
            out.append(None)
            continue
        trusted = own[i].kind == "ui_bar" or bool(own[i].features.get("vivid"))  # a bar along the edge, printed colour
        if own[i].family == "overlay" and (pixels["overlay"] > pixels["damage"] or trusted):
            out.append(RegionKind("overlay", own[i].kind, {**own[i].features, "overlay_pixels_under": pixels["overlay"],
                                                           "damage_pixels_under": pixels["damage"]}))
        else:
            seen = max(damage_kinds, key=lambda kind: damage_kinds[kind]) if damage_kinds else "altered"
            out.append(RegionKind("damage", own[i].kind if own[i].family == "damage" else seen,
                                  {**own[i].features, "overlay_pixels_under": pixels["overlay"],
                                   "damage_pixels_under": pixels["damage"]}))
    return out


def _pieces_of_overlays(reported: list[tuple[Change, np.ndarray]], reach: float, text_reach: float
                        ) -> list[tuple[Change, np.ndarray]]:
    """A damage-like change that is a piece of an overlay takes the overlay's kind: its box lies within the
    overlay's box grown by ``reach`` of its size on each side (at least 4 px; beside text, ``text_reach`` line
    heights along the line), and it is smaller than the overlay. Both detectors cut an overlay in pieces (the
    words of a watermark, a bar and the icons on it, a sticker's outline), and one piece looking like a stroke
    must not turn a decorated copy into an edit."""
    overlays = [c for c, _ in reported if c.family == "overlay"]
    out = []
    for c, sel in reported:
        if c.family == "damage":
            x, y, w, h = c.box
            for o in overlays:
                ox, oy, ow, oh = o.box
                gx, gy = max(4.0, reach * ow), max(4.0, reach * oh)
                if o.kind in ("text", "watermark"):  # the next words of the same line
                    gx = max(gx, text_reach * oh)
                if ox - gx <= x and x + w <= ox + ow + gx and oy - gy <= y and y + h <= oy + oh + gy \
                        and w * h < ow * oh:
                    c = Change(box=c.box, family="overlay", kind=o.kind,
                               features={**c.features, "part_of_overlay": o.kind}, detector=c.detector,
                               confidence=min(c.confidence, o.confidence), measures=c.measures)
                    break
        out.append((c, sel))
    return out


def merge(area: AreaChanges, a_kinds: list[RegionKind | None], changes: Changes, kinds: list[RegionKind],
          valid: np.ndarray, s: MergeSettings, seed_z: float, min_visibility: float,
          peak_z: float = float("inf")) -> Merged:
    """Combine both detectors' regions (see module docstring)."""
    footprint = max(1, int(valid.sum()))
    damage_area = [i for i, k in enumerate(a_kinds) if k is not None and k.family == "damage"]
    share = sum(area.areas[i] for i in damage_area) / footprint
    p_area = _logistic(share, s.edit_center, s.edit_width) if damage_area else 0.0
    reported: list[tuple[Change, np.ndarray]] = []  # (change, mask in the frame)
    taken = np.zeros(valid.shape, bool)
    for i, k in enumerate(a_kinds):
        if k is None:
            continue
        if k.family == "damage" and p_area < 0.5:
            continue  # too small for the area path; the structure path may still report it
        sel = area.labels == i + 1
        under = np.unique(changes.labels[sel])
        seen = [j for j, r in enumerate(changes.regions) if r.label in under]
        best = max(seen, key=lambda j: changes.regions[j].visibility) if seen else None
        conf = p_area if k.family == "damage" else 0.5 + 0.5 * min(1.0, float(area.strength[sel].max()) - 1.0)
        reported.append((Change(box=area.boxes[i], family=k.family, kind=k.kind, features=k.features,
                                detector="area", confidence=float(np.clip(conf, 0.5, 1.0)),
                                measures=_measures(changes, best) if best is not None else {}), sel))
        taken |= sel
    for j, (r, k) in enumerate(zip(changes.regions, kinds, strict=True)):
        if p_area >= 0.5:
            break  # the area path found the change: its outlines are the localisation
        sel = changes.labels == r.label
        if (sel & taken).any():
            continue
        conf = structure_confidence(r.significance, r.visibility, seed_z, min_visibility, r.peak_visible_z, peak_z)
        if k.family == "damage" and conf < s.structure_min:
            continue
        reported.append((Change(box=r.box, family=k.family, kind=k.kind, features=k.features, detector="structure",
                                confidence=conf, measures=_measures(changes, j)), sel))
    reported = _pieces_of_overlays(reported, s.overlay_reach, s.text_reach)
    # a structure region that turned out to be a piece of an overlay is no evidence of an edit
    p_structure = max((c.confidence for c, _ in reported if c.family == "damage" and c.detector == "structure"),
                      default=0.0)
    reported.sort(key=lambda cm: (cm[0].family != "damage", -cm[0].confidence))
    labels = np.zeros(valid.shape, np.int32)
    heat = np.minimum(np.maximum(np.clip(area.strength, 0.0, 1.0) * 0.49, np.minimum(changes.heat, 0.49)), 0.49)
    for n, (c, sel) in enumerate(reported, start=1):
        labels[sel] = n
        lo, hi = HEAT_DAMAGE if c.family == "damage" else HEAT_OVERLAY
        heat[sel] = lo + (hi - lo) * (c.confidence - 0.5) / 0.5
    overlays = [c.confidence for c, _ in reported if c.family == "overlay"]
    p_edit = max(p_area if any(c.family == "damage" and c.detector == "area" for c, _ in reported) else 0.0,
                 p_structure)
    return Merged(changes=[c for c, _ in reported], labels=labels, heat=(heat * valid).astype(np.float32),
                  p_edit=p_edit, p_overlay=max(overlays, default=0.0), share=float((labels > 0).sum()) / footprint)
