"""Sentences of the ``reference`` check: its findings, verifications, skips and not-applicable reasons.

Parameters come from the finding's ``details`` (photo indexes, written as the photo's name or ``#n`` counted from
1 by the ``photo`` spec), from a verification's or skip's ``params``, or from a not-applicable reason's fields.
A changed region's kind is said in words (``reference.kind.``, ``reference.tally.``) and its family (damage-like
or overlay) decides the sentence: an overlay alone is never worded as damage.
"""

from refundguard.messages.catalogue import CATALOGUE

# the kinds of a changed region, one word each (``{kind:msg:reference.kind.}``)
CATALOGUE.define("reference.kind.", {
    "scratch": ("scratch", "划痕"), "crack": ("crack", "裂纹"), "chip": ("chip", "磕碰缺口"),
    "stain": ("stain", "污渍"), "dent": ("dent", "凹痕"), "breakage": ("broken area", "破损"),
    "altered": ("altered area", "内容改动"), "text": ("text mark", "文字"), "watermark": ("watermark", "水印"),
    "sticker": ("sticker", "贴纸"), "price_tag": ("price tag", "价格标签"), "ui_bar": ("app bar", "应用界面栏"),
})
# the family of a changed region (``{family:msg:reference.family.}``)
CATALOGUE.define("reference.family.", {
    "damage": ("damage-like change", "类似损坏的修改"),
    "overlay": ("overlay drawn over the photo (not damage)", "叠加在图片上的内容（不是损坏）"),
})
# the heatmap legend's bands (``details.heatmap_legend``)
CATALOGUE.define("reference.legend.", {
    "noise": ("differences below the change threshold (laundering noise)",
              "低于修改阈值的差异（压缩、缩放等带来的噪声）"),
    "overlay": ("overlay drawn over the photo (text, watermark, sticker, price tag, app bar): not damage",
                "叠加在图片上的内容（文字、水印、贴纸、价格标签、界面栏）：不是损坏"),
    "damage": ("damage-like change (scratch, crack, chip, stain, dent, breakage, altered content)",
               "类似损坏的修改（划痕、裂纹、磕碰、污渍、凹痕、破损、内容改动）"),
})
# a count of one kind (``{damage_tally:parts:reference.tally.}``: parts ``{"part": kind, "count": n}``)
CATALOGUE.define("reference.tally.", {
    "scratch": ("{count:plural:scratch|scratches}", "划痕 {count} 处"),
    "crack": ("{count:plural:crack|cracks}", "裂纹 {count} 处"),
    "chip": ("{count:plural:chip|chips}", "磕碰缺口 {count} 处"),
    "stain": ("{count:plural:stain|stains}", "污渍 {count} 处"),
    "dent": ("{count:plural:dent|dents}", "凹痕 {count} 处"),
    "breakage": ("{count:plural:broken area|broken areas}", "破损 {count} 处"),
    "altered": ("{count:plural:altered area|altered areas}", "内容改动 {count} 处"),
    "text": ("{count:plural:text mark|text marks}", "文字 {count} 处"),
    "watermark": ("{count:plural:watermark|watermarks}", "水印 {count} 处"),
    "sticker": ("{count:plural:sticker|stickers}", "贴纸 {count} 处"),
    "price_tag": ("{count:plural:price tag|price tags}", "价格标签 {count} 处"),
    "ui_bar": ("{count:plural:app bar|app bars}", "应用界面栏 {count} 处"),
})
# how well the pair aligned (``{alignment:parts:reference.alignment.}``)
CATALOGUE.define("reference.alignment.", {
    "residual": ("aligned to {alignment_residual_px} px", "对齐误差 {alignment_residual_px} 像素"),
    "subpixel": ("aligned to sub-pixel accuracy", "亚像素级对齐"),
})

