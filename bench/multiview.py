"""multiview benchmark: independently edited views vs consistent views of one real object.

Each pair is two views of one real photo under two known perspective warps (a little scale and
rotation, different JPEG quality and brightness). *Consistent* pairs carry one painted crack placed
on the object and carried into both views by the true homographies (like a real crack seen from two
angles); *inconsistent* pairs carry a crack painted independently in each view (the forger's case).
The check must flag the second kind and stay quiet on the first. The same generator paints dents
(smooth shading, ``kind="dent"``), relights the second view (``relight``) and adds specular
highlights that move with the viewpoint (``highlight``) for the shading sets of ``painted_dents``.

``ai_inpainted_views`` does the same with real AI inpainting (SAGI, MagicInpainter pairs from
../shared/corpus): one view of the edited picture and one of the original must be flagged; two views
of the same picture must not.

The scene builder (:func:`make_pair`) is also used by the tests.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image as PILImage

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass(frozen=True)
class ViewPair:
    """Two encoded views and what is true about them."""

    view_a: bytes
    view_b: bytes
    consistent: bool
    h_a: np.ndarray  # object (base image) -> view A
    h_b: np.ndarray  # object (base image) -> view B (before B is shrunk by ``shrink``)
    shrink: float
    crack_a: tuple[int, int, int, int]  # bounding box of the damage in view A (x, y, w, h)
    crack_b: tuple[int, int, int, int]


def base_images() -> list[tuple[str, np.ndarray]]:
    """Real photos to build views from: scikit-image's samples and the corpus camera photos when present."""
    from skimage import data

    images = [(name, getattr(data, name)()) for name in ("coffee", "astronaut", "chelsea", "rocket")]
    for name in ("IMG_0003.jpg", "P1000827.jpg"):
        path = CORPUS / "natural" / name
        if path.exists():
            with PILImage.open(path) as im:
                images.append((name, np.asarray(im.convert("RGB"))))
    return images


def random_view(shape: tuple[int, int], rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """A random perspective warp of an image of ``shape`` (h, w): corner jitter, scale and rotation."""
    h, w = shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.07, 0.07, size=(4, 2)) * np.float32([w, h]) * strength
    angle = np.deg2rad(rng.uniform(-10, 10) * strength)
    scale = rng.uniform(0.85, 1.1)
    centre = np.float32([w / 2, h / 2])
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * scale
    dst = (src + jitter - centre) @ rot.T + centre
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def crack_points(rng: np.random.Generator, centre: tuple[float, float], size: float) -> list[np.ndarray]:
    """Polylines of a random branching crack around ``centre`` spanning about ``size`` pixels."""
    lines: list[np.ndarray] = []
    angle = rng.uniform(0, 2 * np.pi)
    pts = [np.array(centre, dtype=np.float64)]
    steps = int(rng.integers(9, 15))
    for _ in range(steps):
        angle += rng.normal(0, 0.5)
        pts.append(pts[-1] + size / steps * np.array([np.cos(angle), np.sin(angle)]))
    lines.append(np.array(pts))
    for _ in range(int(rng.integers(1, 3))):
        start = lines[0][int(rng.integers(2, len(lines[0]) - 1))]
        branch_angle = angle + rng.choice([-1, 1]) * rng.uniform(0.6, 1.3)
        branch = [start]
        for _ in range(int(rng.integers(3, 7))):
            branch_angle += rng.normal(0, 0.4)
            branch.append(branch[-1] + size / steps * np.array([np.cos(branch_angle), np.sin(branch_angle)]))
        lines.append(np.array(branch))
    return lines


def paint_crack(image: np.ndarray, lines: list[np.ndarray], thickness: int, shade: int) -> np.ndarray:
    """Draw a dark anti-aliased crack (polylines, in image coordinates) with a faint halo."""
    out = image.copy()
    mask = np.zeros(image.shape[:2], np.uint8)
    for line in lines:
        cv2.polylines(mask, [np.round(line * 4).astype(np.int32)], False, 255, thickness, cv2.LINE_AA, shift=2)
    halo = cv2.GaussianBlur(mask, (0, 0), 2.0).astype(np.float32) / 255.0 * 0.25
    alpha = np.maximum(mask.astype(np.float32) / 255.0, halo)[..., None]
    return (out.astype(np.float32) * (1 - alpha) + shade * alpha).clip(0, 255).astype(np.uint8)


