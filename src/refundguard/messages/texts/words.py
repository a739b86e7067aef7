"""Words every surface uses: levels, what a verdict rests on, photo roles, claim states, decisions, checks."""

from refundguard.messages.catalogue import CATALOGUE

CATALOGUE.define("level.", {
    "low": ("Low risk", "低风险"),
    "review": ("Needs human review", "需人工审核"),
    "high": ("High risk: likely forged", "高风险：疑似伪造"),
})

CATALOGUE.define("basis.", {
    "verified": ("Verified against independent evidence", "已用独立证据核实"),
    "unverified": ("Unverified: nothing to compare the photos with", "未经核实：没有可比对的证据"),
    "incomplete": ("Incomplete analysis: never refund automatically", "分析不完整：不得自动退款"),
    "unrecorded": ("This analysis was stored before RefundGuard recorded what it verified: treat it as unverified.",
                   "该分析结果保存于系统记录核实范围之前：请视为未经核实。"),
})

CATALOGUE.define("role.", {
    "claim": ("buyer's photo", "买家凭证"),
    "reference": ("merchant's photo", "商家图片"),
    "live": ("live shot (capture page)", "现场拍摄照片"),
})

CATALOGUE.define("state.", {
    "created": ("created", "已创建"),
    "analysing": ("analysing", "分析中"),
    "auto_approved": ("approved automatically", "已自动通过"),
    "awaiting_merchant": ("waiting for the merchant's evidence", "等待商家举证"),
    "in_review": ("with a reviewer", "人工审核中"),
    "awaiting_evidence": ("waiting for requested evidence", "等待补充证据"),
    "awaiting_capture": ("waiting for the buyer's live capture", "等待买家现场拍摄"),
    "decided": ("decided", "已决定"),
    "closed": ("closed", "已关闭"),
})

# Decisions in words. A platform's reviewer decides a refund claim; whether anything was a crime is for the police
# and the courts, so no wording here says "fraud".
CATALOGUE.define("outcome.", {
    "approved": ("Refund approved", "同意退款"),
    "rejected": ("Refund refused", "驳回退款申请"),
    "more_evidence_requested": ("More evidence requested (not a final decision)", "要求补充证据（非最终决定）"),
    "fraud_confirmed": ("Refund refused: the reviewer judged the evidence forged or false (the platform's decision, "
                        "not a finding of any court or the police)",
                        "驳回退款申请：审核员认定凭证系伪造或虚假（平台的审核决定，并非法院或公安机关的认定）"),
})

CATALOGUE.define("outcome_short.", {
    "approved": ("refund approved", "同意退款"),
    "rejected": ("refused", "驳回"),
    "more_evidence_requested": ("more evidence requested", "要求补充证据"),
    "fraud_confirmed": ("refused: evidence judged forged", "驳回：凭证被认定为伪造"),
})

CATALOGUE.define("party.", {
    "buyer": ("the buyer", "买家"),
    "merchant": ("the merchant", "商家"),
})

CATALOGUE.define("request_status.", {
    "requested": ("open until the deadline", "截止前有效"),
    "received": ("received", "已收到"),
    "expired": ("not received by the deadline: a reviewer decides", "截止前未收到：由审核员决定"),
})

CATALOGUE.define("check.", {
    "provenance": ("provenance metadata", "溯源元数据"),
    "watermark": ("invisible watermarks", "隐形水印"),
    "label": ("visible AI labels", "可见 AI 标识"),
    "reference": ("comparison with the merchant's photos", "与商家图片比对"),
    "reuse": ("earlier claims", "历史申请比对"),
    "tamper": ("local editing traces", "局部编辑痕迹"),
    "capture": ("camera data and capture time", "拍摄信息与时间"),
    "multiview": ("agreement between the buyer's photos", "多张照片一致性"),
    "ledger": ("cross-platform ledger", "跨平台账本"),
    "live": ("live capture", "现场拍摄"),
})

CATALOGUE.define("check_status.", {
    "ran": ("ran", "已运行"),
    "not_applicable": ("not applicable", "不适用"),
    "failed": ("failed", "运行失败"),
    "not_requested": ("not run (not requested)", "未运行（未要求）"),
    "skipped": ("not examined", "未检查"),
})

CATALOGUE.define("kind.", {
    "reference": ("compared with the merchant's listing photo", "已与商家商品图比对"),
    "second_view": ("compared with a second photo of the same item", "已与同一商品的另一张照片比对"),
    "live_capture": ("taken live through the capture page", "通过现场拍摄页面实时拍摄"),
    "provenance": ("its provenance metadata read", "已读取其溯源元数据"),
})

# How strong a finding is as evidence (the pages and the PDF draw each in its own style, with a legend).
CATALOGUE.define("strength.", {
    "proven": ("Proven change: differs from independent evidence (the merchant's photo, another view, a live shot)",
               "已证实的改动：与独立证据（商家图片、另一角度、现场拍摄）不一致"),
    "declared": ("Declared or marked as AI-generated (metadata, watermark, visible label)",
                 "声明或标注为 AI 生成（元数据、水印、可见标识）"),
    "cue": ("Weak cue: a blind trace, not proof on its own", "弱线索：盲检痕迹，不能单独作为证明"),
    "context": ("Context: facts about the claim, not about the pixels", "背景信息：关于申请本身，而非图片像素"),
})

# The first page of the bundle and the top of the pages: two sentences, what was found and what it rests on.
CATALOGUE.define("headline.", {
    "found": ("RefundGuard rates this claim {level:msg:level_plain.} ({risk:pct0}) because: {reason}",
              "RefundGuard 评估该申请为{level:msg:level_plain.}（{risk:pct0}），原因：{reason}"),
    "nothing": ("RefundGuard found no sign of AI generation or editing in these photos ({risk:pct0} risk).",
                "RefundGuard 未在这些照片中发现 AI 生成或编辑的迹象（风险 {risk:pct0}）。"),
    "basis.verified": ("This rests on a comparison with independent evidence (the merchant's own photo, another view "
                       "or a live capture); a person decides what follows.",
                       "该结论基于与独立证据（商家自己的图片、另一角度或现场拍摄）的比对；后续处理由人决定。"),
    "basis.unverified": ("Nothing independent could be compared with the photos, so this is unverified, not proof "
                         "either way: ask for the listing photo, another angle or a live capture.",
                         "没有可与照片比对的独立证据，因此这只是未经核实的结论，不能证明真假：请补充商品图、另一角度或现场拍摄。"),
    "basis.incomplete": ("Some checks did not run, so the analysis is incomplete and must never lead to an automatic "
                         "refund.",
                         "部分检查未能运行，分析不完整，不得据此自动退款。"),
})

CATALOGUE.define("level_plain.", {
    "low": ("low risk", "低风险"),
    "review": ("uncertain: a person must look", "不确定：需人工查看"),
    "high": ("high risk", "高风险"),
})
