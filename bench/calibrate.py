"""Calibrate the verdict: fit the log-odds weights of the finding codes on labelled claims.

Labelled data (all real photos or claimbench cases made from them):

- forged (1): claimbench forged claims (listing photo + damage or real AI inpainting, laundered) with their
  references; real AI-inpainted photos without a reference (SAGI edited, MagicInpainter tampered, CocoGlide
  fakes); real AI-generator outputs (corpus provenance/ai); two photos of one object with damage painted
  independently in each (bench.multiview's pairs), or one showing a real AI inpainting and the other the
  original picture (SAGI; MagicInpainter for evaluation only).
- genuine (0): claimbench genuine claims (different captures of one object, real damage beside a reference of
  the same product type, the reference re-sent — a derived copy is *not* a forgery, a policy floor sends it to
  review); honest photos with real damage (damage/magnetic_tile, no reference); camera photos (natural/,
  SAGI originals, CocoGlide reals); two views of one damage carried through the true geometry; two views of
  one original picture.
- splices (bench.tamper's edits): honest camera JPEGs re-saved once (genuine) and the same photos with a pasted,
  shifted, smoothed or resampled region saved once (forged, no reference): the forger's paste; and JPEGs cropped
  off their 8x8 grid and saved again at q95 or as PNG, as they are (genuine) or with a stain, a smoothed region
  or a pasted patch (forged).

Every case runs the full ``analyze`` (all checks, no reuse index). The features of a claim are the counted
findings' scores by code. The model is the verdict's own: ``logit P(forged) = intercept + Σ weight × score``.
It is fitted by maximum a posteriori logistic regression: each weight has a Gaussian prior centred on the
value set from the code's meaning before any data (``PRIOR``) and bounded in sign, so a code seen on a handful
of files (GB 45438 labels, generator metadata: perfect separation on tiny counts) keeps a strong weight while
codes seen often (tamper traces, screenshots) are set by the data. The intercept holds at the data's share of
forged claims; the verdict moves it to the platform's ``base_rate`` (prior correction), and the evaluation
re-weights the classes to that base rate. Reliability and level rates are measured out of sample (stratified
5-fold cross-validation by source) and in sample for the shipped fit.

``python -m bench calibrate [--quick]`` writes ``bench/results/calibrate.json``;
``python scripts/apply_calibration.py`` writes its fit into ``src/refundguard/data/calibration.toml``.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy.optimize import minimize

from refundguard.config import default_settings, logit
from refundguard.engine import analyze
from refundguard.errors import InputError
from refundguard.findings import CODES, FIXED_WEIGHT
from refundguard.media.load import LoadedImage, load_image

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FULL = {"forged": 60, "genuine": 60, "tiles": 142, "per_folder": 25, "view_pairs": 8}
QUICK = {"forged": 10, "genuine": 10, "tiles": 20, "per_folder": 5, "view_pairs": 2}
FOLDS = 5
SEED = 424242
#: the platform share of forged claims the evaluation re-weights to (the shipped ``base_rate``).
BASE_RATE = 0.05
#: sources whose licence allows evaluation but not fitting what ships (CocoGlide: research evaluation only;
#: MagicInpainter: GPL-3.0). They are scored, never fitted on: always out of sample.
EVALUATION_ONLY = ("cocoglide:", "magicinpainter:", "claimbench:forged:magicinpainter", "claimbench:genuine:road",
                   "views:ai:magicinpainter:")


@dataclass(frozen=True)
class Prior:
    """What a code's weight is believed to be before any data: Gaussian ``mean``/``sd`` within ``bounds``."""

    mean: float
    sd: float
    bounds: tuple[float, float] = (0.0, 12.0)


def _verified(mean: float) -> Prior:
    """A fact that names AI or forgery outright (a signed manifest, a standard label, a pixel-exact edit)."""
    return Prior(mean, 2.0)


def _weak(mean: float, cap: float) -> Prior:
    """Circumstantial evidence: honest photos show it too, so its weight is capped."""
    return Prior(mean, 1.0, (0.0, cap))


