"""What a verdict rests on (refundguard.coverage): verified, unverified or incomplete, in words."""

from refundguard.messages.catalogue import CATALOGUE

CATALOGUE.define("coverage.", {
    "incomplete": ("Incomplete analysis: {parts}. This is not a clearance: never refund automatically on it.",
                   "分析不完整：{parts}。这不是审核通过的结论：不得据此自动退款。"),
    "part.failed": ("the check(s) of {checks:checks} failed", "{checks:checks}检查运行失败"),
    "part.not_requested": ("the check(s) of {checks:checks} were not run on request",
                           "按要求未运行{checks:checks}检查"),
    "photo_verified": ("{image:photo} {kinds:kinds}", "{image:photo}{kinds:kinds}"),
    "verified.low": ("Nothing suspicious was found, and every photo was verified: {verified}.",
                     "未发现可疑之处，并且每张照片都经过了核实：{verified}。"),
    "verified": ("Every photo was verified: {verified}.", "每张照片都经过了核实：{verified}。"),
    "unverified.low": (
        "Unverified, not genuine: nothing suspicious was found, but nothing could be checked for {missing:photos} "
        "— no listing photo matched it and there is no second photo of the same item. Finding nothing on a single "
        "photo is no proof that it is real: ask for the listing photo, another angle or a live capture before "
        "refunding.",
        "未经核实，不等于真实：未发现可疑之处，但 {missing:photos} 无从核实——没有与之匹配的商品图，也没有同一商品的"
        "第二张照片。单张照片查不出问题并不能证明它是真的：退款前请补充商品图、换个角度的照片或现场拍摄。"),
    "unverified": ("Not verified against independent evidence: {missing:photos} (no matched listing photo, no "
                   "second view).",
                   "以下照片未经独立证据核实：{missing:photos}（没有匹配的商品图，也没有第二个角度）。"),
    "also_verified": (" Verified: {verified}.", "已核实：{verified}。"),
    "failed_note": ("The {check} check failed ({error}): what it would have found is unknown, so this claim is "
                    "not cleared; a person must look before any refund.",
                    "{check:msg:check.}（{check}）检查运行失败（{error}）：它本应发现的问题无从得知，因此本申请不能视为通过，"
                    "退款前必须由人工查看。"),
})