CATALOGUE.define("reference.derived_edit:", {
    "damage": ("This photo is the reference photo {reference_image:photo} (same capture, "
               "{alignment:parts:reference.alignment.}) with "
               "{damage_count:plural:damage-like change|damage-like changes} added: "
               "{damage_tally:parts:reference.tally.}.",
               "该图片就是参考图片 {reference_image:photo}（同一次拍摄，{alignment:parts:reference.alignment.}），"
               "其中有 {damage_count} 处类似损坏的修改：{damage_tally:parts:reference.tally.}。"),
    "damage_and_overlays": ("This photo is the reference photo {reference_image:photo} (same capture, "
                            "{alignment:parts:reference.alignment.}) with "
                            "{damage_count:plural:damage-like change|damage-like changes} added: "
                            "{damage_tally:parts:reference.tally.}. Also "
                            "{overlay_count:plural:overlay|overlays} drawn over it "
                            "({overlay_tally:parts:reference.tally.}); an overlay is not evidence of damage.",
                            "该图片就是参考图片 {reference_image:photo}（同一次拍摄，"
                            "{alignment:parts:reference.alignment.}），其中有 {damage_count} 处类似损坏的修改："
                            "{damage_tally:parts:reference.tally.}。另有 {overlay_count} 处叠加内容"
                            "（{overlay_tally:parts:reference.tally.}），叠加内容不是损坏的证据。"),
})
CATALOGUE.define("reference.derived_overlay:", {
    "overlays": ("This photo is the reference photo {reference_image:photo} (same capture, "
                 "{alignment:parts:reference.alignment.}) with {overlay_count:plural:overlay|overlays} drawn over "
                 "it ({overlay_tally:parts:reference.tally.}) and no damage-like change. An overlay is not evidence "
                 "of damage: the photo shows the merchant's picture, not the received item.",
                 "该图片就是参考图片 {reference_image:photo}（同一次拍摄，{alignment:parts:reference.alignment.}），"
                 "仅叠加了 {overlay_count} 处内容（{overlay_tally:parts:reference.tally.}），没有类似损坏的修改。"
                 "叠加内容不是损坏的证据：图片展示的是商家的图片，而不是收到的商品。"),
})
CATALOGUE.define("reference.derived_copy:", {
    "copy": ("This photo is the reference photo {reference_image:photo} itself (re-encoded, cropped, framed or "
             "filtered, no meaningful change): it shows the merchant's photo, not the received item.",
             "该图片就是参考图片 {reference_image:photo}（仅经过重新压缩、裁剪、加框或滤镜，没有实质改动）："
             "它展示的是商家的图片，而不是收到的商品。"),
})
CATALOGUE.define("reference.different_product:", {
    "unmatched": ("The photo matches none of the {references_count} reference photo(s) and its colours differ "
                  "from them (weak evidence: the item may be another product, or photographed very differently).",
                  "该图片与 {references_count} 张参考图片均不匹配，颜色分布也不同"
                  "（弱证据：可能不是所售商品，或拍摄方式差异很大）。"),
})

# what the comparison verified (``ctx.verified("reference", ..., key=...)``; params claim_image, reference_image)
CATALOGUE.define("reference.verified.", {
    "separate": ("{claim_image:photo} matched the listing photo {reference_image:photo}: the same product, "
                 "photographed separately (not derived from the listing photo)",
                 "{claim_image:photo} 与商品图 {reference_image:photo} 匹配：同一商品、单独拍摄"
                 "（并非由商品图修改而来）"),
    "damage": ("{claim_image:photo} matched the listing photo {reference_image:photo}: derived from it, with "
               "damage-like changes",
               "{claim_image:photo} 与商品图 {reference_image:photo} 匹配：由该图派生，含类似损坏的修改"),
    "overlays": ("{claim_image:photo} matched the listing photo {reference_image:photo}: derived from it, with "
                 "overlays only",
                 "{claim_image:photo} 与商品图 {reference_image:photo} 匹配：由该图派生，仅有叠加内容"),
    "copy": ("{claim_image:photo} matched the listing photo {reference_image:photo}: derived from it, unchanged",
             "{claim_image:photo} 与商品图 {reference_image:photo} 匹配：由该图派生，没有修改"),
})

# why a photo cannot be compared (``Prepared.problem``: a part ``{"part": name, **params}`` of this prefix)
CATALOGUE.define("reference.problem.", {
    "too_small": ("too small ({width}x{height} px; at least {min_side} px a side is needed)",
                  "图片太小（{width}x{height} 像素，每边至少需要 {min_side} 像素）"),
    "blank": ("blank or uniform image (no detail to compare)", "空白或纯色图片（没有可比较的细节）"),
    "few_features": ("too little detail to match (fewer than {min_keypoints} distinctive points)",
                     "细节太少，无法匹配（少于 {min_keypoints} 个特征点）"),
})
CATALOGUE.define("reference.skip.", {
    "unusable_claim": ("not compared with the reference photos: {problem:parts:reference.problem.}",
                       "未与参考图片比对：{problem:parts:reference.problem.}"),
})
# one unusable reference photo in a not-applicable reason (``{skipped:parts:reference.unusable.}``)
CATALOGUE.define("reference.unusable.", {
    "too_small": ("{image:photo}: too small ({width}x{height} px; at least {min_side} px a side is needed)",
                  "{image:photo}：图片太小（{width}x{height} 像素，每边至少需要 {min_side} 像素）"),
    "blank": ("{image:photo}: blank or uniform image (no detail to compare)",
              "{image:photo}：空白或纯色图片（没有可比较的细节）"),
    "few_features": ("{image:photo}: too little detail to match (fewer than {min_keypoints} distinctive points)",
                     "{image:photo}：细节太少，无法匹配（少于 {min_keypoints} 个特征点）"),
})
CATALOGUE.define("reference.na.", {
    "no_reference": ("no reference photo given", "未提供参考图片"),
    "none_usable": ("no usable reference photo ({skipped:parts:reference.unusable.})",
                    "没有可用的参考图片（{skipped:parts:reference.unusable.}）"),
    "no_claim": ("no claim photo can be compared (too small or blank)", "没有可比较的申请图片（太小或空白）"),
})