PRIOR: dict[str, Prior] = {
    "provenance.c2pa.ai_source": _verified(8.0),
    "provenance.c2pa.tampered": _verified(5.0),
    "provenance.c2pa.valid_capture": Prior(-2.0, 1.0, (-4.0, 0.0)),
    "provenance.c2pa.unverified": Prior(0.0, 0.5, (0.0, 1.0)),
    "provenance.aigc_label": _verified(8.0),
    "provenance.aigc_label.invalid": _verified(4.0),
    "provenance.iptc.ai_source": _verified(7.5),
    "provenance.generator_metadata": _verified(7.0),
    "provenance.remnant": _weak(2.5, 3.0),
    "provenance.conflict": _weak(1.0, 1.5),
    "provenance.hostile_metadata": _verified(3.0),
    "watermark.invisible": _verified(7.5),
    "label.visible_ai_text": _verified(7.5),  # a GB 45438 explicit label: as strong a declaration as IPTC's
    "reference.derived_edit": _verified(9.0),
    "reference.derived_copy": _weak(0.5, 2.0),
    "reference.derived_overlay": _weak(0.3, 2.0),
    "reference.different_product": _weak(0.5, 1.0),
    "reuse.duplicate": _verified(5.5),
    "reuse.template": _verified(5.5),
    "tamper.local": Prior(4.5, 2.0),
    "capture.after_delivery_mismatch": _verified(4.0),
    "capture.screenshot": _weak(1.0, 2.0),
    "capture.no_camera_data": _weak(0.5, 1.0),
    "capture.editing_software": _weak(1.0, 1.5),
    "capture.camera_mismatch": _weak(1.5, 2.0),
    "multiview.inconsistent_damage": _verified(5.5),
    "live.damage_absent": _verified(8.0),
    "live.damage_confirmed": Prior(-3.0, 1.0, (-5.0, 0.0)),
    "live.place_differs": _verified(6.0),
    "live.code_missing": _weak(1.5, 2.5),
    "live.code_wrong": Prior(3.0, 1.5, (0.0, 5.0)),
    "live.recapture": _verified(6.5),
    "live.item_not_matched": _weak(2.0, 3.0),
    "live.inconsistent_views": Prior(4.5, 2.0),
}
#: the intercept's prior: weak, centred on a third of the claims being forged.
INTERCEPT_PRIOR = Prior(-1.5, 3.0, (-8.0, 2.0))


def _loaded(img: np.ndarray) -> LoadedImage:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    return load_image(buf.getvalue())


def _files(folder: Path, pattern: str, limit: int) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file())[:limit]


