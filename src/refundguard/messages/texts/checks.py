"""Sentences of the checks' findings, skips and not-applicable reasons, keyed ``code:variant``.

Parameters come from the finding's ``details`` (and, for photo names, the report's images). Multiview's are in
:mod:`refundguard.messages.texts.multiview`, the live check's in :mod:`refundguard.messages.texts.live`. Checks not
listed (reference) still write their own sentences;
they are converted when their rebuilds land.
Meanwhile their parameterless English reasons are listed below, so that a page or the PDF shows them in Chinese
(:meth:`~refundguard.messages.catalogue.Catalogue.by_english`), and the checks can raise them by key.
"""

from refundguard.messages.catalogue import CATALOGUE

# ------------------------------------------------------------------------------------------------ tamper
CATALOGUE.define("tamper.cue.", {
    "dq": ("JPEG compression history", "JPEG 压缩历史"),
    "grid": ("JPEG block grid", "JPEG 分块网格"),
    "noise": ("noise level", "噪声水平"),
    "resample": ("resampling (scaling or rotation) traces", "重采样（缩放或旋转）痕迹"),
})
CATALOGUE.define("tamper.local:", {
    "strong": ("One region's {shown_cues:msg:tamper.cue.} differ from the rest of the photo, as when a region is "
               "edited and the file saved again.",
               "照片中某一区域的{shown_cues:msg:tamper.cue.}与其余部分不一致，符合局部编辑后再次保存的特征。"),
    "single_cue": ("One region's {shown_cues:msg:tamper.cue.} differ from the rest of the photo, as when a region "
                   "is edited and the file saved again (weak: a single cue; not proof on its own).",
                   "照片中某一区域的{shown_cues:msg:tamper.cue.}与其余部分不一致，符合局部编辑后再次保存的特征"
                   "（证据较弱：仅单一线索，不能单独作为证明）。"),
})
CATALOGUE.define("tamper.na.", {
    "reduced": ("every claim photo was analysed at reduced size (blind traces need the file's own pixels)",
                "所有凭证图片均以缩小尺寸分析（盲检痕迹需要文件的原始像素）"),
    "too_small": ("no claim photo of at least {min_side}x{min_side} pixels",
                  "没有至少 {min_side}×{min_side} 像素的凭证图片"),
})

# --------------------------------------------------------------------------------------------- watermark
CATALOGUE.define("watermark.invisible:", {
    "decoded": ("Invisible {scheme} watermark of {generator} found: {matched_bits} of {bits} bits match the "
                "'{payload}' payload ({channel_order} channel order, {domain} colour conversion). These marks are "
                "embedded by the image generator, not by cameras.",
                "检测到 {generator} 的 {scheme} 隐形水印：{bits} 位中有 {matched_bits} 位与“{payload}”载荷一致"
                "（{channel_order} 通道顺序，{domain} 色彩转换）。此类水印由图像生成模型嵌入，相机不会产生。"),
})
CATALOGUE.define("watermark.na.", {
    "reduced": ("every claim photo was analysed at reduced size (watermarks need the file's own pixels)",
                "所有凭证图片均以缩小尺寸分析（水印需要文件的原始像素）"),
    "too_small": ("no claim photo of at least 256×256 pixels (smaller images cannot carry these marks)",
                  "没有至少 256×256 像素的凭证图片（更小的图片无法携带此类水印）"),
})

# ------------------------------------------------------------------------------------------------- label
CATALOGUE.define("label.position.", {
    "top-left corner": ("top-left corner", "左上角"), "top-right corner": ("top-right corner", "右上角"),
    "bottom-left corner": ("bottom-left corner", "左下角"), "bottom-right corner": ("bottom-right corner", "右下角"),
    "top edge": ("top edge", "顶部边缘"), "bottom edge": ("bottom edge", "底部边缘"),
    "left edge": ("left edge", "左侧边缘"), "right edge": ("right edge", "右侧边缘"), "centre": ("middle", "中部"),
})
CATALOGUE.define("label.visible_ai_text:", {
    "label": ("Visible AI label “{text}” at the {position:msg:label.position.} of the photo (text height "
              "{height_ratio:pct} of the short side; GB 45438 asks for ≥ 5 % on an edge or corner).",
              "图片{position:msg:label.position.}有可见的 AI 生成标识“{text}”（文字高度为短边的 {height_ratio:pct}；"
              "GB 45438 要求位于边角且不低于 5%）。"),
    "partial": ("Part of an AI label, “{text}”, is cut off at the border ({position:msg:label.position.}); the "
                "label may have been cropped out. Text height {height_ratio:pct} of the short side.",
                "图片{position:msg:label.position.}有被边缘截断的 AI 标识残留“{text}”，标识可能已被裁掉。"
                "文字高度为短边的 {height_ratio:pct}。"),
})
CATALOGUE.define("label.na.", {
    "no_claim_photo": ("no claim photo", "没有凭证图片"),
})

# ------------------------------------------------------------------------------------------------ ledger
CATALOGUE.define("ledger.prior_abuse:", {
    "entries": ("The buyer has {count:plural:adjudicated abuse entry|adjudicated abuse entries} (forged or reused "
                "evidence) on {platforms:list}, {totals:totals} in total, decided {first_decided_on:date} – "
                "{last_decided_on:date}.",
                "该买家在 {platforms:list} 有 {count} 条经裁定的滥用记录（伪造或重复使用凭证），合计 {totals:totals}，"
                "裁定时间 {first_decided_on} – {last_decided_on}。"),
})
CATALOGUE.define("ledger.na.", {
    "no_ledger": ("no ledger attached to this analysis (the claim service attaches it)",
                  "本次分析未接入账本（由申请服务接入）"),
    "not_stored": ("the ledger answers only for a claim stored by the service", "账本只为申请服务中存储的申请作答"),
    "no_buyer": ("the claim names no buyer", "申请未指明买家"),
    "not_open": ("the claim is no longer open: the ledger answers only for a claim being handled",
                 "申请已不在处理中：账本只为处理中的申请作答"),
    "not_registered": ("buyer {buyer_id} has no identifiers registered with the ledger: nothing was looked up",
                       "买家 {buyer_id} 尚未在账本登记身份标识：未作查询"),
})
CATALOGUE.define("ledger.query.", {
    "not_registered": ("the buyer's identifiers are not registered with the ledger: nothing was looked up",
                       "买家尚未在账本登记身份标识：未作查询"),
    "answered": ("{matches:plural:standing entry|standing entries} found for "
                 "{identifiers:plural:identifier|identifiers}",
                 "按 {identifiers} 个身份标识查到 {matches} 条有效条目"),
})

