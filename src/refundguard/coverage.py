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
from typing import Any

from refundguard.checks.registry import CheckStatus, Skip, Verification
from refundguard.findings import Message

#: coverage kinds that verify a claim photo against independent evidence (provenance only reads what the
#: file says about itself: its absence proves nothing)
VERIFYING = ("reference", "second_view", "live_capture")



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


def report_section(coverage: Coverage) -> dict[str, Any]:
    """The structured part of the report's ``coverage`` section (what :mod:`refundguard.messages` words)."""
    return {"failed": [{"check": name, "error": error} for name, error in coverage.failed],
            "not_requested": list(coverage.not_requested),
            "photos": [{"image": i, "verified_by": list(coverage.verified_by(i))} for i in coverage.claim_photos]}


def failure_notes(coverage: Coverage, names: Sequence[str] = ()) -> tuple[Message, ...]:
    """One reason per failed check: its evidence is missing, so a person must look."""
    from refundguard.messages import Context
    from refundguard.messages.compose import failure_notes as notes

    section = report_section(coverage)
    en, zh = notes(section, Context("en", names)), notes(section, Context("zh", names))
    return tuple(Message(en=e, zh=z) for e, z in zip(en, zh, strict=True))


def summary(coverage: Coverage, level: str, names: Sequence[str]) -> Message:
    """What the verdict rests on, in words a merchant understands (the catalogue's ``coverage.*`` texts)."""
    from refundguard.messages import Context
    from refundguard.messages.compose import coverage_summary

    section = report_section(coverage)
    return Message(en=coverage_summary(section, level, Context("en", names)),
                   zh=coverage_summary(section, level, Context("zh", names)))
