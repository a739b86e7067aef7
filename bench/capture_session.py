"""capture_session benchmark: live capture sessions built from real photos, judged by the full analysis.

Sessions (the claim photo, then live shots (a) whole item + code card, (b) close-up, (c) another angle):

- **honest, real second views** — ``../shared/corpus/multiview``: the claim photo is one camera view, the live shots
  other views of the same scene taken minutes apart (Sceaux castle: the next views; the Buddha views turn around
  a statue, and the bench's homography places no damage across them);
  the close-up is a crop at the corpus's full resolution (1.7-1.8x the session's pixel density), centred on the
  claim photo's damage place as far as the frame allows, of a *third* photo of the scene — an independent view —
  where the set has one (every scene but Sceaux 100_7108, the last but two, whose close-up is cut from the turned
  shot's photo);
- **honest, real damage** — magnetic tiles (real cracks and breaks): the live shots re-frame and relight the tile
  (the dataset has one photo per tile);
- **forged, damage painted** onto the claim photo where the live views see it (claimbench recipes), live shots from
  the untouched views;
- **forged, real AI inpainting** — SAGI and MagicInpainter: the claim photo is the AI-edited picture, the live shots
  re-frame the untouched original (its honest twin: the original as the claim photo).

"Flagged" means the claim's level after the capture is ``review`` or ``high``; the table also counts the session's
own evidence (``live.damage_absent`` on the painted or inpainted place), confirmations and verifications.

Held out (no threshold of the ``live`` check was set on them): recipes ``tear``, ``shatter`` and ``multiview_crack``,
the scenes in ``HELD_OUT_SCENES`` (Sceaux 100_7108), magnetic tiles, SAGI, MagicInpainter (but ``TUNED_PAIRS``).
Tuned: ``crack``, ``stain``, ``scratch`` and ``craze`` (a fracture network, :func:`add_craze`) on the scenes in
``TUNED_SCENES`` (Sceaux 100_7100–100_7107; 100_7106 and 100_7107 were looked at while tuning and moved there), the
pairs in ``TUNED_PAIRS``. The magnetic tiles and the inpainting pairs
have one photo of each item: their three live shots are re-framings of that one photo, not independent views
(bench/HELD_OUT.md).

``code``: one-time codes written on a card in print-like fonts (tuned: DejaVu Sans Bold, Liberation Sans Bold, Comic
Neue; held out: Humor Sans, DejaVu Serif, Liberation Mono, WenQuanYi Micro Hei), the card photographed beside real
scenes with perspective, blur and JPEG; read by the check's own reader. Also: a different code must not read as
this one.

``recapture``: live shots that photograph a screen (RGB sub-pixel stripes) or a print (halftone) showing the scene,
against every honest live shot.

``timing``: three 12 MP shots (4000×3000) and a 12 MP claim photo through the service's order of work: the claim
analysed when filed (pass cached), each shot analysed as it arrives, and — timed — the analysis when the last shot
arrives; wall and CPU seconds (all threads), medians over repeats.
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SEED = 151515
FONTS_TUNED = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
               "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
               "/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf")
FONTS_HELD_OUT = ("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
                  "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
                  "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
                  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
TUNED_RECIPES = ("crack", "stain")  # and "scratch", "craze" on the tuned scenes (``view_sessions``)
#: long side of the sessions' photos (claim photos and live shots; the timing section uses 12 MP shots): the
#: analysis of several hundred sessions at 6 MP does not fit a shared 2-core machine
SESSION_SIDE = 1600
HELD_OUT_RECIPES = ("tear", "shatter", "multiview_crack")


# ------------------------------------------------------------------------------------------------ images
def _jpeg(pixels: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _read(path: Path, max_side: int | None = None) -> np.ndarray:
    """RGB pixels; ``max_side`` shrinks larger photos (INTER_AREA), as a messaging app would."""
    with Image.open(path) as im:
        img = np.asarray(im.convert("RGB"))
    scale = 1.0 if max_side is None else min(1.0, max_side / max(img.shape[:2]))
    if scale < 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return img


def card(code: str, height: int, font: str, rng: np.random.Generator) -> np.ndarray:
    """A sheet of paper with ``code`` written on it in ``font`` (slightly uneven ink, paper tint)."""
    width = int(height * 2.4)
    tint = rng.integers(226, 248)
    sheet = Image.new("RGB", (width, height), (int(tint), int(tint) - 2, int(tint) - 8))
    draw = ImageDraw.Draw(sheet)
    size = int(height * rng.uniform(0.42, 0.55))
    ttf = ImageFont.truetype(font, size)
    x = int(width * rng.uniform(0.06, 0.16))
    for ch in code:  # each letter a little off the line, as by hand
        y = int(height * 0.22 + rng.normal(0, height * 0.025))
        ink = tuple(int(v) for v in rng.integers(10, 60, 3))
        draw.text((x, y), ch, font=ttf, fill=ink)
        x += int(draw.textlength(ch, font=ttf) * rng.uniform(1.05, 1.25))
    return np.asarray(sheet)


def place_card(scene: np.ndarray, sheet: np.ndarray, rng: np.random.Generator, *, share: float = 0.2,
               corner: str | None = None, tilt: float = 0.12) -> np.ndarray:
    """``scene`` with ``sheet`` lying in a corner, seen in perspective (``tilt``) — it hides what is behind it."""
    h, w = scene.shape[:2]
    ch = int(min(h, w) * share)
    cw = int(ch * sheet.shape[1] / sheet.shape[0])
    corner = corner or str(rng.choice(["bottom-right", "bottom-left", "top-right"]))
    x0 = w - cw - int(0.03 * w) if corner.endswith("right") else int(0.03 * w)
    y0 = h - ch - int(0.03 * h) if corner.startswith("bottom") else int(0.03 * h)
    j = tilt * ch
    dst = np.float32([[x0 + rng.uniform(0, j), y0 + rng.uniform(0, j)], [x0 + cw - rng.uniform(0, j), y0],
                      [x0 + cw, y0 + ch - rng.uniform(0, j)], [x0 + rng.uniform(0, j), y0 + ch]])
    src = np.float32([[0, 0], [sheet.shape[1], 0], [sheet.shape[1], sheet.shape[0]], [0, sheet.shape[0]]])
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(sheet, m, (w, h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones(sheet.shape[:2], np.uint8), m, (w, h), flags=cv2.INTER_NEAREST)
    return np.where(mask[..., None] > 0, warped, scene)


def reframe(scene: np.ndarray, rng: np.random.Generator, *, zoom: float = 1.0, centre: tuple[float, float] | None
            = None, tilt: float = 0.03, out: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The scene seen again by a hand-held phone: zoomed about ``centre`` (pixels), a small perspective tilt.
    Returns the view and the homography scene → view."""
    h, w = scene.shape[:2]
    ow, oh = out or (w, h)
    cx, cy = centre if centre is not None else (w / 2, h / 2)
    hw, hh = w / (2 * zoom), h / (2 * zoom)
    cx, cy = min(max(cx, hw), w - hw), min(max(cy, hh), h - hh)
    j = tilt * w / zoom
    src = np.float32([[cx - hw + rng.uniform(-j, j), cy - hh + rng.uniform(-j, j)],
                      [cx + hw + rng.uniform(-j, j), cy - hh + rng.uniform(-j, j)],
                      [cx + hw + rng.uniform(-j, j), cy + hh + rng.uniform(-j, j)],
                      [cx - hw + rng.uniform(-j, j), cy + hh + rng.uniform(-j, j)]])
    dst = np.float32([[0, 0], [ow, 0], [ow, oh], [0, oh]])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(scene, m, (ow, oh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), m


def relight(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another moment's light: exposure, white balance and a soft gradient."""
    w = img.shape[1]
    gain = rng.uniform(0.8, 1.2) * rng.uniform(0.94, 1.06, 3)
    ramp = np.linspace(rng.uniform(0.9, 1.0), rng.uniform(1.0, 1.1), w, dtype=np.float32)[None, :, None]
    return np.clip(img.astype(np.float32) * gain * ramp, 0, 255).astype(np.uint8)


def _homography(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Homography a → b from SIFT matches (the bench's own geometry, independent of the checks), and a's inliers."""
    sift = cv2.SIFT_create(nfeatures=3000)
    scale_a, scale_b = min(1.0, 1200 / max(a.shape[:2])), min(1.0, 1200 / max(b.shape[:2]))
    ga = cv2.resize(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), None, fx=scale_a, fy=scale_a, interpolation=cv2.INTER_AREA)
    gb = cv2.resize(cv2.cvtColor(b, cv2.COLOR_RGB2GRAY), None, fx=scale_b, fy=scale_b, interpolation=cv2.INTER_AREA)
    ka, da = sift.detectAndCompute(ga, None)
    kb, db = sift.detectAndCompute(gb, None)
    if da is None or db is None or len(ka) < 30 or len(kb) < 30:
        return None, np.zeros((0, 2))
    good = [m for m, n in cv2.BFMatcher().knnMatch(da, db, k=2) if m.distance < 0.75 * n.distance]
    if len(good) < 40:
        return None, np.zeros((0, 2))
    pa = np.float32([ka[m.queryIdx].pt for m in good]) / scale_a
    pb = np.float32([kb[m.trainIdx].pt for m in good]) / scale_b
    hom, mask = cv2.findHomography(pa, pb, cv2.USAC_MAGSAC, 4.0)
    if hom is None or mask.sum() < 30:
        return None, np.zeros((0, 2))
    return hom, pa[mask.ravel().astype(bool)]


def _project(hom: np.ndarray, point: tuple[float, float]) -> tuple[float, float]:
    p = cv2.perspectiveTransform(np.float64([[point]]), hom)[0, 0]
    return float(p[0]), float(p[1])


# ----------------------------------------------------------------------------------------------- damage
def _recipe(name: str) -> Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]:
    from bench.claimbench import damage

    if name == "multiview_crack":
        from bench.multiview import crack_points, paint_crack

        def crack(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            h, w = img.shape[:2]
            lines = crack_points(rng, (w / 2, h / 2), 0.5 * min(h, w))
            out = paint_crack(img, lines, max(3, min(h, w) // 90), int(rng.integers(15, 45)))
            return out, np.abs(out.astype(np.int16) - img).max(axis=2) > 12

        return crack
    if name == "scratch":  # near-parallel thin strokes, lighter on a dark surface, darker on a light one
        from bench.realviews import add_scratch

        return add_scratch
    if name == "craze":
        return add_craze
    return {"crack": damage.add_crack, "stain": damage.add_stain, "tear": damage.add_tear,
            "shatter": damage.add_shatter}[name]


def add_craze(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A crazed fracture network (a glaze, a coating, a cracked screen without its impact point): hairline cracks,
    1-2 px, along the edges of irregular polygonal cells (a Voronoi network, ``cv2.Subdiv2D``) inside a ragged
    patch, some edges missing, each a little jagged; dark with a lit lip on a light surface, lit on a dark one. The
    tuned side's fracture-network recipe (the held-out ``shatter`` radiates from an impact point with broken
    rings; this one has no centre and no rings)."""
    from bench.claimbench import damage

    h, w = img.shape[:2]
    side = min(h, w)
    centre = np.array([rng.uniform(0.4, 0.6) * w, rng.uniform(0.4, 0.6) * h])
    radius = side * rng.uniform(0.28, 0.42)
    n = int(rng.integers(16, 30))
    angle, dist = rng.uniform(0, 2 * np.pi, n), radius * np.sqrt(rng.uniform(0, 1, n)) * 1.3
    points = centre + np.stack([np.cos(angle), np.sin(angle)], 1) * dist[:, None]
    subdiv = cv2.Subdiv2D((-w, -h, 3 * w, 3 * h))
    for x, y in points:
        subdiv.insert((float(x), float(y)))
    facets, _ = subdiv.getVoronoiFacetList([])
    alpha = np.zeros((h, w), np.float32)
    drawn: set[tuple[Any, ...]] = set()
    for facet in facets:
        corners = np.asarray(facet, np.float64)
        for a, b in zip(corners, np.roll(corners, -1, axis=0), strict=True):
            key = tuple(sorted((tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)))))
            if key in drawn or rng.uniform() < 0.25:  # each edge once; a crazing network is never complete
                drawn.add(key)
                continue
            drawn.add(key)
            steps = max(2, int(np.hypot(*(b - a)) / (side * 0.02)))
            t = np.linspace(0, 1, steps + 1)[:, None]
            normal = np.array([a[1] - b[1], b[0] - a[0]]) / max(1e-6, float(np.hypot(*(b - a))))
            jag = rng.normal(0, side * 0.004, (steps + 1, 1)) * (t > 0) * (t < 1)
            pts = a + (b - a) * t + normal * jag
            thick = 1 if rng.uniform() < 0.7 else 2
            cv2.polylines(alpha, [np.round(pts * 4).astype(np.int32)], False, float(rng.uniform(0.7, 1.0)), thick,
                          cv2.LINE_AA, shift=2)
    # the network fades out at a ragged border (no cell is cut straight)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ragged = radius * (1 + 0.25 * cv2.resize(rng.uniform(-1, 1, (4, 4)).astype(np.float32), (w, h),
                                               interpolation=cv2.INTER_CUBIC))
    alpha *= np.clip((ragged - np.hypot(xx - centre[0], yy - centre[1])) / (0.15 * radius), 0, 1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.5)
    f = damage._f(img)
    region = alpha > 0.05
    if region.any() and float(f.mean(axis=2)[region].mean()) < 0.4:  # lit lines on a dark surface
        a = (alpha * rng.uniform(0.5, 0.8))[:, :, None]
        out = damage._u8(f * (1 - a) + 0.9 * a)
    else:
        out = damage._shade_lines(img, alpha, rng, depth=rng.uniform(0.45, 0.75))
    return damage._visible(img, out, damage._mask_from(alpha))


