"""Calibrate the verdict: fit the log-odds weights of the finding codes on labelled claims.

Labelled data (all real photos or claimbench cases made from them):

- forged (1): claimbench forged claims (listing photo + damage or real AI inpainting, laundered) with their
  references; real AI-inpainted photos without a reference (SAGI edited, MagicInpainter tampered, CocoGlide
  fakes); real AI-generator outputs (corpus provenance/ai).
- genuine (0): claimbench genuine claims (different captures of one object, real damage beside a reference of
  the same product type, the reference re-sent — a derived copy is *not* a forgery, the policy sends it to
  review); honest photos with real damage (damage/magnetic_tile, no reference); camera photos (natural/,
  SAGI originals, CocoGlide reals).

Every case runs the full ``analyze`` (all checks, no reuse index). The features of a claim are the codes'
scores on its photo; a logistic regression with bounds (weights of evidence codes >= 0, capped for weak codes;
``provenance.c2pa.valid_capture`` <= 0) and an L2 penalty is fitted with SciPy. The result holds the fitted
weights, reliability (Brier score, expected calibration error), and the detection rate and false-positive
rate of the ``review``/``high`` levels with the fitted weights and with the shipped defaults.

``python -m bench calibrate [--quick]``.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from scipy.optimize import minimize

from refundguard.config import default_settings
from refundguard.engine import analyze
from refundguard.errors import InputError
from refundguard.findings import CODES
from refundguard.media.load import LoadedImage, load_image
from refundguard.verdict import sigmoid

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
WEAK = {"capture.no_camera_data": 1.0, "capture.screenshot": 2.0, "capture.editing_software": 1.5,
        "reference.different_product": 1.0, "provenance.conflict": 1.5, "provenance.remnant": 3.0}
NEGATIVE = {"provenance.c2pa.valid_capture"}
FULL = {"forged": 60, "genuine": 60, "tiles": 142, "per_folder": 25}
QUICK = {"forged": 10, "genuine": 10, "tiles": 20, "per_folder": 5}


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

    for case in generate(sizes["forged"], sizes["genuine"], seed=424242):
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


def features(sizes: dict[str, int]) -> tuple[list[str], np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Per claim: the counted findings' scores by code, the label, the source and the shipped verdict's risk."""
    codes = sorted(CODES)
    rows, labels, sources, risks = [], [], [], []
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
        risks.append(result.assessment.risk)
    return codes, np.array(rows), np.array(labels, float), sources, np.array(risks)


def fit(codes: list[str], x: np.ndarray, y: np.ndarray, l2: float = 0.05) -> tuple[float, np.ndarray]:
    """Bounded, L2-penalised logistic regression; returns (bias, weights)."""
    bounds = [(-8.0, 0.0)]
    for code in codes:
        if code in NEGATIVE:
            bounds.append((-4.0, 0.0))
        else:
            bounds.append((0.0, WEAK.get(code, 12.0)))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + x @ theta[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-9
        value = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + l2 * np.sum(theta[1:] ** 2) / len(y)
        grad_z = (p - y) / len(y)
        grad = np.concatenate([[grad_z.sum()], x.T @ grad_z + 2 * l2 * theta[1:] / len(y)])
        return value, grad

    start = np.concatenate([[-3.0], [default_settings().weight(c) for c in codes]])
    start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return float(res.x[0]), res.x[1:]


def _levels(risk: np.ndarray, y: np.ndarray, review: float, high: float, copies: np.ndarray) -> dict[str, float]:
    """Detection and false-positive rates of the levels. Re-sent listing photos (derived copies) are genuine but
    belong in review by policy, so they are left out of the review false-positive rate and reported apart."""
    genuine, forged = risk[y == 0], risk[y == 1]
    return {"fpr_review": round(float(np.mean(risk[(y == 0) & ~copies] >= review)), 4),
            "copies_in_review": round(float(np.mean(risk[copies] >= review)), 4) if copies.any() else None,
            "fpr_high": round(float(np.mean(genuine >= high)), 4),
            "detection_review": round(float(np.mean(forged >= review)), 4),
            "detection_high": round(float(np.mean(forged >= high)), 4)}


def _reliability(risk: np.ndarray, y: np.ndarray, bins: int = 10) -> dict[str, float]:
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (risk >= lo) & (risk < hi if hi < 1 else risk <= hi)
        if sel.any():
            ece += sel.mean() * abs(risk[sel].mean() - y[sel].mean())
    return {"brier": round(float(np.mean((risk - y) ** 2)), 4), "ece": round(float(ece), 4)}


def run(quick: bool = False) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    settings = default_settings()
    codes, x, y, sources, default_risk = features(sizes)
    bias, w = fit(codes, x, y)
    fitted_risk = np.array([sigmoid(bias + row @ w) for row in x])
    copies = np.array([src.endswith(":copy") for src in sources])
    seen = x.max(axis=0) > 0
    per_source: dict[str, dict[str, Any]] = {}
    for s in sorted(set(sources)):
        sel = np.array([src == s for src in sources])
        per_source[s] = {"n": int(sel.sum()), "label": int(y[sel][0]),
                         "share_high_default": round(float(np.mean(default_risk[sel] >= settings.levels.high)), 3),
                         "share_review_default": round(float(np.mean(default_risk[sel] >= settings.levels.review)), 3)}
    review, high = settings.levels.review, settings.levels.high
    return {
        "cases": len(y), "forged": int(y.sum()), "genuine": int((1 - y).sum()),
        "default": {"prior_logit": settings.prior_logit, **_levels(default_risk, y, review, high, copies),
                    **_reliability(default_risk, y)},
        "fitted": {"bias": round(bias, 3), **_levels(fitted_risk, y, review, high, copies),
                   **_reliability(fitted_risk, y),
                   "weights": {c: round(float(v), 3) for c, v, s in zip(codes, w, seen, strict=True) if s},
                   "codes_without_data": [c for c, s in zip(codes, seen, strict=True) if not s]},
        "per_source": per_source,
        "note": "weights of codes absent from the data keep their configured prior values; the bias reflects "
                "this data's class balance, not the platform base rate, which prior_logit sets",
    }
