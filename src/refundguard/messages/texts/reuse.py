"""Sentences of the ``reuse`` check: a photo or a damage pattern already submitted in another claim.

Parameters come from the finding's ``details`` (:mod:`refundguard.checks.reuse`): ``shown_claims`` (the claims named:
``claim_id`` and ``at``, the day it was recorded, in the reader's zone), ``unlisted`` (how many more, as a part),
``who`` (who submitted them, a word of ``reuse.who.``) and, for a duplicate, ``claim_count``.
"""

from refundguard.messages.catalogue import CATALOGUE

CATALOGUE.define("reuse.who.", {
    "other_buyer": ("by a different buyer", "提交者为其他买家"),
    "other_account": ("from a different account", "来自其他账号"),
    "same_buyer": ("by the same buyer", "提交者为同一买家"),
    "unknown_buyer": ("by an unknown buyer", "提交者未知"),
})
# one earlier claim named (``{shown_claims:each:reuse.claim}``) and the rest counted (``reuse.unlisted.more``)
CATALOGUE.add("reuse.claim", "{claim_id} ({at:date})", "{claim_id}（{at:date}）")
CATALOGUE.define("reuse.unlisted.", {
    "more": (" and {count} more", " 等另外 {count} 个"),
})
_LISTED = "{shown_claims:each:reuse.claim}{unlisted:parts:reuse.unlisted.}"

CATALOGUE.define("reuse.duplicate:", {
    "same_photo": ("This photo (the same photo) was already submitted in "
                   "{claim_count:plural:other claim|other claims} {who:msg:reuse.who.}: " + _LISTED + ".",
                   "该图片（同一张照片）已在其他 {claim_count} 个申请中提交过，{who:msg:reuse.who.}："
                   + _LISTED + "。"),
    "copy": ("This photo (a mirrored, cropped or framed copy) was already submitted in "
             "{claim_count:plural:other claim|other claims} {who:msg:reuse.who.}: " + _LISTED + ".",
             "该图片（镜像、裁剪或加框后的副本）已在其他 {claim_count} 个申请中提交过，{who:msg:reuse.who.}："
             + _LISTED + "。"),
})
CATALOGUE.define("reuse.template:", {
    "pattern": ("The same damage pattern appears on other photos, in claim(s) " + _LISTED
                + ", {who:msg:reuse.who.}: a pasted damage template.",
                "相同的损坏图案出现在其他照片上（申请 " + _LISTED + "，{who:msg:reuse.who.}）：疑似粘贴的损坏模板。"),
})
CATALOGUE.define("reuse.na.", {
    "no_index": ("no reuse index configured", "未配置复用索引"),
})