def _warp_lines(lines: list[np.ndarray], h: np.ndarray) -> list[np.ndarray]:
    return [cv2.perspectiveTransform(line.reshape(-1, 1, 2).astype(np.float64), h).reshape(-1, 2) for line in lines]


def _bbox(lines: list[np.ndarray], pad: int = 3) -> tuple[int, int, int, int]:
    pts = np.concatenate(lines)
    x0, y0 = np.floor(pts.min(axis=0)) - pad
    x1, y1 = np.ceil(pts.max(axis=0)) + pad
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _encode(pixels: np.ndarray, quality: int, gain: float, offset: float) -> bytes:
    adjusted = (pixels.astype(np.float32) * gain + offset).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    PILImage.fromarray(adjusted).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def dent_factor(shape: tuple[int, int], centre: tuple[float, float], sigmas: tuple[float, float], tilt: float,
                light: float, depth: float) -> np.ndarray:
    """Brightness factor of a dent (a smooth Gaussian depression) lit from direction ``light`` (radians).

    The shading is the slope of the depression along the light direction (a light lobe on the side
    facing the lamp, a dark one opposite), normalised to ``depth`` (fraction of the brightness), plus a
    faint darkening of the hollow. ``tilt`` turns the elliptical dent. Returns a (h, w) float32 factor
    that is 1 away from the dent.
    """
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - centre[0], yy - centre[1]
    u = np.cos(tilt) * dx + np.sin(tilt) * dy
    v = -np.sin(tilt) * dx + np.cos(tilt) * dy
    bump = np.exp(-((u / sigmas[0]) ** 2 + (v / sigmas[1]) ** 2) / 2.0)
    gy, gx = np.gradient(bump)
    shade = np.cos(light) * gx + np.sin(light) * gy
    shade = shade / (np.abs(shade).max() + 1e-9) * depth
    return np.clip(1.0 + shade - 0.2 * depth * bump, 0.2, 1.8).astype(np.float32)


def _apply_factor(view: np.ndarray, factor: np.ndarray) -> np.ndarray:
    return (view.astype(np.float32) * factor[..., None]).clip(0, 255).astype(np.uint8)