def cases(sizes: dict[str, int]) -> Iterator[tuple[str, int, list[LoadedImage | Path], list[LoadedImage]]]:
    """``(source, label, claim photos, references)`` for every labelled claim."""
    from bench.claimbench import sources
    from bench.claimbench.generate import generate

    for case in generate(sizes["forged"], sizes["genuine"], seed=SEED):
        label = 1 if case.kind == "forged" else 0
        refs = [_loaded(r) for r in case.references]
        yield f"claimbench:{case.kind}:{case.source}", label, [_loaded(case.claim)], refs
    n = sizes["per_folder"]
    for original, edited in sources.sagi_pairs()[:n]:
        yield "sagi:edited", 1, [edited], []
        yield "sagi:original", 0, [original], []
    for _original, edited in sources.magicinpainter_pairs()[:n]:
        yield "magicinpainter:edited", 1, [edited], []
    for p in _files(CORPUS / "inpainting" / "cocoglide" / "fake", "*", n):
        yield "cocoglide:fake", 1, [p], []
    for p in _files(CORPUS / "inpainting" / "cocoglide" / "real", "*", n):
        yield "cocoglide:real", 0, [p], []
    for p in _files(CORPUS / "provenance" / "ai", "*", 100):
        yield "provenance:ai", 1, [p], []
    for p in _files(CORPUS / "natural", "*", 100):
        yield "natural", 0, [p], []
    tiles = sorted((CORPUS / "damage" / "magnetic_tile").glob("**/Imgs/*.jpg"))
    step = max(1, len(tiles) // sizes["tiles"])
    for p in tiles[::step][: sizes["tiles"]]:
        yield "damage:magnetic_tile", 0, [p], []
    yield from view_pairs(sizes["view_pairs"])
    yield from inpainted_views(n)
    yield from splices(sizes["view_pairs"])


def splices(limit: int) -> Iterator[tuple[str, int, list[LoadedImage | Path], list[LoadedImage]]]:
    """Honest camera JPEGs saved once more (genuine), and the same photos with a region pasted from another
    photo — aligned, off the 8x8 grid, smoothed, or scaled/rotated — then saved once (forged, no reference)."""
    from bench.tamper import captures, encode, resampled_splice, synthetic_edit

    photos = captures()[:limit]
    rng = np.random.default_rng(SEED)
    for n, (_name, cap) in enumerate(photos):
        donor = photos[(n + 1) % len(photos)][1]
        yield "splice:honest_resave", 0, [load_image(encode(cap, "jpeg92"))], []
        for kind in ("aligned", "shifted", "smoothed"):
            yield f"splice:{kind}", 1, [load_image(encode(synthetic_edit(cap, donor, kind)[0], "jpeg92"))], []
        yield "splice:resampled", 1, [load_image(encode(resampled_splice(cap, donor, rng)[0], "jpeg92"))], []
    yield from cropped_edits(photos, rng)


def cropped_edits(photos: list[tuple[str, np.ndarray]], rng: np.random.Generator
                  ) -> Iterator[tuple[str, int, list[LoadedImage | Path], list[LoadedImage]]]:
    """A listing-style JPEG (q75) cropped off its 8x8 grid and saved again at q95 or as PNG (genuine), and the
    same crop with a stain painted, a region smoothed or a patch pasted before that save (forged): the case of
    the earlier-lattice cue."""
    from bench.tamper import crop_off_grid, cropped_edit, encode

    for n, (_name, cap) in enumerate(photos):
        donor = photos[(n + 1) % len(photos)][1]
        base = crop_off_grid(cap, 75, rng)
        for final in ("jpeg95", "png"):
            yield "cropped:honest", 0, [load_image(encode(base, final))], []
            for kind in ("stain", "smoothed", "paste"):
                yield f"cropped:{kind}", 1, [load_image(encode(cropped_edit(base, donor, kind, rng)[0], final))], []


def view_pairs(per_kind: int) -> Iterator[tuple[str, int, list[LoadedImage | Path], list[LoadedImage]]]:
    """Two photos of one object: damage painted once and carried through the true geometry (genuine), or
    painted separately in each view (forged), for every claimbench damage kind."""
    from bench.claimbench import damage
    from bench.multiview import base_images, make_pair_with

    bases = base_images()
    for k, kind in enumerate(("crack", "stain", "tear", "dent")):
        painter = getattr(damage, f"add_{kind}")
        for n in range(per_kind):
            _name, base = bases[(k + n) % len(bases)]
            for consistent in (True, False):
                a, b = make_pair_with(base, SEED + 100 * k + n, painter, consistent=consistent)
                yield (f"views:{'consistent' if consistent else 'independent'}:{kind}", 0 if consistent else 1,
                       [load_image(a), load_image(b)], [])




def inpainted_views(limit: int) -> Iterator[tuple[str, int, list[LoadedImage | Path], list[LoadedImage]]]:
    """Two photos of one scene from two angles where one shows a real AI inpainting and the other the original
    (forged: the forger edits one photo and sends an untouched second one), and two views of the original
    (genuine); bench.multiview's ``ai_view_pair``."""
    from bench.claimbench import sources
    from bench.multiview import ai_view_pair

    taken: dict[str, int] = {}
    for i, (source, original, edited) in enumerate(sources.inpainting_pairs()):
        taken[source] = taken.get(source, 0) + 1
        if taken[source] > limit:
            continue
        o, e = sources.read(str(original)), sources.read(str(edited))
        for label, first, kind in ((1, "edited", "edited"), (0, "original", "original")):
            a, b, _, _ = ai_view_pair(o, e, SEED + 7000 + i, first, "original")
            yield f"views:ai:{source}:{kind}", label, [load_image(a), load_image(b)], []


@dataclass
class Data:
    """The labelled claims as features: the counted findings' best score per code on the claim."""

    codes: list[str]
    x: np.ndarray
    y: np.ndarray
    sources: list[str]

    @property
    def trainable(self) -> np.ndarray:
        """Claims whose source licence allows fitting the shipped weights on them."""
        return np.array([not s.startswith(EVALUATION_ONLY) for s in self.sources])

    @property
    def copies(self) -> np.ndarray:
        """Re-sent listing photos: genuine, sent to review by the policy floor rather than by their risk."""
        return np.array([s.endswith(":copy") for s in self.sources])


def features(sizes: dict[str, int]) -> Data:
    codes = sorted(set(CODES) - FIXED_WEIGHT)
    rows, labels, sources = [], [], []
    for source, label, claim, refs in cases(sizes):
        try:
            result = analyze(claim, refs)
        except InputError:
            continue
        x = np.zeros(len(codes))
        for n, f in enumerate(result.findings):
            if n in result.assessment.uncounted:
                continue
            if f.image is None or result.roles[f.image] == "claim":
                i = codes.index(f.code)
                x[i] = max(x[i], f.score)
        rows.append(x)
        labels.append(label)
        sources.append(source)
    return Data(codes, np.array(rows), np.array(labels, float), sources)


@dataclass(frozen=True)
class Fit:
    intercept: float
    weights: np.ndarray
    training_share: float

    def logits(self, x: np.ndarray, base_rate: float | None = None) -> np.ndarray:
        """Log-odds of forgery, at the training share or moved to ``base_rate`` (prior correction)."""
        shift = 0.0 if base_rate is None else logit(base_rate) - logit(self.training_share)
        return self.intercept + shift + x @ self.weights


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def fit(codes: list[str], x: np.ndarray, y: np.ndarray, prior: dict[str, Prior] | None = None) -> Fit:
    """Maximum a posteriori logistic regression: log-likelihood of the labels plus the Gaussian priors."""
    table = PRIOR if prior is None else prior
    priors = [INTERCEPT_PRIOR] + [table[c] for c in codes]
    mean = np.array([p.mean for p in priors])
    prec = 1.0 / np.array([p.sd for p in priors]) ** 2
    bounds = [p.bounds for p in priors]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + x @ theta[1:]
        p = _sigmoid(z)
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z))
        grad_z = p - y
        grad = np.concatenate([[grad_z.sum()], x.T @ grad_z]) + prec * (theta - mean)
        return nll + 0.5 * float(np.sum(prec * (theta - mean) ** 2)), grad

    start = np.clip(mean, [b[0] for b in bounds], [b[1] for b in bounds])
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return Fit(float(res.x[0]), res.x[1:], float(y.mean()))


