"""Sentences of the ``tamper`` check: its findings, the photos it skips and its not-applicable reasons.

Parameters come from the finding's ``details``; a skip of a photo analysed at reduced size names the reduction
(:mod:`refundguard.messages.texts.media`, parameters :meth:`refundguard.media.budget.Reduction.params`).
"""

from refundguard.messages.catalogue import CATALOGUE

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
CATALOGUE.define("tamper.skip.", {
    "reduced": ("Blind local traces need the file's own pixel grid; this photo was {scope:parts:media.reduced.}.",
                "盲检局部编辑痕迹需要文件原始像素网格，此图片{scope:parts:media.reduced.}。"),
})
