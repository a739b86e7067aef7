"""Sentences of the ``provenance`` check: the photos it could not read completely and the verification it records.

The skip of a photo analysed at reduced size names the reduction (:mod:`refundguard.messages.texts.media`,
parameters :meth:`refundguard.media.budget.Reduction.params`); ``sources`` are the metadata blocks that could not
be read (``XMP in APP1`` …, as the file names them); ``image`` is the photo's report index.
"""

from refundguard.messages.catalogue import CATALOGUE

CATALOGUE.define("provenance.skip.", {
    "reduced_alpha": ("Alpha-channel payloads (NovelAI stealth pnginfo) were not read; this photo was "
                      "{scope:parts:media.reduced.}.",
                      "未读取 Alpha 通道载荷（NovelAI stealth pnginfo），此图片{scope:parts:media.reduced.}。"),
    "unreadable": ("metadata partly unreadable ({sources:list})", "元数据部分无法读取（{sources:list}）"),
})
CATALOGUE.define("provenance.verified.", {
    "read": ("{image:photo}: every metadata block read", "{image:photo}：所有元数据块均已读取"),
})
