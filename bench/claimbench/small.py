"""Small-damage cases: :mod:`recipes` on real photos, crossed with every laundering, tuned and held out.

Two fixed, disjoint splits (see bench/HELD_OUT.md):

- ``tuned``: the tuned recipes (thin scratch, spot, dent, soft stain; watermark, sticker, UI bar) on
  claimbench's reference photos (:func:`sources.reference_photos`). The detector's thresholds were chosen
  looking at these.
- ``held_out``: *every* recipe, including the held-out ones (scratch cluster, chip, text-like mark,
  price tag), on photos no tuning used: the real hand-held captures of ``multiview/`` (Sceaux castle,
  Buddha), ``natural/earth_apollo17.jpg`` and three MagicInpainter originals (two beaches, a dog). Only
  scored, never looked at while tuning.
- ``fresh``: a second held-out draw (issue #16, eighth session), because ``held_out`` had been scored at the
  end of six sessions and its totals read each time: the same recipes on the same held-out photos, drawn
  from :data:`FRESH_SEED` (photo, place, size, shape and laundering parameters of every case are new) with
  the strength cycle turned by two (each recipe meets each laundering at another strength than in
  ``held_out``), case ids ``fresh-NNNN``. Scored only, like ``held_out``.

Each damage recipe meets each laundering (none, the ten claimbench steps, the six harder steps of
:mod:`launder_extra`) once, with the strength cycling through :data:`recipes.STRENGTHS`; the issue's
target, a thin scratch after 0.5x + JPEG q50, gets two cases per strength. Overlays meet every laundering
(tuned) or every other one (held out); unchanged copies meet every laundering.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from bench.claimbench import launder_extra, recipes, sources
from bench.claimbench.generate import Case, _limit

LAUNDERINGS = ("none", *launder_extra.ALL)
TARGET = ("thin_scratch", "half_q50")
#: the held-out splits and how each is drawn: (seed, rng stream, strength cycle offset); ``seed`` None uses the
#: ``seed`` argument of :func:`cases` (16 by default)
SPLITS: dict[str, tuple[int | None, int, int]] = {"tuned": (None, 0, 0), "held_out": (None, 1, 0),
                                                 "fresh": (20261203, 2, 2)}
#: the seed of the second held-out draw (``fresh``)
FRESH_SEED = SPLITS["fresh"][0]
#: how many times a damage is drawn again when its mask is empty before or after the laundering
DRAWS = 8
HELD_OUT_FILES = (("natural", "earth_apollo17.jpg"), ("inpainting", "magicinpainter", "beach", "beach1.jpg"),
                  ("inpainting", "magicinpainter", "beach3", "beach.jpg"),
                  ("inpainting", "magicinpainter", "dog", "dog.jpg"))


def held_out_photos() -> list[tuple[str, np.ndarray]]:
    """The held-out photos: every multiview capture plus the files of :data:`HELD_OUT_FILES`."""
    paths: list[Path] = sorted((sources.CORPUS / "multiview" / "sceaux_castle").glob("*.JPG"))
    paths += sorted((sources.CORPUS / "multiview" / "buddha").glob("*.jpg"))
    paths += [sources.CORPUS.joinpath(*parts) for parts in HELD_OUT_FILES]
    return [(str(p.relative_to(sources.CORPUS)), sources.read(str(p))) for p in paths if p.exists()]


def _launder(img: np.ndarray, mask: np.ndarray | None, step: str,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    return (img, mask) if step == "none" else launder_extra.ALL[step](img, mask, rng)


def _case(split: str, i: int, recipe: str | None, strength: str, step: str, photos: list[tuple[str, np.ndarray]],
          seed: int) -> Case:
    own_seed, stream, _ = SPLITS[split]
    rng = np.random.default_rng([seed if own_seed is None else own_seed, stream, i])
    name, photo = photos[int(rng.integers(len(photos)))]
    ref, _ = _limit(photo)
    if recipe is None:
        claim, mask = _launder(ref, None, step, rng)
        return Case(id=f"{split}-{i:04d}", kind="genuine", expected="derived_copy", source="copy", laundering=step,
                    steps=[] if step == "none" else [step], claim=claim, references=[ref],
                    notes={"photo": name, "recipe": "copy", "family": "copy", "strength": "-"})
    info = recipes.RECIPES[recipe]
    # a mark that changed nothing visibly (a dent on black), or whose few changed pixels the laundering's
    # resampling took out of the mask (tuned-0063: a 2 px stain mask after 0.5x, each pixel a quarter of a
    # reduced one), is drawn again elsewhere: a damage case without a mask can never be found and was
    # counted as a miss. Cases whose first draw has a mask are unchanged (same random stream).
    draws, claim, mask = 0, None, None
    while draws < DRAWS and (mask is None or not mask.any()):
        draws += 1
        marked, drawn = info.make(ref, rng, recipes.STRENGTHS[strength])
        if drawn.any():
            claim, mask = _launder(marked, drawn, step, rng)
    if claim is None:  # no draw changed anything visibly: launder the last one (kept, reported as maskless)
        claim, mask = _launder(marked, drawn, step, rng)
    expected = "derived_edit" if info.family == "damage" else "derived_overlay"
    return Case(id=f"{split}-{i:04d}", kind="forged" if info.family == "damage" else "genuine", expected=expected,
                source=recipe, laundering=step, steps=[] if step == "none" else [step], claim=claim,
                references=[ref], mask=mask,
                notes={"photo": name, "recipe": recipe, "family": info.family, "strength": strength,
                       "draws": draws})


def cases(split: str, seed: int = 16, quick: bool = False) -> Iterator[Case]:
    """Yield the cases of ``split`` ("tuned", "held_out" or "fresh"), reproducibly from ``seed`` (the tuned
    and first held-out split; ``fresh`` has its own, :data:`FRESH_SEED`)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    held = split != "tuned"
    turn = SPLITS[split][2]
    photos = held_out_photos() if held else sources.reference_photos()
    names = [r for r in recipes.RECIPES if held or r not in recipes.HELD_OUT]
    damage = [r for r in names if recipes.RECIPES[r].family == "damage"]
    overlay = [r for r in names if recipes.RECIPES[r].family == "overlay"]
    strengths = list(recipes.STRENGTHS)
    steps = LAUNDERINGS[::4] if quick else LAUNDERINGS
    plan: list[tuple[str | None, str, str]] = []
    for r_i, recipe in enumerate(damage):
        for s_i, step in enumerate(steps):
            plan.append((recipe, strengths[(r_i + s_i + turn) % len(strengths)], step))
    for strength in strengths:
        plan += [(TARGET[0], strength, TARGET[1])] * (1 if quick else 2)
    for r_i, recipe in enumerate(overlay):
        for s_i, step in enumerate(steps):
            if not held or (r_i + s_i) % 2 == 0:
                plan.append((recipe, strengths[(r_i + s_i + turn) % len(strengths)], step))
    for s_i, step in enumerate(steps):
        if not held or s_i % 2 == 0:
            plan.append((None, "-", step))
    for i, (recipe, strength, step) in enumerate(plan):
        yield _case(split, i, recipe, strength, step, photos, seed)


