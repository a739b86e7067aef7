"""Sentences of the ``live`` check (a live capture session compared with the claim), keyed ``code:variant``.

Parameters come from the finding's ``details``; photos and shots are report indexes, shown by name (``#n``
counted from 1 where a surface has no names). A region is ``[x, y, w, h]`` in the photo's pixels.
"""

from refundguard.messages.catalogue import CATALOGUE

_AT = "x={region[0]}, y={region[1]}, {region[2]}×{region[3]} px"

CATALOGUE.define("live.na.", {
    "no_capture": ("no live capture was taken for this claim", "本申请没有现场拍摄"),
})
CATALOGUE.define("live.kind.", {
    "whole": ("(a) the whole item with the code", "（a）整件商品与验证码"),
    "close": ("(b) the damage close up", "（b）损坏处近景"),
    "turned": ("(c) the damage from another angle", "（c）换角度拍摄的损坏处"),
    "orbit": ("a frame of the video orbit", "环绕视频的一帧"),
})
CATALOGUE.define("live.code_wrong:", {
    "wrong": ("Shot (a), {shot:photo}, shows the code “{read}”, not the one-time code “{expected}” this request gave: "
              "the shots may have been made for something else, or before the request.",
              "拍摄（a）{shot:photo} 中写的是“{read}”，而不是本次请求给出的一次性验证码“{expected}”："
              "这些照片可能是为别的用途或在请求之前拍摄的。"),
})
CATALOGUE.define("live.code_missing:", {
    "missing": ("The one-time code “{expected}” could not be read in shot (a), {shot:photo}: nothing ties these shots "
                "to this request, so they cannot verify the claim (ask for the capture again, with the code written "
                "large).",
                "在拍摄（a）{shot:photo} 中读不到一次性验证码“{expected}”：无法证明这些照片是为本次请求现场拍摄的，"
                "因此不能用来核实申请（请重新发起拍摄，并把验证码写大）。"),
})
CATALOGUE.define("live.damage_absent:", {
    "corroborated": (f"The damage {{claim_photo:photo}} shows at {_AT} is not on the item photographed live: "
                     "{count} live shots ({shots:photos}) see that place of the item clearly, and there is no such "
                     "damage there (outlined in each). Real damage is on the item from every angle; damage painted "
                     "onto a photo is not.",
                     f"{{claim_photo:photo}} 在 {_AT} 处显示的损坏，不在现场拍摄的实物上：{{count}} 张现场照片"
                     "（{shots:photos}）都清楚地拍到了商品的这个位置，却没有这样的损坏（已分别标出）。"
                     "真实的损坏从任何角度看都在实物上；画在照片上的损坏则不会。"),
    "single": (f"The damage {{claim_photo:photo}} shows at {_AT} is not on the item photographed live: live shot "
               "{shots:photos} sees that place of the item clearly (the other live shots do not see it), and there "
               "is no such damage there (outlined). Real damage is on the item from every angle; damage painted onto "
               "a photo is not.",
               f"{{claim_photo:photo}} 在 {_AT} 处显示的损坏，不在现场拍摄的实物上：现场照片 {{shots:photos}} "
               "清楚地拍到了商品的这个位置（其他现场照片没有拍到），却没有这样的损坏（已标出）。"
               "真实的损坏从任何角度看都在实物上；画在照片上的损坏则不会。"),
})
CATALOGUE.define("live.place_differs:", {
    "hidden": (f"At the claimed place of {{claim_photo:photo}}, {_AT}, the live item shows something the photo does "
               "not: {count} live shots ({shots:photos}) show it clearly where the photo, which sees that place well, "
               "has nothing. Something may have been removed from the photo or painted over.",
               f"在 {{claim_photo:photo}} 的所称损坏处 {_AT}，现场实物上有而凭证图片上没有的内容：{{count}} 张现场照片"
               "（{shots:photos}）都清楚地拍到了，而凭证图片清楚地拍到了这个位置却什么也没有。"
               "照片中的内容可能被去除或涂改过。"),
})
CATALOGUE.define("live.item_not_matched:", {
    "none": ("None of the {count} live shots shows the item of {claim_photo:photo}: they share no surface that "
             "matches it. The live item may not be the one in the claim photo.",
             "{count} 张现场照片都没有拍到 {claim_photo:photo} 中的商品：它们与该图片没有可匹配的共同表面。"
             "现场拍摄的可能不是凭证图片中的那件商品。"),
})
CATALOGUE.define("live.recapture.sign.", {
    "framed": ("claim photo {claim_photo:photo} appears inside it whole, its border running along a straight edge "
               "({border_share:pct0} of the border)",
               "凭证图片 {claim_photo:photo} 完整地出现在画面中，其边框与一条直边重合（{border_share:pct0} 的边框）"),
    "moire": ("{peaked} of {tiles} tiles show periodic colour (moiré, sub-pixels or halftone dots) that a real "
              "surface does not",
              "{tiles} 个区块中有 {peaked} 个出现周期性色纹（摩尔纹、像素点阵或网点），真实物体表面不会这样"),
    "flat": ("everything it shares with the other photos lies on one flat plane",
             "它与其他照片的共同内容全部位于同一平面上"),
})
CATALOGUE.define("live.recapture:", {
    "signs": ("Live shot {image:photo} looks like a photo of a screen or a print, not of the item: "
              "{signs:parts:live.recapture.sign.}.",
              "现场照片 {image:photo} 像是翻拍屏幕或打印件，而不是拍摄实物：{signs:parts:live.recapture.sign.}。"),
})
CATALOGUE.define("live.inconsistent_views:", {
    "disagree": (f"The live shots disagree: live shot {{shown_in:photo}} shows damage at {_AT} that live shots "
                 "{missing_in:photos} lack where they see that place clearly. Live photos of one real item agree "
                 "with each other.",
                 f"现场照片彼此不一致：现场照片 {{shown_in:photo}} 在 {_AT} 处有损坏，而现场照片 {{missing_in:photos}} "
                 "清楚地拍到了该位置却没有。同一件实物的现场照片应当相互一致。"),
})
CATALOGUE.define("live.confirmed.", {
    "photo": ("the damage of {claim_photo:photo} is at the same place on the item in {count} live shots "
              "({kinds:msg:live.kind.})",
              "{claim_photo:photo} 中的损坏在 {count} 张现场照片（{kinds:msg:live.kind.}）中位于实物的同一位置"),
})
CATALOGUE.define("live.damage_confirmed:", {
    "confirmed": ("Confirmed live: {photos:parts:live.confirmed.}. The shots carry this request's one-time code, agree "
                  "with each other and show the real item, not a screen or a print. Real damage seen live from "
                  "several angles lowers the risk of this claim.",
                  "现场拍摄已确认：{photos:parts:live.confirmed.}。这些照片带有本次请求的一次性验证码，彼此一致，"
                  "拍摄的是实物而非屏幕或打印件。从多个角度现场看到的真实损坏降低了本申请的风险。"),
})
CATALOGUE.define("live.verified.", {
    "capture": ("{claim_photo:photo} compared with {count} live shot(s) of the item ({kinds:msg:live.kind.}), taken "
                "with this request's code",
                "{claim_photo:photo} 已与 {count} 张带本次验证码的现场照片（{kinds:msg:live.kind.}）比对"),
})
