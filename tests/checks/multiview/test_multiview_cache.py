"""bench/multiview_cache.py replays the check's decision on staged candidates (judge, de-duplication, flag)."""

from __future__ import annotations

from dataclasses import replace

from bench.multiview_cache import Candidate, Staged, decide, on_damage, why_missed
from refundguard.checks._views.config import MultiviewConfig
from refundguard.checks._views.evidence import Evidence


def evidence(box: tuple[int, int, int, int], **changes: float) -> Evidence:
    ev = Evidence(box=box, unexplained=0.6, ring=0.05, contrast=1.4, lift=0.0, darkening=0.4, replaced=0.02,
                  resolution=0.95, sharpness=1.0, clipped=0.0, ring_valid=1.0, ring_agreement=0.8, area=120,
                  darkest=0.5)
    return replace(ev, **changes)


def staged(*candidates: Candidate, box_a: tuple[int, int, int, int] | None = (100, 100, 40, 40)) -> Staged:
    return Staged("case", "crack", True, list(candidates), box_a=box_a)


def test_a_resolved_difference_on_the_painted_box_is_found() -> None:
    c = Candidate(0, evidence((50, 50, 20, 20)), (110, 110, 20, 20), (100, 100, 20, 20))
    case = staged(c)
    outcome = decide(case)
    assert outcome.flagged and on_damage(case, outcome) and why_missed(case) == ("found", [])


def test_a_weaker_difference_overlapping_a_stronger_unresolved_one_is_dropped() -> None:
    # as the check's _examine_side: differences are kept strongest first, none overlapping a kept one
    strong = Candidate(0, evidence((50, 50, 20, 20), contrast=3.0, resolution=0.2), (110, 110, 20, 20), (0, 0, 1, 1))
    weak = Candidate(0, evidence((55, 55, 10, 10), contrast=1.0), (115, 115, 10, 10), (0, 0, 1, 1))
    case = staged(strong, weak)
    outcome = decide(case)
    assert not outcome.flagged and [c for c, _ in outcome.differences] == [strong]
    assert why_missed(case) == ("not_resolved", ["resolution"])


def test_the_stage_that_lost_the_damage_is_named() -> None:
    off = Candidate(0, evidence((0, 0, 10, 10)), (0, 0, 10, 10), (0, 0, 10, 10))
    assert why_missed(staged(off))[0] == "no_candidate"
    faint = Candidate(0, evidence((50, 50, 20, 20), contrast=0.3), (110, 110, 20, 20), (0, 0, 1, 1))
    assert why_missed(staged(faint)) == ("not_damage_like", ["visible"])
    assert why_missed(Staged("case", "crack", False, box_a=(0, 0, 1, 1))) == ("not_matched", [])
    # the decision follows the config it is given
    loose = MultiviewConfig.model_validate({"compare": {"min_contrast": 0.2, "stain_contrast": 0.2}})
    assert why_missed(staged(faint), loose) == ("found", [])


def test_thin_candidates_count_only_when_the_thin_pass_is_on_and_they_fit_its_settings() -> None:
    thin = Candidate(0, evidence((50, 50, 20, 20)), (110, 110, 20, 20), (100, 100, 20, 20), "thin", (40.0, 1.5))
    case = staged(thin)
    assert not decide(case).flagged  # the committed default: no thin pass ... or one it does not fit
    on = MultiviewConfig.model_validate({"compare": {"thin_level": 0.2, "thin_min_length": 30.0}})
    assert decide(case, on).flagged and on_damage(case, decide(case, on))
    longer = MultiviewConfig.model_validate({"compare": {"thin_level": 0.2, "thin_min_length": 50.0}})
    assert not decide(case, longer).flagged
