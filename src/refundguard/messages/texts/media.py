"""Sentences about how a photo was read: analysed at reduced size to fit the analysis budget.

Parameters are :meth:`refundguard.media.budget.Reduction.params` (sizes in pixels, the budget in pixels); a skip
of a check that needs the file's own pixels names the reduction with ``{scope:parts:media.reduced.}``.
"""

from refundguard.messages.catalogue import CATALOGUE

_REDUCED_EN = ("analysed at reduced size: {original_width}×{original_height} ({original_pixels:megapixels}) → "
               "{width}×{height} ({pixels:megapixels}), because ")
_REDUCED_ZH = ("已缩小后分析：{original_width}×{original_height}（{original_pixels:megapixels}）→ "
               "{width}×{height}（{pixels:megapixels}），因为")
CATALOGUE.define("media.reduced.", {
    "photo": (_REDUCED_EN + "the analysis budget is {budget_pixels:megapixels} per photo",
              _REDUCED_ZH + "每张图片的分析上限为 {budget_pixels:megapixels}"),
    "claim": (_REDUCED_EN + "the claim's photos together may use {budget_pixels:megapixels} each here",
              _REDUCED_ZH + "本次申请的图片合计超出分析上限，每张分配 {budget_pixels:megapixels}"),
})
