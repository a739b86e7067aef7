"""What an analysis actually examined and verified — so that "found nothing" is never read as "genuine".

A verdict of ``low`` means no check found evidence of forgery. Whether that is worth anything depends on
what the photos were checked *against*: a photo compared with the merchant's listing photo, or with a
second photo of the same item, or taken live through the capture page, has been verified; a single photo
with nothing to compare can only be *unverified* — blind detectors of regenerated pixels are near
chance, so their silence proves nothing. An analysis in which a check that applied failed, or was not
requested, is *incomplete*. Both facts travel with the assessment, the report and the routing policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from refundguard.checks.registry import CheckStatus, Skip, Verification
from refundguard.findings import Message

#: coverage kinds that verify a claim photo against independent evidence (provenance only reads what the
#: file says about itself: its absence proves nothing)
VERIFYING = ("reference", "second_view", "live_capture")

_KIND_TEXT = {
    "reference": ("compared with the merchant's listing photo", "已与商家商品图比对"),
    "second_view": ("compared with a second photo of the same item", "已与同一商品的另一张照片比对"),
    "live_capture": ("taken live through the capture page", "通过现场拍摄页面实时拍摄"),
    "provenance": ("its provenance metadata read", "已读取其溯源元数据"),
}


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which verifications happened, which checks failed or were not requested, which photos were skipped."""

    claim_photos: tuple[int, ...] = ()
    verifications: tuple[Verification, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()  # (check, error)
    not_requested: tuple[str, ...] = ()
    skips: tuple[Skip, ...] = ()

    @property
    def incomplete(self) -> bool:
        """A check that applied failed, or checks were left out on request."""
        return bool(self.failed or self.not_requested)

    def verified_by(self, image: int) -> tuple[str, ...]:
        """The verifying kinds (see :data:`VERIFYING`) that cover claim photo ``image``, in a fixed order."""
        kinds = {v.kind for v in self.verifications if image in v.images and v.kind in VERIFYING}
        return tuple(k for k in VERIFYING if k in kinds)

    @property
    def unverified_photos(self) -> tuple[int, ...]:
        return tuple(i for i in self.claim_photos if not self.verified_by(i))

    @property
    def verified(self) -> bool:
        """Every claim photo was checked against independent evidence."""
        return bool(self.claim_photos) and not self.unverified_photos

    @property
    def basis(self) -> str:
        """``incomplete``, ``verified`` or ``unverified``: what a ``low`` verdict rests on."""
        if self.incomplete:
            return "incomplete"
        return "verified" if self.verified else "unverified"


def coverage_of(statuses: Mapping[str, CheckStatus], roles: Sequence[str], *, skips: Sequence[Skip] = (),
                verifications: Sequence[Verification] = ()) -> Coverage:
    """Coverage of one analysis from its check statuses and the checks' own records."""
    return Coverage(
        claim_photos=tuple(i for i, r in enumerate(roles) if r == "claim"),
        verifications=tuple(verifications),
        failed=tuple((name, s.error or "failed") for name, s in sorted(statuses.items()) if s.status == "failed"),
        not_requested=tuple(sorted(name for name, s in statuses.items() if s.status == "not_requested")),
        skips=tuple(skips))


def failure_notes(coverage: Coverage) -> tuple[Message, ...]:
    """One reason per failed check: its evidence is missing, so a person must look."""
    return tuple(Message(
        en=f"The {name} check failed ({_short(error)}): what it would have found is unknown, so this claim "
           "is not cleared; a person must look before any refund.",
        zh=f"{name} 检查失败（{_short(error)}）：它本应发现的问题无从得知，因此本申请不能视为通过，"
           "退款前必须由人工查看。") for name, error in coverage.failed)


def summary(coverage: Coverage, level: str, names: Sequence[str]) -> Message:
    """What the verdict rests on, in words a merchant understands."""
    if coverage.incomplete:
        parts_en, parts_zh = [], []
        if coverage.failed:
            failed = ", ".join(name for name, _ in coverage.failed)
            parts_en.append(f"the {failed} check(s) failed")
            parts_zh.append(f"{failed} 检查失败")
        if coverage.not_requested:
            left = ", ".join(coverage.not_requested)
            parts_en.append(f"the {left} check(s) were not run on request")
            parts_zh.append(f"按要求未运行 {left} 检查")
        return Message(
            en=f"Incomplete analysis: {'; '.join(parts_en)}. This is not a clearance: never refund "
               "automatically on it.",
            zh=f"分析不完整：{'；'.join(parts_zh)}。这不是审核通过的结论：不得据此自动退款。")
    verified_en, verified_zh = [], []
    for i in coverage.claim_photos:
        kinds = coverage.verified_by(i)
        if kinds:
            verified_en.append(f"{names[i]} " + " and ".join(_KIND_TEXT[k][0] for k in kinds))
            verified_zh.append(f"{names[i]}" + "、".join(_KIND_TEXT[k][1] for k in kinds))
    if coverage.verified:
        lead_en = "Nothing suspicious was found, and every" if level == "low" else "Every"
        lead_zh = "未发现可疑之处，并且" if level == "low" else ""
        return Message(en=f"{lead_en} photo was verified: {'; '.join(verified_en)}.",
                       zh=f"{lead_zh}每张照片都经过了核实：{'；'.join(verified_zh)}。")
    missing = ", ".join(names[i] for i in coverage.unverified_photos)
    if level == "low":
        en = (f"Unverified, not genuine: nothing suspicious was found, but nothing could be checked for {missing} "
              "— no listing photo matched it and there is no second photo of the same item. Finding nothing "
              "on a single photo is no proof that it is real: ask for the listing photo, another angle or a "
              "live capture before refunding.")
        zh = (f"未经核实，不等于真实：未发现可疑之处，但 {missing} 无从核实——没有与之匹配的商品图，也没有同一商品的"
              "第二张照片。单张照片查不出问题并不能证明它是真的：退款前请补充商品图、换个角度的照片或现场拍摄。")
    else:
        en = f"Not verified against independent evidence: {missing} (no matched listing photo, no second view)."
        zh = f"以下照片未经独立证据核实：{missing}（没有匹配的商品图，也没有第二个角度）。"
    if verified_en:
        en += f" Verified: {'; '.join(verified_en)}."
        zh += f"已核实：{'；'.join(verified_zh)}。"
    return Message(en=en, zh=zh)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
