"""Reference check: is the claim photo the merchant's own photo, and if so, which regions were changed?

Each claim photo is matched against every usable reference photo (SIFT + MAGSAC homography, also
against the mirrored reference), aligned to sub-pixel accuracy (ECC), colour-normalised, and tested for
*same capture*: photos derived from one capture align everywhere and share fine detail, distinct
captures of the same product do not (parallax, independent noise). A derived claim is then differenced
against the reference to find the changed regions. See docs/reference_check.md for the method and the
measurements behind the thresholds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refundguard.checks._align import Comparison, Prepared, compare, prepare
from refundguard.checks._align.merge import Change
from refundguard.checks._align.settings import ReferenceConfig
from refundguard.checks._align.similarity import colour_similarity
from refundguard.checks.registry import CheckContext, check
from refundguard.errors import NotApplicable
from refundguard.findings import Finding, Heatmap, Region

#: names of the region kinds in both languages (see checks/_align/kinds.py)
KIND_NAMES: dict[str, tuple[str, str, str]] = {
    "scratch": ("scratch", "scratches", "划痕"), "crack": ("crack", "cracks", "裂纹"),
    "chip": ("chip", "chips", "磕碰缺口"), "stain": ("stain", "stains", "污渍"), "dent": ("dent", "dents", "凹痕"),
    "breakage": ("broken area", "broken areas", "破损"), "altered": ("altered area", "altered areas", "内容改动"),
    "text": ("text mark", "text marks", "文字"), "watermark": ("watermark", "watermarks", "水印"),
    "sticker": ("sticker", "stickers", "贴纸"), "price_tag": ("price tag", "price tags", "价格标签"),
    "ui_bar": ("app bar", "app bars", "应用界面栏"),
}
HEATMAP_LEGEND = [
    {"from": 0.0, "to": 0.49, "family": None, "en": "differences below the change threshold (laundering noise)",
     "zh": "低于修改阈值的差异（压缩、缩放等带来的噪声）"},
    {"from": 0.5, "to": 0.7, "family": "overlay",
     "en": "overlay drawn over the photo (text, watermark, sticker, price tag, app bar): not damage",
     "zh": "叠加在图片上的内容（文字、水印、贴纸、价格标签、界面栏）：不是损坏"},
    {"from": 0.75, "to": 1.0, "family": "damage",
     "en": "damage-like change (scratch, crack, chip, stain, dent, breakage, altered content)",
     "zh": "类似损坏的修改（划痕、裂纹、磕碰、污渍、凹痕、破损、内容改动）"},
]


def _prepared(ctx: CheckContext, index: int) -> Prepared:
    key = f"reference.prepared.{index}"
    if key not in ctx.cache:
        ctx.cache[key] = prepare(ctx.images[index].pixels)
    return ctx.cache[key]


def _transform(c: Comparison) -> list[list[float]]:
    assert c.homography is not None
    return [[round(float(v), 6) for v in row] for row in c.homography]


def _pair_details(ref_index: int, c: Comparison) -> dict[str, Any]:
    details: dict[str, Any] = {"reference_image": ref_index, "transform": _transform(c),
                               "mirrored": bool(c.match and c.match.mirrored),
                               "matched_features": int(c.match.inliers if c.match else 0),
                               "reference_coverage": round(c.coverage, 4),
                               "same_capture_probability": round(c.p_same, 4),
                               "subpixel_refined": c.ecc_converged}
    if c.capture is not None:
        details.update(capture_consistency=round(c.capture.consistency, 4),
                       shared_fine_detail=round(c.capture.fine, 4),
                       shared_mid_detail=round(c.capture.mid, 4),
                       aligned_tiles=round(c.capture.aligned, 4),
                       shared_pixel_detail=round(c.capture.pixel, 4),
                       alignment_residual_px=round(c.capture.residual_px, 3)
                       if np.isfinite(c.capture.residual_px) else None)
    if c.relight is not None:
        details.update(smooth_residual=round(c.relight.lowfreq, 5), relit_reshoot=c.relight.reshoot,
                       reshoot_test_pixel_detail=round(c.relight.evidence.pixel, 4),
                       reshoot_test_aligned_tiles=round(c.relight.evidence.aligned, 4),
                       reshoot_test_fine_detail=round(c.relight.evidence.fine, 4))
    if c.changes is not None:
        details.update(changed_share=round(c.changes.share, 5), noise_level=round(c.noise, 5),
                       changed_regions=[_region_details(box, change) for box, change in
                                        zip(c.regions, c.kinds, strict=True)],
                       heatmap_legend=HEATMAP_LEGEND)
    return details


def _region_details(box: tuple[int, int, int, int], change: Change) -> dict[str, Any]:
    en, _, zh = KIND_NAMES[change.kind]
    x, y, w, h = box
    return {"x": x, "y": y, "w": w, "h": h, "family": change.family, "kind": change.kind,
            "label": {"en": en, "zh": zh}, "detector": change.detector, "confidence": round(change.confidence, 3),
            **change.measures, "features": change.features}


def _tally(c: Comparison, family: str) -> tuple[int, str, str]:
    """How many regions of ``family`` and a list of their kinds in both languages ("2 scratches, 1 stain")."""
    counts: dict[str, int] = {}
    for k in c.kinds:
        if k.family == family:
            counts[k.kind] = counts.get(k.kind, 0) + 1
    en = ", ".join(f"{n} {KIND_NAMES[k][0] if n == 1 else KIND_NAMES[k][1]}" for k, n in counts.items())
    zh = "、".join(f"{KIND_NAMES[k][2]} {n} 处" for k, n in counts.items())
    return sum(counts.values()), en, zh


def _usable_references(ctx: CheckContext) -> tuple[list[tuple[int, Prepared]], list[dict[str, Any]]]:
    usable: list[tuple[int, Prepared]] = []
    skipped: list[dict[str, Any]] = []
    for i, _ in ctx.reference_images:
        p = _prepared(ctx, i)
        if p.problem is None and len(p.features()) < 12:
            p.problem = ("too little detail to match (fewer than 12 distinctive points)",
                         "细节太少，无法匹配（少于 12 个特征点）")
        if p.problem is None:
            usable.append((i, p))
        else:
            skipped.append({"image": i, "why": p.problem[0], "why_zh": p.problem[1]})
    return usable, skipped


def _decide(ctx: CheckContext, index: int, claim: Prepared, refs: list[tuple[int, Prepared]],
            skipped: list[dict[str, Any]]) -> list[Finding]:
    cfg: ReferenceConfig = ctx.config
    results = [(ri, compare(claim, rp, cfg)) for ri, rp in refs]
    matched = [(ri, c) for ri, c in results if c.match is not None]
    if not matched:
        sims = [colour_similarity(claim.rgb, rp.rgb) for _, rp in refs]
        best_sim = max(sims)
        if best_sim >= cfg.different_similarity:
            return []
        score = 0.3 + 0.4 * (cfg.different_similarity - best_sim) / cfg.different_similarity
        return [ctx.finding(
            "reference.different_product", image=index, score=score,
            en=f"The photo matches none of the {len(refs)} reference photo(s) and its colours differ from them "
               "(weak evidence: the item may be another product, or photographed very differently).",
            zh=f"该图片与 {len(refs)} 张参考图片均不匹配，颜色分布也不同"
               "（弱证据：可能不是所售商品，或拍摄方式差异很大）。",
            details={"colour_similarity": round(best_sim, 4), "references_compared": [ri for ri, _ in refs],
                     "references_skipped": skipped})]
    ri, best = max(matched, key=lambda rc: (rc[1].p_same, rc[1].match.inliers if rc[1].match else 0))
    claim_name, name = ctx.images[index].name, ctx.images[ri].name
    if best.p_same < 0.5:  # a different capture of the same product: the honest buyer
        ctx.verified("reference", [index, ri],
                     en=f"{claim_name} matched the listing photo {name}: the same product, photographed "
                        "separately (not derived from the listing photo)",
                     zh=f"{claim_name} 与商品图 {name} 匹配：同一商品、单独拍摄（并非由商品图修改而来）")
        return []
    details = _pair_details(ri, best)
    details["references_skipped"] = skipped
    residual = details.get("alignment_residual_px")
    aligned_en = f"aligned to {residual} px" if residual is not None else "aligned to sub-pixel accuracy"
    aligned_zh = f"对齐误差 {residual} 像素" if residual is not None else "亚像素级对齐"
    damage = [(box, k) for box, k in zip(best.regions, best.kinds, strict=True) if k.family == "damage"]
    overlays = [(box, k) for box, k in zip(best.regions, best.kinds, strict=True) if k.family == "overlay"]
    n_over, over_en, over_zh = _tally(best, "overlay")
    heat = Heatmap(best.heat) if best.heat is not None else None
    if damage and best.changes is not None:
        n_dmg, dmg_en, dmg_zh = _tally(best, "damage")
        also_en = (f" Also {n_over} overlay(s) drawn over it ({over_en}), which are not evidence of damage."
                   if n_over else "")
        also_zh = f"另有 {n_over} 处叠加内容（{over_zh}），叠加内容不是损坏的证据。" if n_over else ""
        ctx.verified("reference", [index, ri],
                     en=f"{claim_name} matched the listing photo {name}: derived from it, with damage-like changes",
                     zh=f"{claim_name} 与商品图 {name} 匹配：由该图派生，含类似损坏的修改")
        return [ctx.finding(
            "reference.derived_edit", image=index, score=best.p_same * best.p_edit,
            en=f"This photo is the reference photo {name} (same capture, {aligned_en}) with {n_dmg} damage-like "
               f"change(s) added: {dmg_en}.{also_en}",
            zh=f"该图片就是参考图片 {name}（同一次拍摄，{aligned_zh}），其中有 {n_dmg} 处类似损坏的修改："
               f"{dmg_zh}。{also_zh}",
            regions=[Region(*box) for box, _ in damage[:cfg.changes.max_regions]], heatmap=heat, details=details)]
    if overlays:
        ctx.verified("reference", [index, ri],
                     en=f"{claim_name} matched the listing photo {name}: derived from it, with overlays only",
                     zh=f"{claim_name} 与商品图 {name} 匹配：由该图派生，仅有叠加内容")
        return [ctx.finding(
            "reference.derived_overlay", image=index, score=best.p_same * best.p_overlay,
            en=f"This photo is the reference photo {name} (same capture, {aligned_en}) with {n_over} overlay(s) "
               f"drawn over it ({over_en}) and no damage-like change. An overlay is not evidence of damage: the "
               "photo shows the merchant's picture, not the received item.",
            zh=f"该图片就是参考图片 {name}（同一次拍摄，{aligned_zh}），仅叠加了 {n_over} 处内容（{over_zh}），"
               "没有类似损坏的修改。叠加内容不是损坏的证据：图片展示的是商家的图片，而不是收到的商品。",
            regions=[Region(*box) for box, _ in overlays[:cfg.changes.max_regions]], heatmap=heat,
            details=details)]
    ctx.verified("reference", [index, ri],
                 en=f"{claim_name} matched the listing photo {name}: derived from it, unchanged",
                 zh=f"{claim_name} 与商品图 {name} 匹配：由该图派生，没有修改")
    return [ctx.finding(
        "reference.derived_copy", image=index, score=best.p_same,
        en=f"This photo is the reference photo {name} itself (re-encoded, cropped, framed or filtered, no "
           "meaningful change): it shows the merchant's photo, not the received item.",
        zh=f"该图片就是参考图片 {name}（仅经过重新压缩、裁剪、加框或滤镜，没有实质改动）："
           "它展示的是商家的图片，而不是收到的商品。",
        details=details)]


@check("reference", config=ReferenceConfig)
def run(ctx: CheckContext) -> list[Finding]:
    """Compare each claim photo with the merchant's reference photos."""
    if not any(True for _ in ctx.reference_images):
        raise NotApplicable("no reference photo given / 未提供参考图片")
    refs, skipped = _usable_references(ctx)
    if not refs:
        reasons = "; ".join(f"{ctx.images[s['image']].name}: {s['why']}" for s in skipped)
        reasons_zh = "；".join(f"{ctx.images[s['image']].name}：{s['why_zh']}" for s in skipped)
        raise NotApplicable(f"no usable reference photo ({reasons}) / 没有可用的参考图片（{reasons_zh}）")
    findings: list[Finding] = []
    judged = 0
    for index, _ in ctx.claim_images:
        claim = _prepared(ctx, index)
        if claim.problem is not None:
            ctx.skip(index, en=f"not compared with the reference photos: {claim.problem[0]}",
                     zh=f"未与参考图片比对：{claim.problem[1]}")
            continue
        judged += 1
        findings.extend(_decide(ctx, index, claim, refs, skipped))
    if not judged:
        raise NotApplicable("no claim photo can be compared (too small or blank) / 没有可比较的申请图片（太小或空白）")
    return findings
