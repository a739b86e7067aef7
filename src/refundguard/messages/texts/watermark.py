"""Sentences of the ``watermark`` check: its findings, the photos it skips and its not-applicable reasons.

Parameters come from the finding's ``details``; a skip of a photo analysed at reduced size names the reduction
(:mod:`refundguard.messages.texts.media`, parameters :meth:`refundguard.media.budget.Reduction.params`).
"""

from refundguard.messages.catalogue import CATALOGUE

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
CATALOGUE.define("watermark.skip.", {
    "reduced": ("Invisible watermarks are read at the file's own size; this photo was {scope:parts:media.reduced.}.",
                "隐形水印需按文件原始尺寸读取，此图片{scope:parts:media.reduced.}。"),
})