def folds(sources: list[str], k: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Fold of every claim, stratified by source (each source spread evenly over the folds)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(sources), int)
    for s in sorted(set(sources)):
        idx = np.flatnonzero(np.array(sources) == s)
        out[rng.permutation(idx)] = np.arange(len(idx)) % k
    return out


def class_weights(y: np.ndarray, base_rate: float) -> np.ndarray:
    """Importance weights that give the forged class the share ``base_rate``."""
    share = y.mean()
    return np.where(y == 1, base_rate / share, (1 - base_rate) / (1 - share))


def reliability(risk: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None,
                bins: int = 10) -> dict[str, Any]:
    """Brier score, expected calibration error and the reliability table (optionally importance-weighted)."""
    w = np.ones_like(risk) if weight is None else weight
    edges = np.linspace(0, 1, bins + 1)
    ece, table = 0.0, []
    for lo, hi in itertools.pairwise(edges):
        sel = (risk >= lo) & (risk < hi if hi < 1 else risk <= hi)
        if not sel.any():
            continue
        mass = w[sel].sum()
        predicted = float(np.sum(w[sel] * risk[sel]) / mass)
        observed = float(np.sum(w[sel] * y[sel]) / mass)
        ece += mass / w.sum() * abs(predicted - observed)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(sel.sum()), "mean_risk": round(predicted, 4),
                      "forged_share": round(observed, 4)})
    return {"brier": round(float(np.sum(w * (risk - y) ** 2) / w.sum()), 4), "ece": round(float(ece), 4),
            "table": table}