def honest_pairs(quick: bool = False) -> Iterator[Case]:
    """Honest re-captures: two different views of one object (multiview), the claim through a laundering.

    Sceaux: each view with the next and the one after (both directions); Buddha: each view with the next.
    Expected: no ``derived_*`` finding (the buyer photographed the product; the check may say nothing).
    """
    groups = [sorted((sources.CORPUS / "multiview" / "sceaux_castle").glob("*.JPG")),
              sorted((sources.CORPUS / "multiview" / "buddha").glob("*.jpg"))]
    pairs: list[tuple[Path, Path]] = []
    for g, files in enumerate(groups):
        for gap in ((1, 2) if g == 0 else (1,)):
            for a, b in zip(files, files[gap:], strict=False):
                pairs += [(a, b), (b, a)]
    if quick:
        pairs = pairs[::6]
    for i, (claim_path, ref_path) in enumerate(pairs):
        rng = np.random.default_rng([61, i])
        step = LAUNDERINGS[i % len(LAUNDERINGS)]
        claim, _ = _limit(sources.read(str(claim_path)))
        ref, _ = _limit(sources.read(str(ref_path)))
        claim, _ = _launder(claim, None, step, rng)
        yield Case(id=f"honest-{i:04d}", kind="genuine", expected="none", source="multiview", laundering=step,
                   steps=[] if step == "none" else [step], claim=claim, references=[ref],
                   notes={"photo": f"{claim_path.parent.name}/{claim_path.name} vs {ref_path.name}",
                          "recipe": "honest", "family": "honest", "strength": "-"})
