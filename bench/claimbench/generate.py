"""Seeded generator of labelled claims: forged (reference + damage, laundered) and genuine.

``generate(n_forged, n_genuine, seed)`` yields :class:`Case` objects. The same seed gives the same cases.

Forged claims: a clean reference photo with procedural damage (crack, shatter, stain, tear, dent) or a
real defect crop from the magnetic-tile set pasted in, or a real AI-inpainted pair (SAGI,
MagicInpainter) with its original as the reference; then one laundering type (or a chain). Every forged
case carries its ground-truth mask in claim pixels: the pixels that visibly changed. A procedural edit
that changes less than 0.05 % of the photo visibly (a dark stain on black) is redrawn.

Genuine claims: distinct captures of one object (stereo motorcycle, two photos of one street, two tiles
of one type where the claim tile has a real crack/break) and the reference itself re-sent (derived copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.claimbench import damage, launder, sources

LAUNDERING = ("none", "jpeg", "jpeg_twice", "resize", "crop", "rotate", "perspective", "mirror", "messaging",
              "screenshot", "colour", "chain")
MAX_SIDE = 1600
#: a forged edit must visibly change at least this share of the photo (else it is redrawn)
MIN_VISIBLE = 0.0005


@dataclass
class Case:
    """One labelled claim.

    Attributes
    ----------
    kind : "forged" or "genuine".
    expected : "derived_edit", "derived_copy" or "none" (what the reference check should say).
    source : where the claim came from ("procedural:crack", "defect", "sagi", "stereo", ...).
    laundering : the laundering type ("none", a step name, or "chain").
    steps : the laundering steps applied, in order.
    claim, references : RGB uint8 images; ``references[0]`` is the one the claim relates to.
    mask : ground-truth changed pixels in claim coordinates (forged cases only).
    """

    id: str
    kind: str
    expected: str
    source: str
    laundering: str
    steps: list[str]
    claim: np.ndarray
    references: list[np.ndarray]
    mask: np.ndarray | None = None
    notes: dict[str, str] = field(default_factory=dict)


def _limit(img: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    import cv2

    h, w = img.shape[:2]
    f = MAX_SIDE / max(h, w)
    if f >= 1:
        return np.ascontiguousarray(img), mask
    size = (round(w * f), round(h * f))
    img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    if mask is not None:
        mask = cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 127
    return img, mask


def _launder(img: np.ndarray, mask: np.ndarray | None, kind: str,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    if kind == "none":
        return img, mask, []
    if kind == "chain":
        return launder.chain(img, mask, rng)
    out, mk = launder.STEPS[kind](img, mask, rng)
    return out, mk, [kind]


def _damage(rng: np.random.Generator, refs: list[tuple[str, np.ndarray]], pairs: list[tuple[str, Path, Path]],
            defects: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """One edited photo: (reference, claim, mask, source). Edits that barely change the photo are redrawn."""
    pick = rng.random()
    if pick < 0.25 and pairs:
        src, original_path, edited_path = pairs[int(rng.integers(len(pairs)))]
        ref = sources.read(str(original_path))
        edited = sources.read(str(edited_path))
        return ref, edited, sources.inpainting_mask(ref, edited), src
    for _ in range(8):
        _, ref = refs[int(rng.integers(len(refs)))]
        ref, _ = _limit(ref)
        if pick < 0.4 and defects:
            defect_img, defect_mask = sources.tile_defect(defects[int(rng.integers(len(defects)))])
            claim, mask = damage.paste_defect(ref, rng, defect_img, defect_mask)
            source = "defect"
        else:
            kind = str(rng.choice(list(damage.PROCEDURAL)))
            claim, mask = damage.PROCEDURAL[kind](ref, rng)
            source = f"procedural:{kind}"
        if mask.mean() >= MIN_VISIBLE:
            break
    return ref, claim, mask, source


def _forged(i: int, rng: np.random.Generator, laundering: str, refs: list[tuple[str, np.ndarray]],
            pairs: list[tuple[str, Path, Path]], defects: list[Path]) -> Case:
    ref, claim, mask, source = _damage(rng, refs, pairs, defects)
    ref, _ = _limit(ref)
    claim, mask = _limit(claim, mask)
    claim, mask, steps = _launder(claim, mask, laundering, rng)
    distractor = refs[int(rng.integers(len(refs)))][1]
    return Case(id=f"forged-{i:04d}", kind="forged", expected="derived_edit", source=source, laundering=laundering,
                steps=steps, claim=claim, references=[ref, _limit(distractor)[0]], mask=mask)


def _genuine(i: int, rng: np.random.Generator, laundering: str, refs: list[tuple[str, np.ndarray]]) -> Case:
    options = ["stereo", "copy", "tile"]
    road = sources.road_pair()
    if road is not None:
        options.append("road")
    source = options[i % len(options)]
    expected = "none"
    if source == "stereo":
        a, b = sources.stereo_pair()
        ref, claim = (a, b) if rng.random() < 0.5 else (b, a)
    elif source == "road" and road is not None:
        ref, claim = road if rng.random() < 0.5 else road[::-1]
    elif source == "tile":
        kind = str(rng.choice(["Crack", "Break"]))
        files = sources.tiles(kind)
        j, k = rng.choice(len(files), size=2, replace=False)
        claim, ref = sources.read(str(files[j])), sources.read(str(files[k]))
        source = f"tile:{kind.lower()}"
    else:
        _, ref = refs[int(rng.integers(len(refs)))]
        claim = ref
        expected = "derived_copy"
    ref, _ = _limit(ref)
    claim, _ = _limit(claim)
    claim, _, steps = _launder(claim, None, laundering, rng)
    return Case(id=f"genuine-{i:04d}", kind="genuine", expected=expected, source=source, laundering=laundering,
                steps=steps, claim=claim, references=[ref])


def generate(n_forged: int, n_genuine: int, seed: int = 20261123) -> Iterator[Case]:
    """Yield ``n_forged`` forged then ``n_genuine`` genuine cases, reproducibly from ``seed``.

    Laundering types cycle so each appears equally often. Requires ../shared/corpus.
    """
    if not sources.available():
        raise FileNotFoundError(f"claimbench needs the corpus at {sources.CORPUS}")
    refs = sources.reference_photos()
    pairs = sources.inpainting_pairs()
    defects = sources.tiles("Crack") + sources.tiles("Break")
    for i in range(n_forged):
        rng = np.random.default_rng([seed, 1, i])
        yield _forged(i, rng, LAUNDERING[i % len(LAUNDERING)], refs, pairs, defects)
    for i in range(n_genuine):
        rng = np.random.default_rng([seed, 2, i])
        yield _genuine(i, rng, LAUNDERING[(i // 4) % len(LAUNDERING)], refs)