def _factor_bbox(factor: np.ndarray, level: float = 0.03) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(np.abs(factor - 1.0) > level)
    if len(xs) == 0:
        return 0, 0, 0, 0
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def add_highlight(view: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A specular highlight: a bright, nearly saturated soft ellipse (it moves with the viewpoint)."""
    h, w = view.shape[:2]
    side = min(h, w)
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    sx, sy = side * rng.uniform(0.02, 0.05), side * rng.uniform(0.02, 0.05)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    blob = np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2) / 2.0) * rng.uniform(0.6, 0.9)
    out = view.astype(np.float32)
    return (out + (255.0 - out) * blob[..., None]).clip(0, 255).astype(np.uint8)


def light_ramp(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A smooth brightness gain across the picture (a lamp moved to one side): 1 ± 10–25 %."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * (xx / w - 0.5) + np.sin(angle) * (yy / h - 0.5)) * 2.0
    return (1.0 + rng.uniform(0.1, 0.25) * t).astype(np.float32)


def _dent_views(base: np.ndarray, h_a: np.ndarray, h_b: np.ndarray, seed: int, consistent: bool, relight: bool
                ) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Views A and B of ``base`` with a dent painted on the object (consistent) or separately per view."""
    rng = np.random.default_rng(seed + 7919)
    h, w = base.shape[:2]
    side = min(h, w)

    def dent(light: float | None = None) -> dict[str, object]:
        return {"centre": (float(rng.uniform(0.3, 0.7) * w), float(rng.uniform(0.3, 0.7) * h)),
                "sigmas": (float(side * rng.uniform(0.04, 0.1)), float(side * rng.uniform(0.04, 0.1))),
                "tilt": float(rng.uniform(0, np.pi)),
                "light": float(rng.uniform(0, 2 * np.pi)) if light is None else light,
                "depth": float(rng.uniform(0.35, 0.55))}

    first = dent()
    if consistent:
        second = dict(first)
        if relight:
            second["light"] = float(first["light"]) + float(rng.choice([-1, 1]) * rng.uniform(np.pi / 3, np.pi))
    else:
        second = dent()
    factors = []
    for params, hom in ((first, h_a), (second, h_b)):
        obj = dent_factor((h, w), **params)  # type: ignore[arg-type]
        factors.append(cv2.warpPerspective(obj, hom, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=1.0))
    view_a = _apply_factor(cv2.warpPerspective(base, h_a, (w, h), borderMode=cv2.BORDER_REFLECT), factors[0])
    view_b = cv2.warpPerspective(base, h_b, (w, h), borderMode=cv2.BORDER_REFLECT)
    boxes = _factor_bbox(factors[0]), _factor_bbox(factors[1])
    if relight:
        factors[1] = factors[1] * light_ramp((h, w), rng)
    return view_a, _apply_factor(view_b, factors[1]), boxes[0], boxes[1]


def make_pair(base: np.ndarray, seed: int, *, consistent: bool, damaged: bool = True,
              strength: float = 1.0, kind: str = "crack", relight: bool = False, highlight: bool = False
              ) -> ViewPair:
    """Two views of ``base`` under random known homographies, with consistent or independent damage.

    ``damaged=False`` gives two clean views (the damage boxes are then empty). ``kind`` is "crack" (a
    painted branching crack) or "dent" (smooth shading, :func:`dent_factor`). ``relight`` lights the
    second view differently: a dent lit from another direction and a smooth brightness ramp across the
    picture (a real dent photographed under a moved lamp). ``highlight`` adds a specular highlight at a
    different place of the object in each view (highlights move with the viewpoint).
    """
    if kind not in ("crack", "dent"):
        raise ValueError(f"unknown damage kind {kind!r}")
    rng = np.random.default_rng(seed)
    h, w = base.shape[:2]
    h_a, h_b = random_view((h, w), rng, strength), random_view((h, w), rng, strength)
    size = float(rng.uniform(0.12, 0.22) * min(h, w))
    thickness = int(rng.integers(2, 4))
    shade = int(rng.integers(10, 60))

    def centre() -> tuple[float, float]:
        return float(rng.uniform(0.35, 0.65) * w), float(rng.uniform(0.35, 0.65) * h)

    obj_lines = crack_points(rng, centre(), size)
    other_lines = crack_points(rng, centre(), size)
    view_a = cv2.warpPerspective(base, h_a, (w, h), borderMode=cv2.BORDER_REFLECT)
    view_b = cv2.warpPerspective(base, h_b, (w, h), borderMode=cv2.BORDER_REFLECT)
    lines_a = _warp_lines(obj_lines, h_a)
    lines_b = _warp_lines(obj_lines if consistent else other_lines, h_b)
    box_a, box_b = (_bbox(lines_a), _bbox(lines_b)) if damaged else ((0, 0, 0, 0), (0, 0, 0, 0))
    if damaged and kind == "crack":
        view_a = paint_crack(view_a, lines_a, thickness, shade)
        view_b = paint_crack(view_b, lines_b, thickness, shade)
    elif damaged:
        view_a, view_b, box_a, box_b = _dent_views(base, h_a, h_b, seed, consistent, relight)
    if relight and not (damaged and kind == "dent"):
        view_b = _apply_factor(view_b, light_ramp((h, w), np.random.default_rng(seed + 104729)))
    if highlight:
        extra = np.random.default_rng(seed + 15485863)
        view_a, view_b = add_highlight(view_a, extra), add_highlight(view_b, extra)
    enc_a = _encode(view_a, int(rng.integers(80, 96)), float(rng.uniform(0.85, 1.15)), float(rng.uniform(-12, 12)))
    shrink = float(rng.uniform(0.6, 1.0))  # view B taken from further away / saved smaller
    view_b = cv2.resize(view_b, (round(w * shrink), round(h * shrink)), interpolation=cv2.INTER_AREA)
    if damaged and kind == "crack":
        box_b = _bbox([line * shrink for line in lines_b])
    else:
        box_b = tuple(round(v * shrink) for v in box_b)  # type: ignore[assignment]
    enc_b = _encode(view_b, int(rng.integers(70, 92)), float(rng.uniform(0.85, 1.15)), float(rng.uniform(-12, 12)))
    return ViewPair(enc_a, enc_b, consistent, h_a, h_b, shrink, box_a, box_b)


def make_pair_with(base: np.ndarray, seed: int, damage: Callable[[np.ndarray, np.random.Generator],
                   tuple[np.ndarray, np.ndarray]], *, consistent: bool) -> tuple[bytes, bytes]:
    """Two views of ``base`` with damage from a claimbench painter: painted once on the object and carried
    into both views by the true homographies (consistent), or painted separately in each view."""
    rng = np.random.default_rng(seed)
    h, w = base.shape[:2]
    h_a, h_b = random_view((h, w), rng), random_view((h, w), rng)
    if consistent:
        painted, _ = damage(base, rng)
        view_a = cv2.warpPerspective(painted, h_a, (w, h), borderMode=cv2.BORDER_REFLECT)
        view_b = cv2.warpPerspective(painted, h_b, (w, h), borderMode=cv2.BORDER_REFLECT)
    else:
        view_a, _ = damage(cv2.warpPerspective(base, h_a, (w, h), borderMode=cv2.BORDER_REFLECT), rng)
        view_b, _ = damage(cv2.warpPerspective(base, h_b, (w, h), borderMode=cv2.BORDER_REFLECT), rng)
    return (_encode(view_a, int(rng.integers(80, 96)), float(rng.uniform(0.85, 1.15)), float(rng.uniform(-12, 12))),
            _encode(view_b, int(rng.integers(70, 92)), float(rng.uniform(0.85, 1.15)), float(rng.uniform(-12, 12))))


def _claimbench_kinds(bases: list[tuple[str, np.ndarray]], per_kind: int) -> dict[str, object]:
    """Detection / false positives per claimbench damage kind (cracks, stains, tears, dents)."""
    try:
        from bench.claimbench import damage as painters
    except ImportError:
        return {"skipped": "bench/claimbench/damage.py not available"}
    out: dict[str, object] = {}
    for kind in ("add_crack", "add_stain", "add_tear", "add_dent"):
        paint = getattr(painters, kind, None)
        if paint is None:
            continue
        hits = false = 0
        for k in range(per_kind):
            _, base = bases[k % len(bases)]
            a, b = make_pair_with(base, 5000 + k, paint, consistent=False)
            hits += int(_flagged(a, b)[0])
            a, b = make_pair_with(base, 5000 + k, paint, consistent=True)
            false += int(_flagged(a, b)[0])
        out[kind.removeprefix("add_")] = {"pairs": per_kind, "detection_rate": round(hits / per_kind, 3),
                                          "false_positive_rate": round(false / per_kind, 3)}
    return out


def _dent_sets(bases: list[tuple[str, np.ndarray]], pairs: int) -> dict[str, object]:
    """Flag rates on painted dents (:func:`dent_factor`) and on the hard genuine sets.

    ``independent``: a dent painted separately in each view (should be flagged); ``consistent``: one
    dent carried into both views; ``relit``: one dent, the second view lit from another direction plus
    a smooth brightness ramp (a real dent under a moved lamp); ``moved_highlight``: clean views with a
    specular highlight at a different place of the object in each (the last three must stay quiet).
    """
    sets = {"independent": {"consistent": False, "kind": "dent"},
            "consistent": {"consistent": True, "kind": "dent"},
            "relit": {"consistent": True, "kind": "dent", "relight": True},
            "moved_highlight": {"consistent": True, "damaged": False, "highlight": True}}
    out: dict[str, object] = {}
    for name, options in sets.items():
        flagged = 0
        for k in range(pairs):
            _, base = bases[k % len(bases)]
            pair = make_pair(base, 3000 + k, **options)  # type: ignore[arg-type]
            flagged += int(_flagged(pair.view_a, pair.view_b)[0])
        out[name] = {"pairs": pairs, "flag_rate": round(flagged / pairs, 3)}
    return out


def ai_view_pair(original: np.ndarray, edited: np.ndarray, seed: int, first: str, second: str
                 ) -> tuple[bytes, bytes, np.ndarray, np.ndarray]:
    """Two views of a real AI-inpainting pair: ``first``/``second`` name which picture ("original" or
    "edited") each view shows. Returns the encoded views and the edit mask (|edited - original|) in each
    view's frame."""
    rng = np.random.default_rng(seed)
    h, w = original.shape[:2]
    if edited.shape != original.shape:
        edited = cv2.resize(edited, (w, h), interpolation=cv2.INTER_AREA)
    diff = np.abs(original.astype(np.float32) - edited.astype(np.float32)).max(axis=2)
    edit = (cv2.GaussianBlur(diff, (0, 0), 2.0) > 20).astype(np.uint8)
    pictures = {"original": original, "edited": edited}
    views, masks = [], []
    for name, quality in ((first, int(rng.integers(80, 96))), (second, int(rng.integers(70, 92)))):
        hom = random_view((h, w), rng)
        views.append(_encode(cv2.warpPerspective(pictures[name], hom, (w, h), borderMode=cv2.BORDER_REFLECT),
                             quality, float(rng.uniform(0.85, 1.15)), float(rng.uniform(-12, 12))))
        masks.append(cv2.warpPerspective(edit, hom, (w, h), flags=cv2.INTER_NEAREST,
                                         borderMode=cv2.BORDER_REFLECT).astype(bool))
    return views[0], views[1], masks[0], masks[1]


#: a reported region lies "on the edit" when at least this share of its box was changed by the edit
ON_EDIT_SHARE = 0.3


def on_edit(mask: np.ndarray, box: list[int] | tuple[int, ...]) -> bool:
    """Whether at least :data:`ON_EDIT_SHARE` of the box ``(x, y, w, h)`` lies on the edit ``mask``."""
    x, y, w, h = (int(v) for v in box)
    inside = mask[max(0, y):max(0, y + h), max(0, x):max(0, x + w)]
    return inside.size > 0 and float(inside.mean()) >= ON_EDIT_SHARE


def _ai_inpainted_views() -> dict[str, object]:
    """Real AI inpainting (SAGI's six pipelines, MagicInpainter's object removals) seen from two angles.

    ``edited_vs_original``: one view shows the AI-edited picture, the other the original (the forger
    edits one photo and sends an untouched second one): should be flagged, with a reported region on the
    edit (:func:`on_edit`; the edit mask is |edited - original| > 20 after a light blur, which for some
    SAGI pipelines covers a third of the frame because the whole picture went through the generator).
    ``original_vs_original`` and ``edited_vs_edited``: both views show the same picture (consistent,
    whatever it holds): must not be flagged.
    """
    try:
        from bench.claimbench.sources import available, inpainting_pairs, read
    except ImportError:
        return {"skipped": "bench/claimbench/sources.py not available"}
    if not available():
        return {"skipped": f"corpus not found at {CORPUS}"}
    from refundguard.engine import analyze
    from refundguard.media.load import load_image

    out: dict[str, dict[str, object]] = {}
    for case, (first, second) in (("edited_vs_original", ("edited", "original")),
                                  ("original_vs_original", ("original", "original")),
                                  ("edited_vs_edited", ("edited", "edited"))):
        per_source: dict[str, dict[str, int]] = {}
        for i, (source, original, edited) in enumerate(inpainting_pairs()):
            a, b, mask_a, mask_b = ai_view_pair(read(str(original)), read(str(edited)), 7000 + i, first, second)
            result = analyze([load_image(a, name="a.jpg"), load_image(b, name="b.jpg")], only=["multiview"])
            row = per_source.setdefault(source, {"pairs": 0, "compared": 0, "flagged": 0, "two_sided": 0,
                                                 "region_on_edit": 0})
            row["pairs"] += 1
            row["compared"] += int(result.checks["multiview"].status == "ran")
            found = [f for f in result.findings if f.code == "multiview.inconsistent_damage"]
            if not found:
                continue
            diffs = [d for pair in found[0].details["pairs"] for d in pair["differences"]]
            row["flagged"] += 1
            row["two_sided"] += int(len({d["shown_in"] for d in diffs}) == 2)
            masks = (mask_a, mask_b)
            row["region_on_edit"] += int(any(on_edit(masks[int(k)], box)
                                             for d in diffs for k, box in d["regions"].items()))
        out[case] = per_source
    return out


def _tile_relit() -> dict[str, object]:
    """A real break on one magnetic tile photographed twice by the same rig under two lightings (genuine)."""
    folder = CORPUS / "damage" / "magnetic_tile" / "MT_Break" / "Imgs"
    files = [folder / "exp4_num_348673.jpg", folder / "exp6_num_348888.jpg"]
    if not all(f.exists() for f in files):
        return {"skipped": f"corpus not found at {CORPUS}"}
    flagged, status, _ = _flagged(files[0].read_bytes(), files[1].read_bytes())
    return {"flagged": flagged, "status": status}


def _analysis(view_a: bytes, view_b: bytes) -> tuple[Any, float]:
    from refundguard.engine import analyze
    from refundguard.media.load import load_image

    started = time.perf_counter()
    result = analyze([load_image(view_a, name="a.jpg"), load_image(view_b, name="b.jpg")], only=["multiview"])
    return result, time.perf_counter() - started


def _overlap(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _summary(views: tuple[bytes, bytes]) -> dict[str, Any]:
    """What the benchmark keeps of one two-photo analysis (runs in a worker process)."""
    result, seconds = _analysis(*views)
    found = next((f for f in result.findings if f.code == "multiview.inconsistent_damage"), None)
    shown = found.details["regions_by_image"].get("0", []) if found else []
    return {"ran": result.checks["multiview"].status == "ran", "seconds": seconds,
            "verified": any(v.kind == "second_view" for v in result.verifications),
            "score": None if found is None else round(found.score, 3), "level": result.assessment.level,
            "regions": [(r["x"], r["y"], r["w"], r["h"]) for r in shown if r["role"] == "damage"]}


def _analysed(cases: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """Analyse pairs on two worker processes (the machine's two cores); results in order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawned, not forked: a fork of this process, whose OpenCV threads (laundering, tamper) may hold locks,
    # hangs the workers at their first OpenCV call
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_summary, cases, chunksize=1))


def real_untouched(pairs: list[Any], launderings: Sequence[str]) -> dict[str, Any]:
    """Untouched real pairs: how many were compared, verified as second views, flagged, at ``review``."""
    from bench.realviews import laundered

    jobs = [(pair, how) for pair in pairs for how in launderings if not (pair.small and how == "app_1080")]
    outcomes = _analysed([laundered(pair, how)[:2] for pair, how in jobs])
    rows: dict[str, dict[str, Any]] = {}
    times: list[float] = []
    for (pair, how), out in zip(jobs, outcomes, strict=True):
        if out["ran"]:
            times.append(out["seconds"])
        row = rows.setdefault(f"{pair.kind}/{how}", {"pairs": 0, "compared": 0, "verified": 0, "flagged": 0,
                                                     "at_review": 0, "flagged_pairs": []})
        row["pairs"] += 1
        row["compared"] += int(out["ran"])
        row["verified"] += int(out["verified"])
        if out["score"] is not None:
            row["flagged"] += 1
            row["flagged_pairs"].append({"pair": pair.name, "score": out["score"], "level": out["level"]})
        row["at_review"] += int(out["level"] != "low")
    total = {k: sum(r[k] for r in rows.values()) for k in ("pairs", "compared", "verified", "flagged", "at_review")}
    compared = total["compared"]
    total["false_positive_rate_compared"] = round(total["flagged"] / compared, 4) if compared else None
    return {"all": total, "by_set": rows, "seconds_per_compared_pair": _percentiles(times)}


def real_painted(pairs: list[Any], recipes: dict[str, Any], seed: int) -> dict[str, Any]:
    """Damage painted on one view of a real pair: flagged, flagged *on* the damage, localisation, ``review``.

    ``on_damage``: a reported damage region of the painted view overlaps the painted mark's box;
    ``region_precision``: the share of all damage regions reported in the painted view that do;
    ``flags_on_damage``: the share of flagged pairs whose finding has a region on the damage.
    """
    from bench.realviews import painted_pairs

    cases = list(painted_pairs(pairs, recipes, seed))
    outcomes = _analysed([(case.view_a, case.view_b) for case in cases])
    rows: dict[str, dict[str, Any]] = {}
    times: list[float] = []
    for case, out in zip(cases, outcomes, strict=True):
        row = rows.setdefault(case.recipe, {"pairs": 0, "compared": 0, "flagged": 0, "on_damage": 0,
                                            "on_damage_at_review": 0, "regions": 0, "regions_on_damage": 0,
                                            "missed": [], "off_damage": []})
        if out["ran"]:
            times.append(out["seconds"])
        row["pairs"] += 1
        row["compared"] += int(out["ran"])
        hits = [_overlap(r, case.box_a) for r in out["regions"]]
        on = any(hits)
        row["flagged"] += int(out["score"] is not None)
        row["on_damage"] += int(on)
        row["on_damage_at_review"] += int(on and out["level"] != "low")
        row["regions"] += len(hits)
        row["regions_on_damage"] += sum(hits)
        label = f"{case.pair.name} {case.laundering}"
        if out["score"] is not None and not on:
            row["off_damage"].append(label)
        elif out["score"] is None:
            row["missed"].append(label + ("" if out["ran"] else " (not matched)"))
    keys = ("pairs", "compared", "flagged", "on_damage", "on_damage_at_review", "regions", "regions_on_damage")
    total: dict[str, Any] = {k: sum(r[k] for r in rows.values()) for k in keys}
    for row in [*rows.values(), total]:
        row["on_damage_rate"] = round(row["on_damage"] / row["pairs"], 3) if row["pairs"] else None
        row["on_damage_rate_compared"] = round(row["on_damage"] / row["compared"], 3) if row["compared"] else None
        row["flags_on_damage"] = round(row["on_damage"] / row["flagged"], 3) if row["flagged"] else None
        row["region_precision"] = round(row["regions_on_damage"] / row["regions"], 3) if row["regions"] else None
    return {"all": total, "by_recipe": rows, "seconds_per_compared_pair": _percentiles(times)}


#: the sections of :func:`real_views`, in order
REAL_SECTIONS = ("untouched", "untouched_far_sceaux_half_q70", "painted_tuned", "painted_tuned_broad",
                 "painted_held_out", "painted_fresh_held_out", "painted_third_held_out", "painted_dent_limit")


def real_views(quick: bool = False, sections: Sequence[str] = REAL_SECTIONS, kinds: Sequence[str] = ()
               ) -> dict[str, Any]:
    """The real-views section: untouched real second views, and damage painted on one view of them.

    Tuned (the recipes and photos the thresholds were chosen on) and held-out (other recipes on other
    photos, never looked at while tuning) are reported side by side; dents (shading only) apart. The
    second held-out set (``painted_fresh_held_out``) paints the held-out recipes with a new seed on pairs
    no painted set used (:func:`bench.realviews.fresh_held_out_pairs`), the third one
    (``painted_third_held_out``) with a third seed on pairs neither used (:func:`bench.realviews.third_held_out_pairs`).
    ``sections`` and ``kinds`` (``sceaux``, ``buddha``, ``tiles``) select a subset, for iterating
    (``python -m bench.multiview --help``); the benchmark itself runs everything.
    """
    from bench import realviews as rv

    if not rv.available():
        return {"skipped": f"corpus not found at {rv.CORPUS}"}
    near = rv.sceaux_pairs() + rv.buddha_pairs()
    tiles = rv.tile_pairs(all_pairs=False)
    far = [p for p in rv.sceaux_pairs(all_pairs=True) if not p.near]
    painted = rv.sceaux_pairs() + rv.buddha_pairs() + tiles
    if quick:
        near, tiles, far, painted = near[::6], tiles[::12], [], painted[::8]
    if kinds:
        near, tiles, far, painted = ([p for p in group if p.kind in kinds] for group in (near, tiles, far, painted))
    fresh = rv.fresh_held_out_pairs()
    third = rv.third_held_out_pairs()
    if quick:
        fresh, third = fresh[::8], third[::8]
    if kinds:
        fresh = [p for p in fresh if p.kind in kinds]
        third = [p for p in third if p.kind in kinds]
    tuning = [p for p in painted if p.split == "tuning"]
    broad = rv.broad_tuning_pairs()
    if quick:
        broad = broad[::8]
    if kinds:
        broad = [p for p in broad if p.kind in kinds]
    held_out = [p for p in painted if p.split == "held_out"]
    runs = {
        "untouched": lambda: real_untouched(near + tiles, rv.LAUNDERING),
        "untouched_far_sceaux_half_q70": lambda: real_untouched(far, ("half_q70",)),
        "painted_tuned": lambda: real_painted(tuning, rv.TUNING_RECIPES, seed=14),
        "painted_tuned_broad": lambda: real_painted(broad, rv.BROAD_RECIPES, seed=rv.BROAD_SEED),
        "painted_held_out": lambda: real_painted(held_out, rv.HELD_OUT_RECIPES, seed=41),
        "painted_fresh_held_out": lambda: real_painted(fresh, rv.HELD_OUT_RECIPES, seed=rv.FRESH_SEED),
        "painted_third_held_out": lambda: real_painted(third, rv.HELD_OUT_RECIPES, seed=rv.THIRD_SEED),
        "painted_dent_limit": lambda: real_painted(held_out, rv.LIMIT_RECIPES, seed=43),
    }
    out: dict[str, Any] = {name: runs[name]() for name in REAL_SECTIONS if name in sections}
    out["note"] = ("real second views from ../shared/corpus (sceaux_castle pairs at most 3 apart, the 4 Buddha pairs "
                   "that share surface, magnetic tiles under consecutive lightings), laundered camera / half_q70 / "
                   "app_1080 / mixed; painted = damage painted on view A on matched surface (bench/realviews.py); "
                   "on_damage = a reported damage region overlaps the painted box; only the multiview check runs")
    return out


def _percentiles(times: list[float]) -> dict[str, float]:
    if not times:
        return {}
    ms = np.array(times)
    return {"p50": round(float(np.percentile(ms, 50)), 2), "p95": round(float(np.percentile(ms, 95)), 2)}


def _flagged(view_a: bytes, view_b: bytes) -> tuple[bool, str, float]:
    from refundguard.engine import analyze
    from refundguard.media.load import load_image

    started = time.perf_counter()
    result = analyze([load_image(view_a, name="a.jpg"), load_image(view_b, name="b.jpg")], only=["multiview"])
    seconds = time.perf_counter() - started
    status = result.checks["multiview"].status
    return any(f.code == "multiview.inconsistent_damage" for f in result.findings), status, seconds


def run(quick: bool = False) -> dict:
    """Detection rate on independently edited pairs, false positives on consistent and clean pairs."""
    from skimage import data

    per_kind = 8 if quick else 40
    bases = base_images()
    counts = {"inconsistent": [0, 0], "consistent": [0, 0], "clean": [0, 0]}
    statuses: dict[str, int] = {}
    times: list[float] = []
    for k in range(per_kind):
        _, base = bases[k % len(bases)]
        for kind in counts:
            pair = make_pair(base, seed=1000 + k, consistent=kind != "inconsistent", damaged=kind != "clean")
            flagged, status, seconds = _flagged(pair.view_a, pair.view_b)
            counts[kind][0] += int(flagged)
            counts[kind][1] += 1
            statuses[status] = statuses.get(status, 0) + 1
            times.append(seconds)
    left, right, _ = data.stereo_motorcycle()
    buffers = []
    for arr in (left, right):
        buf = io.BytesIO()
        PILImage.fromarray(arr).save(buf, format="JPEG", quality=92)
        buffers.append(buf.getvalue())
    stereo_flagged, stereo_status, _ = _flagged(buffers[0], buffers[1])
    ms = np.array(times) * 1000.0
    return {
        "pairs_per_kind": per_kind,
        "base_images": [n for n, _ in bases],
        "detection_rate_independent_edits": round(counts["inconsistent"][0] / counts["inconsistent"][1], 3),
        "false_positive_rate_consistent_damage": round(counts["consistent"][0] / counts["consistent"][1], 3),
        "false_positive_rate_clean_views": round(counts["clean"][0] / counts["clean"][1], 3),
        "stereo_motorcycle": {"flagged": stereo_flagged, "status": stereo_status},
        "magnetic_tile_relit": _tile_relit(),
        "check_status_counts": statuses,
        "claimbench_damage_kinds": _claimbench_kinds(bases, 4 if quick else 12),
        "painted_dents": _dent_sets(bases, 4 if quick else 12),
        "ai_inpainted_views": _ai_inpainted_views(),
        "real_views": real_views(quick),
        "ms_per_pair": {"p50": round(float(np.percentile(ms, 50)), 1), "p95": round(float(np.percentile(ms, 95)), 1)},
        "note": "views are warped real photos (perspective, scale, rotation, JPEG q70-95, brightness ±15 %); "
                "damage = painted branching crack; the analysis runs only the multiview check (no prior regions); "
                "painted_dents: flag rate per set (independent should be flagged, the others not)",
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.multiview --sections untouched painted_tuned --kinds sceaux``: a subset of the real-views
    section, printed (nothing written to bench/results: the benchmark is ``python -m bench multiview``)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.multiview", description=main.__doc__)
    parser.add_argument("--sections", nargs="+", choices=REAL_SECTIONS, default=list(REAL_SECTIONS))
    parser.add_argument("--kinds", nargs="+", choices=("sceaux", "buddha", "tiles"), default=[])
    parser.add_argument("--quick", action="store_true", help="every 6th/8th/12th pair only")
    args = parser.parse_args(argv)
    print(json.dumps(real_views(args.quick, args.sections, args.kinds), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
