"""Sentences of the label and ledger checks' findings and not-applicable reasons, keyed ``code:variant``.

Parameters come from the finding's ``details`` (and, for photo names, the report's images). The other checks have
modules of their own: :mod:`~refundguard.messages.texts.tamper`, :mod:`~refundguard.messages.texts.watermark`,
:mod:`~refundguard.messages.texts.capture_facts`, :mod:`~refundguard.messages.texts.reuse`,
:mod:`~refundguard.messages.texts.provenance`, :mod:`~refundguard.messages.texts.reference`,
:mod:`~refundguard.messages.texts.multiview` and :mod:`~refundguard.messages.texts.live`.
"""

from refundguard.messages.catalogue import CATALOGUE

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