def level_rates(risk: np.ndarray, y: np.ndarray, copies: np.ndarray, review: float, high: float) -> dict[str, Any]:
    """Detection and false-positive rates of the levels by risk alone. Re-sent listing photos are genuine but
    reach review through the policy floor, so they are left out of the review false-positive rate."""
    genuine = (y == 0) & ~copies
    return {"fpr_review": round(float(np.mean(risk[genuine] >= review)), 4),
            "fpr_high": round(float(np.mean(risk[y == 0] >= high)), 4),
            "false_positives_review": int(np.sum(risk[genuine] >= review)),
            "genuine": int(genuine.sum()),
            "detection_review": round(float(np.mean(risk[y == 1] >= review)), 4),
            "detection_high": round(float(np.mean(risk[y == 1] >= high)), 4)}


def cross_validated(data: Data, base_rate: float) -> np.ndarray:
    """Out-of-fold log-odds at ``base_rate``: every claim scored by a fit that never saw it (evaluation-only
    sources are in no fit; they are scored by every fold's model in turn and averaged)."""
    fold = folds(data.sources)
    out = np.zeros(len(data.y))
    held = ~data.trainable
    for k in range(FOLDS):
        train = (fold != k) & data.trainable
        test = (fold == k) & data.trainable
        model = fit(data.codes, data.x[train], data.y[train])
        out[test] = model.logits(data.x[test], base_rate)
        out[held] += model.logits(data.x[held], base_rate) / FOLDS
    return out


def shipped_logits(data: Data) -> np.ndarray:
    """Log-odds by the settings as shipped (``calibration.toml`` + ``base_rate``)."""
    settings = default_settings()
    w = np.array([settings.weight(c) for c in data.codes])
    return settings.prior_logit + data.x @ w


def evaluate(logits: np.ndarray, data: Data, base_rate: float) -> dict[str, Any]:
    settings = default_settings()
    risk = _sigmoid(logits)
    return {"at_base_rate": reliability(risk, data.y, class_weights(data.y, base_rate)),
            **level_rates(risk, data.y, data.copies, settings.levels.review, settings.levels.high)}


def run(quick: bool = False) -> dict[str, Any]:
    data = features(QUICK if quick else FULL)
    model = fit(data.codes, data.x[data.trainable], data.y[data.trainable])
    cv = cross_validated(data, BASE_RATE)
    seen = data.x[data.trainable].max(axis=0) > 0
    risk_fit = _sigmoid(model.logits(data.x, BASE_RATE))
    risk_shipped = _sigmoid(shipped_logits(data))
    settings = default_settings()
    per_source: dict[str, dict[str, Any]] = {}
    for s in sorted(set(data.sources)):
        sel = np.array([src == s for src in data.sources])
        per_source[s] = {"n": int(sel.sum()), "label": int(data.y[sel][0]),
                         "mean_risk": round(float(risk_shipped[sel].mean()), 4),
                         "share_review": round(float(np.mean(risk_shipped[sel] >= settings.levels.review)), 3),
                         "share_high": round(float(np.mean(risk_shipped[sel] >= settings.levels.high)), 3)}
    return {
        "cases": len(data.y), "forged": int(data.y.sum()), "genuine": int((1 - data.y).sum()),
        "fitted_on": int(data.trainable.sum()), "evaluation_only": sorted(EVALUATION_ONLY),
        "base_rate": BASE_RATE, "folds": FOLDS, "seed": SEED,
        "fit": {"intercept": round(model.intercept, 4), "training_share": round(model.training_share, 4),
                "weights": {c: round(float(v), 3) for c, v in zip(data.codes, model.weights, strict=True)},
                "codes_with_data": [c for c, s in zip(data.codes, seen, strict=True) if s],
                "codes_without_data": [c for c, s in zip(data.codes, seen, strict=True) if not s]},
        "cross_validated": evaluate(cv, data, BASE_RATE),
        "in_sample": evaluate(model.logits(data.x, BASE_RATE), data, BASE_RATE),
        "shipped": {"prior_logit": round(settings.prior_logit, 4), "base_rate": settings.base_rate,
                    **evaluate(shipped_logits(data), data, BASE_RATE),
                    "copies_in_review_by_floor": int(data.copies.sum())},
        "per_source": per_source,
        "agreement": round(float(np.max(np.abs(risk_fit - risk_shipped))), 4),
        "note": "risks are probabilities at the base rate: the classes are re-weighted to it for the reliability "
                "numbers; codes without data keep their prior means; weights change the verdict only through "
                "scripts/apply_calibration.py",
    }