def damage_at(img: np.ndarray, centre: tuple[float, float], size: int, recipe: str, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    """``img`` with ``recipe`` painted inside a ``size``-pixel square around ``centre``; returns it and the mask."""
    h, w = img.shape[:2]
    x0 = int(min(max(centre[0] - size / 2, 0), w - size))
    y0 = int(min(max(centre[1] - size / 2, 0), h - size))
    patch = img[y0:y0 + size, x0:x0 + size]
    painted, mask = _recipe(recipe)(np.ascontiguousarray(patch), rng)
    out = img.copy()
    out[y0:y0 + size, x0:x0 + size] = painted
    full = np.zeros(img.shape[:2], bool)
    full[y0:y0 + size, x0:x0 + size] = mask
    return out, full


# --------------------------------------------------------------------------------------------- sessions
@dataclass
class Session:
    source: str  # corpus set
    kind: str  # honest | forged
    recipe: str  # none, a painting recipe, sagi, magicinpainter, real_damage
    held_out: bool
    claim: bytes
    shots: dict[str, bytes]
    code: str
    mask: np.ndarray | None = None  # painted / inpainted pixels of the claim photo
    marked: tuple[int, int, int, int] | None = None


@dataclass
class Scene:
    """One claim view and the live views of the same item, with the geometry between them."""

    name: str
    claim: np.ndarray
    claim_bytes: bytes
    live: list[np.ndarray]
    to_live: list[np.ndarray]  # claim → each live view
    place: tuple[float, float]  # a point of the claim photo every live view sees (where damage goes)
    held_out: bool
    #: the photo the close-up is cut from, at the corpus's full resolution, and the claim → it homography: a third
    #: photo of the scene where the set has one (an independent view), else the turned shot's photo
    close_source: np.ndarray | None = None
    to_close: np.ndarray | None = None
    close_independent: bool = False


#: multi-view scenes by split (Sceaux castle: the claim view and the next views). The Buddha set is not used: its views
#: turn around a statue and no homography between two of them places a damage (the bench's geometry finds none).
#: Tuned: the live check's thresholds were set looking at these. 100_7106 was looked at while tuning (issue #15,
#: session 2) and 100_7107 (session 4, see ``SEEN_TILES``) and moved here; held out: scenes no threshold was set on
#: (bench/HELD_OUT.md)
TUNED_SCENES = ("100_7100", "100_7101", "100_7102", "100_7103", "100_7104", "100_7105", "100_7106", "100_7107")
HELD_OUT_SCENES = ("100_7108",)
#: held-out sessions the capture work's third session looked at (its ``signed_search`` run flagged their honest
#: sessions, and the option was left off on that account): replaced by untouched ones of the same source, the
#: Sceaux scene moved to ``TUNED_SCENES`` (the castle set has no further scene; bench/HELD_OUT.md)
SEEN_TILES = {"exp6_num_88201.jpg": "exp6_num_86064.jpg"}
#: a pair whose honest session the fourth session debugged (the shape test flagged it held out: a dot the flow
#: left 5-8 px aside), so tuned since; an untouched SAGI pair was added held out in its place (full runs)
TUNED_PAIRS = ("004_final_paper_supp_good_r0a19cb85t_Q69.jpg",
               # fifth session: its forged session was verified by a lower min_damage_structure in the held-out run,
               # and debugged; the untouched SAGI pair 011 added held out in its place
               "010_final_paper_supp_good_rc7a1f2c6t_Q90.jpg",
               # sixth session: its honest session was flagged held out by the optional shape_texture (seen as a level,
               # the option left off); the untouched SAGI pair 009 added held out in its place
               "001_final_paper_supp_good_r0b0e2ba5t_Q85.jpg")
EXTRA_HELD_OUT_PAIRS = ("003_final_paper_supp_good_000000002627_val.jpg",
                        "011_final_paper_supp_good_1aec902b1a6e3dc2.jpg",
                        "009_final_paper_supp_good_000000003335_val.jpg")
SEEN_PAIRS = {"000_final_paper_supp_good_000000000871.jpg": "001_final_paper_supp_good_r0b0e2ba5t_Q85.jpg",
              "01_road_02.png": "01_road_01.png"}
#: tuned additions of the fifth session (bench/HELD_OUT.md): magnetic tiles halfway between the held-out ones in
#: the dataset's order (``every[7::14]``, disjoint from ``every[::14]`` and its replacement), the two inpainting pairs
#: the third session had seen (``SEEN_PAIRS``' keys) and three the benchmark had never used
TUNED_TILE_OFFSET = 7
TUNED_EXTRA_PAIRS = ("000_final_paper_supp_good_000000000871.jpg", "01_road_02.png",
                     "005_final_paper_supp_good_83d4e7afd10210de.jpg", "007_final_paper_supp_good_ra09acb48t_Q71.jpg",
                     "01_wall.png")


def _scene_sets() -> list[tuple[str, Path, list[Path], bool]]:
    castle = sorted((CORPUS / "multiview" / "sceaux_castle").glob("100_71*.JPG"))
    sets = [(f"sceaux:{p.stem}", p, castle[k + 1:k + 4], p.stem not in TUNED_SCENES)
            for k, p in enumerate(castle[:-2]) if p.stem in (*TUNED_SCENES, *HELD_OUT_SCENES)]
    return sets


def _views_scenes(limit: int) -> Iterator[Scene]:
    """Claim view + two live views (and a third for the close-up, where the set has one) from the real multi-view
    sets, where the geometry matches."""
    made = 0
    for name, path, candidates, held in _scene_sets():
        claim = _read(path, SESSION_SIDE)
        live, homs, paths = [], [], []
        for cand in candidates:
            view = _read(cand, SESSION_SIDE)
            hom, inliers = _homography(claim, view)
            if hom is None or len(inliers) < 60:
                continue
            live.append(view)
            homs.append(hom)
            paths.append(cand)
            if len(live) == 3:
                break
        if len(live) < 2:
            continue
        _, inliers = _homography(claim, live[1])
        place = tuple(float(v) for v in np.median(inliers, axis=0)) if len(inliers) else (claim.shape[1] / 2,
                                                                                           claim.shape[0] / 2)
        independent = len(live) == 3
        close_path = paths[2] if independent else paths[1]
        source = _read(close_path)
        up = max(source.shape[:2]) / max(live[-1 if independent else 1].shape[:2])
        to_close = np.diag([up, up, 1.0]) @ homs[2 if independent else 1]
        original = path.read_bytes() if max(claim.shape[:2]) == max(_read(path).shape[:2]) else _jpeg(claim, 90)
        yield Scene(name, claim, original, live[:2], homs[:2], place, held, source, to_close,  # type: ignore[arg-type]
                    independent)
        made += 1
        if made >= limit:
            return


def _code(rng: np.random.Generator) -> str:
    from refundguard.checks._live.code import ALPHABET

    return "".join(rng.choice(list(ALPHABET), 4))


def _shots_of(scene: Scene, rng: np.random.Generator, code: str) -> dict[str, bytes]:
    """(a) the first live view with the code card, (b) the close-up: a crop at the corpus's full resolution, centred
    on the damage place as far as the frame allows, of a third photo of the scene (of the second live view's photo
    where the set has no third), (c) the second live view whole, relit."""
    fonts = [f for f in (*FONTS_TUNED, *FONTS_HELD_OUT) if Path(f).exists()]
    whole = place_card(scene.live[0], card(code, 300, str(rng.choice(fonts)), rng), rng)
    assert scene.close_source is not None and scene.to_close is not None
    px, py = _project(scene.to_close, scene.place)
    lh, lw = scene.close_source.shape[:2]
    # the close-up frames as much of the item as the claim photo's side at the full resolution: magnified
    # (full resolution / session side) about 1.8x on the Sceaux photos
    ch, cw = min(lh, int(SESSION_SIDE * lh / lw * 0.75)), min(lw, int(SESSION_SIDE * 0.75))
    x0, y0 = int(min(max(px - cw / 2, 0), lw - cw)), int(min(max(py - ch / 2, 0), lh - ch))
    close = scene.close_source[y0:y0 + ch, x0:x0 + cw]
    return {"whole": _jpeg(whole), "close": _jpeg(close), "turned": _jpeg(relight(scene.live[1], rng))}


def view_sessions(limit: int) -> Iterator[Session]:
    rng = np.random.default_rng(SEED)
    for n, scene in enumerate(_views_scenes(limit)):
        code = _code(rng)
        shots = _shots_of(scene, rng, code)
        yield Session(scene.name.split(":")[0], "honest", "none", scene.held_out, scene.claim_bytes, shots, code)
        size = int(min(scene.claim.shape[:2]) * 0.18)
        for recipe in (*TUNED_RECIPES, *HELD_OUT_RECIPES):
            painted, mask = damage_at(scene.claim, scene.place, size, recipe, rng)
            yield Session(scene.name.split(":")[0], "forged", recipe, scene.held_out or recipe in HELD_OUT_RECIPES,
                          _jpeg(painted, 90), shots, code, mask)
        if not scene.held_out:  # the light-or-dark scratch (fifth session), drawn from its own generator: the
            # sessions above are the ones every earlier run judged
            painted, mask = damage_at(scene.claim, scene.place, size, "scratch", np.random.default_rng(SEED + 20 + n))
            yield Session(scene.name.split(":")[0], "forged", "scratch", False, _jpeg(painted, 90), shots, code, mask)
            # the crazed fracture network (ninth session): the tuned side's counterpart of the held-out shatter
            painted, mask = damage_at(scene.claim, scene.place, size, "craze", np.random.default_rng(SEED + 40 + n))
            yield Session(scene.name.split(":")[0], "forged", "craze", False, _jpeg(painted, 90), shots, code, mask)


def tile_sessions(limit: int, *, tuned: bool = False) -> Iterator[Session]:
    """Real damage: a magnetic tile's photo as the claim, the live shots re-framed and relit views of it (the code
    card lies over a corner of the tile: the dataset's photos show the tile surface only). Held out: every 14th
    tile from the first; ``tuned``: every 14th from the 8th (``TUNED_TILE_OFFSET``), disjoint from them."""
    from bench.claimbench.sources import tile_defect, tiles

    rng = np.random.default_rng(SEED + (11 if tuned else 1))
    every = [p for kind in ("Crack", "Break") for p in tiles(kind)]
    by_name = {p.name: p for p in every}
    step = max(1, 142 // max(1, limit))
    files = [by_name.get(SEEN_TILES.get(p.name, p.name), p)
             for p in every[(TUNED_TILE_OFFSET if tuned else 0)::step][:limit]]
    fonts = [f for f in FONTS_TUNED if Path(f).exists()]
    for path in files:
        img, mask = tile_defect(path)
        ys, xs = np.nonzero(mask)
        centre = (float(xs.mean()), float(ys.mean())) if len(xs) else (img.shape[1] / 2, img.shape[0] / 2)
        scale = 800 / max(img.shape[:2])  # the tile photos are 200–600 px: the live views are larger
        big = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        code = _code(rng)
        c = (centre[0] * scale, centre[1] * scale)
        size = (big.shape[1], big.shape[0])
        whole, _ = reframe(big, rng, zoom=1.05, tilt=0.02, out=size)
        whole = place_card(relight(whole, rng), card(code, 260, str(rng.choice(fonts)), rng), rng,
                           corner="bottom-right", share=0.2)
        close, _ = reframe(big, rng, zoom=1.8, centre=c, tilt=0.02, out=size)
        turned, _ = reframe(relight(big, rng), rng, zoom=1.2, centre=c, tilt=0.07, out=size)
        yield Session("magnetic_tile", "honest", "real_damage", not tuned, path.read_bytes(),
                      {"whole": _jpeg(whole), "close": _jpeg(relight(close, rng)), "turned": _jpeg(turned)}, code,
                      mask)


def inpainting_sessions(limit: int, *, tuned_extra: bool = False) -> Iterator[Session]:
    """Real AI inpainting: the edited picture as the claim (forged) or the original (its honest twin); the live
    shots re-frame and relight the untouched original. ``tuned_extra``: the pairs of ``TUNED_EXTRA_PAIRS`` only."""
    from bench.claimbench.sources import inpainting_mask, inpainting_pairs

    rng = np.random.default_rng(SEED + (12 if tuned_extra else 2))
    fonts = [f for f in FONTS_TUNED if Path(f).exists()]
    pairs = inpainting_pairs()
    pairs = pairs[::2] + pairs[1::2]  # SAGI and MagicInpainter both in a short run
    by_name = {o.name: (src, o, e) for src, o, e in pairs}
    if tuned_extra:
        chosen = [by_name[name] for name in TUNED_EXTRA_PAIRS if name in by_name][:limit]
    else:
        pairs = [by_name.get(SEEN_PAIRS.get(o.name, o.name), (src, o, e)) for src, o, e in pairs]
        chosen = pairs[:limit] + ([by_name[name] for name in EXTRA_HELD_OUT_PAIRS] if limit >= 12 else [])
    for source, original_path, edited_path in chosen:
        held = not tuned_extra and original_path.name not in TUNED_PAIRS
        original, edited = _read(original_path), _read(edited_path)
        if original.shape != edited.shape:
            continue
        mask = inpainting_mask(original, edited)
        ys, xs = np.nonzero(mask)
        centre = (float(xs.mean()), float(ys.mean())) if len(xs) else (original.shape[1] / 2, original.shape[0] / 2)
        code = _code(rng)
        out = (max(1200, original.shape[1]), int(max(1200, original.shape[1]) * original.shape[0] / original.shape[1]))
        whole, _ = reframe(original, rng, zoom=1.05, tilt=0.02, out=out)
        whole = place_card(relight(whole, rng), card(code, 220, str(rng.choice(fonts)), rng), rng, share=0.16)
        close, _ = reframe(original, rng, zoom=1.8, centre=centre, tilt=0.02, out=out)
        turned, _ = reframe(relight(original, rng), rng, zoom=1.15, centre=centre, tilt=0.07, out=out)
        shots = {"whole": _jpeg(whole), "close": _jpeg(close), "turned": _jpeg(turned)}
        yield Session(source, "forged", source, held, _jpeg(edited, 92), shots, code, mask)
        yield Session(source, "honest", source + "_original", held, _jpeg(original, 92), shots, code)


# ------------------------------------------------------------------------------------------- evaluation
def _overlaps(mask: np.ndarray, box: dict[str, int]) -> bool:
    x, y, w, h = box["x"], box["y"], box["w"], box["h"]
    inside = mask[max(0, y):y + h, max(0, x):x + w]
    return inside.size > 0 and bool(inside.any())


def judge(session: Session, cache: Any, settings: Any = None) -> dict[str, Any]:
    """One session through the full analysis (``settings``: the analysis's, default: the committed ones)."""
    from refundguard.checks.registry import ClaimInfo, LiveSession, LiveShot
    from refundguard.engine import analyze
    from refundguard.media.load import load_image

    kinds = ("whole", "close", "turned")
    info = ClaimInfo(live=LiveSession("bench", session.code, tuple(LiveShot(k) for k in kinds)))
    started = time.perf_counter()
    a = analyze([load_image(session.claim, name="claim.jpg")],
                live=[load_image(session.shots[k], name=f"{k}.jpg") for k in kinds], info=info, cache=cache,
                 settings=settings)
    codes = {f.code for f in a.findings}
    absent = [f for f in a.findings if f.code == "live.damage_absent"]
    on_damage = session.mask is not None and any(_overlaps(session.mask, r.to_dict()) for f in absent
                                                 for r in f.regions)
    return {"level": a.assessment.level, "risk": round(a.assessment.risk, 4), "flagged": a.assessment.level != "low",
            "absent": bool(absent), "absent_on_damage": on_damage, "confirmed": "live.damage_confirmed" in codes,
            "verified": "live_capture" in a.coverage.verified_by(0), "code_read": "live.code_missing" not in codes
            and "live.code_wrong" not in codes, "live_codes": sorted(c for c in codes if c.startswith("live.")),
            "other_codes": sorted(c for c in codes if not c.startswith("live.")),
            "seconds": round(time.perf_counter() - started, 2)}


def _rate(rows: list[dict[str, Any]], key: str) -> float | None:
    return round(sum(bool(r[key]) for r in rows) / len(rows), 4) if rows else None


def _summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("forged", "honest"):
        for split in ("tuned", "held_out"):
            sel = [r for r in rows if r["kind"] == kind and (r["held_out"] == (split == "held_out"))]
            if not sel:
                continue
            out[f"{kind}_{split}"] = {"sessions": len(sel), "flagged": _rate(sel, "flagged"),
                                      "damage_absent": _rate(sel, "absent"),
                                      "absent_on_damage": _rate(sel, "absent_on_damage"),
                                      "confirmed": _rate(sel, "confirmed"), "verified": _rate(sel, "verified"),
                                      "code_read": _rate(sel, "code_read")}
    by: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = f"{r['kind']}:{r['source']}:{r['recipe']}"
        by.setdefault(key, []).append(r)  # type: ignore[arg-type]
    out["by_set"] = {k: {"sessions": len(v), "flagged": _rate(v, "flagged"), "damage_absent": _rate(v, "absent"),
                         "confirmed": _rate(v, "confirmed"), "verified": _rate(v, "verified")}
                     for k, v in sorted(by.items())}
    return out


def sessions(quick: bool, sizes: tuple[int, int, int] | None = None, split: str = "all") -> dict[str, Any]:
    """``sizes``: how many multi-view scenes, magnetic tiles and inpainting pairs (default: all, or a few with
    ``quick``); ``split``: ``tuned`` or ``held_out`` judges only those sessions (``all``: every one)."""
    from bench.claimbench.sources import available
    from refundguard.passes import MemoryPassCache

    if not available():
        return {"skipped": f"corpus not found at {CORPUS}"}
    cache = MemoryPassCache(512)
    rows: list[dict[str, Any]] = []
    views, tiles_, pairs = sizes or ((3, 4, 4) if quick else (len(TUNED_SCENES) + len(HELD_OUT_SCENES), 10, 12))
    generators = (view_sessions(views), tile_sessions(tiles_), inpainting_sessions(pairs),
                  tile_sessions(tiles_, tuned=True), inpainting_sessions(pairs, tuned_extra=True))
    for gen in generators:
        for s in gen:
            if split != "all" and s.held_out != (split == "held_out"):
                continue
            row = {"source": s.source, "kind": s.kind, "recipe": s.recipe, "held_out": s.held_out, **judge(s, cache)}
            rows.append(row)
            print(f"  {s.kind:6} {s.source:14} {s.recipe:16} level={row['level']:6} live={row['live_codes']} "
                  f"{row['seconds']} s", flush=True)
    return {"summary": _summarise(rows), "sessions": rows}


# ------------------------------------------------------------------------------------------ code reading
def code_reading(quick: bool) -> dict[str, Any]:
    from refundguard.checks._live.code import read_code

    rng = np.random.default_rng(SEED + 3)
    backgrounds = [p for p in sorted((CORPUS / "multiview" / "sceaux_castle").glob("*.JPG"))[:4]] + \
        [p for p in sorted((CORPUS / "natural").glob("*.jpg"))]
    if not backgrounds:
        return {"skipped": f"corpus not found at {CORPUS}"}
    per_font = 6 if quick else 30
    out: dict[str, Any] = {}
    wrong_read = wrong_total = 0
    for split, fonts in (("tuned", FONTS_TUNED), ("held_out", FONTS_HELD_OUT)):
        for font in fonts:
            if not Path(font).exists():
                continue
            found = 0
            for k in range(per_font):
                scene = cv2.resize(_read(backgrounds[k % len(backgrounds)]), (4000, 3000), interpolation=cv2.INTER_AREA)
                code = _code(rng)
                photo = place_card(scene, card(code, int(rng.integers(260, 420)), font, rng), rng,
                                   share=float(rng.uniform(0.07, 0.12)), tilt=float(rng.uniform(0.05, 0.25)))
                photo = cv2.GaussianBlur(photo, (0, 0), float(rng.uniform(0.6, 2.2)))
                pixels = np.asarray(Image.open(io.BytesIO(_jpeg(photo, int(rng.integers(70, 92))))).convert("RGB"))
                found += read_code(pixels, code).status == "found"
                if k % 3 == 0:  # the photo of another code must not read as this one
                    other = _code(rng)
                    wrong_total += 1
                    wrong_read += read_code(pixels, other).status == "found" and other != code
            out.setdefault(split, {})[Path(font).stem] = round(found / per_font, 4)
    for split in ("tuned", "held_out"):
        if split in out:
            vals = list(out[split].values())
            out[split]["mean"] = round(sum(vals) / len(vals), 4)
    out["other_code_read_as_this_one"] = f"{wrong_read}/{wrong_total}"
    out["setup"] = ("4000x3000 real scenes; the card 7–12 % of the short side high, perspective tilt 5–25 %, "
                    "Gaussian blur sigma 0.6–2.2 px, JPEG q70–92; each letter jittered like handwriting")
    return out


# ------------------------------------------------------------------------------------------- recapture
def screen_photo(img: np.ndarray, rng: np.random.Generator, out: tuple[int, int] = (2400, 1800)) -> np.ndarray:
    """``img`` shown on an RGB-stripe screen and photographed: sub-pixels, slight perspective, blur, noise."""
    pitch = 3
    h, w = img.shape[:2]
    small = cv2.resize(img, (min(w, 900), int(min(w, 900) * h / w)), interpolation=cv2.INTER_AREA)
    up = cv2.resize(small, (small.shape[1] * pitch, small.shape[0] * pitch), interpolation=cv2.INTER_NEAREST)
    stripes = np.zeros_like(up, dtype=np.float32)
    for c in range(3):
        stripes[:, c::pitch, c] = 1.0
    stripes[::pitch] *= 0.35
    shown = np.clip(up.astype(np.float32) * stripes * 1.7, 0, 255).astype(np.uint8)
    view, _ = reframe(shown, rng, zoom=float(rng.uniform(1.05, 1.3)), tilt=0.03, out=out)
    view = cv2.GaussianBlur(view, (0, 0), float(rng.uniform(0.5, 1.0)))
    return np.clip(view + rng.normal(0, 2.0, view.shape), 0, 255).astype(np.uint8)


def print_photo(img: np.ndarray, rng: np.random.Generator, out: tuple[int, int] = (2400, 1800)) -> np.ndarray:
    """``img`` printed with a halftone screen (CMY dots) and photographed."""
    h, w = img.shape[:2]
    base = cv2.resize(img, (1800, int(1800 * h / w)), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    yy, xx = np.mgrid[0:base.shape[0], 0:base.shape[1]].astype(np.float32)
    printed = np.ones_like(base)
    for c, angle in enumerate((15, 75, 0)):
        t = np.deg2rad(angle)
        u, v = xx * np.cos(t) + yy * np.sin(t), -xx * np.sin(t) + yy * np.cos(t)
        cell = (np.sin(u * 2 * np.pi / 6) * np.sin(v * 2 * np.pi / 6) + 1) / 2
        printed[..., c] = ((1 - base[..., c]) <= cell * 1.0).astype(np.float32) * 0.9 + 0.1 * base[..., c]
    view, _ = reframe((printed * 255).astype(np.uint8), rng, zoom=float(rng.uniform(1.05, 1.25)), tilt=0.03, out=out)
    view = cv2.GaussianBlur(view, (0, 0), float(rng.uniform(0.6, 1.1)))
    return np.clip(view + rng.normal(0, 2.0, view.shape), 0, 255).astype(np.uint8)


def recapture(quick: bool) -> dict[str, Any]:
    from refundguard.checks._live.config import LiveConfig
    from refundguard.checks._live.recapture import periodicity

    cfg = LiveConfig()
    rng = np.random.default_rng(SEED + 4)
    photos = sorted((CORPUS / "multiview" / "sceaux_castle").glob("*.JPG")) + \
        sorted((CORPUS / "multiview" / "buddha").glob("*.jpg")) + sorted((CORPUS / "natural").glob("*.jpg")) + \
        sorted((CORPUS / "inpainting" / "sagi").glob("*.jpg"))[::2]
    if not photos:
        return {"skipped": f"corpus not found at {CORPUS}"}
    photos = photos[:8] if quick else photos
    counts = {"honest": [0, 0], "screen": [0, 0], "print": [0, 0]}
    for path in photos:
        img = _read(path)
        for kind, pixels in (("honest", img), ("screen", screen_photo(img, rng)), ("print", print_photo(img, rng))):
            decoded = np.asarray(Image.open(io.BytesIO(_jpeg(pixels, 90))).convert("RGB"))
            p = periodicity(decoded, prominence=cfg.moire_prominence)
            counts[kind][0] += p.share >= cfg.moire_share
            counts[kind][1] += 1
    return {k: {"flagged": f"{a}/{n}", "rate": round(a / n, 4) if n else None} for k, (a, n) in counts.items()} | {
        "note": "periodic-colour cue alone (the check also uses the claim photo shown whole inside a shot, and flat "
                "geometry); honest = real camera photos as live shots"}


# --------------------------------------------------------------------------------------------- timing
def timing(quick: bool) -> dict[str, Any]:
    from refundguard.checks.registry import ClaimInfo, LiveSession, LiveShot
    from refundguard.engine import analyze
    from refundguard.media.load import load_image
    from refundguard.passes import MemoryPassCache

    scene = _read(CORPUS / "multiview" / "sceaux_castle" / "100_7102.JPG") if CORPUS.is_dir() else None
    if scene is None:
        return {"skipped": f"corpus not found at {CORPUS}"}
    views = [_read(CORPUS / "multiview" / "sceaux_castle" / f"100_{n}.JPG") for n in (7103, 7104, 7105)]
    rng = np.random.default_rng(SEED + 5)
    size = (4000, 3000)
    repeats = 2 if quick else 5
    walls, cpus = [], []
    for r in range(repeats):
        def big(img: np.ndarray, rr: int = r) -> np.ndarray:
            out = cv2.resize(img, size, interpolation=cv2.INTER_CUBIC)
            out[0, 0] = (rr * 37) % 255  # a new file each repeat: nothing cached from the last one
            return out

        code = _code(rng)
        claim = load_image(_jpeg(big(scene)), name="claim.jpg")
        shots = [load_image(_jpeg(place_card(big(views[0]), card(code, 420, FONTS_TUNED[0], rng), rng)), name="a.jpg"),
                 load_image(_jpeg(big(views[1])), name="b.jpg"), load_image(_jpeg(big(views[2])), name="c.jpg")]
        kinds = ("whole", "close", "turned")
        cache = MemoryPassCache()
        analyze([claim], cache=cache)  # the claim, analysed when it was filed
        for k in (1, 2):  # each shot analysed as it arrives (the service's prefetch)
            info = ClaimInfo(live=LiveSession("bench", code, tuple(LiveShot(x) for x in kinds[:k])))
            analyze([claim], live=shots[:k], info=info, cache=cache)
        info = ClaimInfo(live=LiveSession("bench", code, tuple(LiveShot(x) for x in kinds)))
        wall, cpu = time.perf_counter(), time.process_time()
        final = analyze([claim], live=shots, info=info, cache=cache)  # the last shot has arrived
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        print(f"  timing repeat {r}: {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU, level {final.assessment.level}",
              flush=True)
    load = os.getloadavg()
    return {"shots": "three 4000x3000 (12 MP) JPEG shots and a 12 MP claim photo", "repeats": repeats,
            "last_shot_to_verdict_wall_s": {"median": round(statistics.median(walls), 2),
                                            "max": round(max(walls), 2)},
            "last_shot_to_verdict_cpu_s": {"median": round(statistics.median(cpus), 2), "max": round(max(cpus), 2)},
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "load_average_1_5_15": [round(v, 2) for v in load],
            "note": "the machine is shared with other engineers: wall time is noisy; CPU seconds count every thread"}


def run(quick: bool = False) -> dict[str, Any]:
    """Sessions judged end to end, code reading, screen/print recapture, and time from last shot to verdict."""
    return {"sessions": sessions(quick), "code": code_reading(quick), "recapture": recapture(quick),
            "timing": timing(quick)}


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.capture_session``: a subset of the benchmark while tuning (the full run is
    ``python -m bench capture_session``); prints the summary and writes it to ``--out`` (not bench/results/)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.capture_session", description=main.__doc__)
    parser.add_argument("--sections", default="sessions", help="comma-separated: sessions,code,recapture,timing")
    parser.add_argument("--views", type=int, default=3, help="multi-view scenes (6 sessions each)")
    parser.add_argument("--tiles", type=int, default=4, help="magnetic tiles (one honest session each)")
    parser.add_argument("--pairs", type=int, default=4, help="inpainting pairs (a forged and an honest session)")
    parser.add_argument("--split", choices=("all", "tuned", "held_out"), default="all",
                        help="judge only the tuned or only the held-out sessions")
    parser.add_argument("--quick", action="store_true", help="quick code, recapture and timing sections")
    parser.add_argument("--out", type=Path, default=None, help="write the result here as JSON")
    parser.add_argument("--full-sessions", action="store_true", help="every session (the full run's), and --out "
                        "in bench/results/ form, saying which sections were quick")
    args = parser.parse_args(argv)
    chosen = set(args.sections.split(","))
    started = time.perf_counter()
    result: dict[str, Any] = {}
    if "sessions" in chosen:
        sizes = ((len(TUNED_SCENES) + len(HELD_OUT_SCENES), 10, 12) if args.full_sessions
                 else (args.views, args.tiles, args.pairs))
        result["sessions"] = sessions(args.quick, sizes, args.split)
        print(json.dumps({k: v for k, v in result["sessions"].get("summary", {}).items() if k != "by_set"}, indent=1))
    for name, section in (("code", code_reading), ("recapture", recapture), ("timing", timing)):
        if name in chosen:
            result[name] = section(args.quick)
            print(json.dumps(result[name], indent=1))
    if args.out:
        if args.full_sessions:
            from datetime import UTC, datetime

            from bench.__main__ import _cpus

            result = {"benchmark": "capture_session", "quick": False,
                      "date": datetime.now(UTC).isoformat(timespec="seconds"),
                      "machine": {"python": platform.python_version(), "cpus": _cpus()},
                      "seconds": round(time.perf_counter() - started, 1), **result,
                      "sections": {name: ("quick" if args.quick and name != "sessions" else "full")
                                   for name in result}}
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
