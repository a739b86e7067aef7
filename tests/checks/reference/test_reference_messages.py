"""The reference check's sentences are catalogue keys made from the finding's details, in both languages."""

from __future__ import annotations

import numpy as np

from bench.claimbench import recipes
from refundguard.messages import CATALOGUE, Context, both, render
from tests.checks.reference.conftest import only_finding, run_reference

NAMES = ["claim.jpg", "listing.jpg"]


def _made_again(finding) -> dict[str, str]:
    """The finding's sentence made from its key and details alone, as a page or the PDF makes it."""
    return both(f"{finding.code}:{finding.variant}", finding.details, names=NAMES)


def test_every_sentence_has_the_same_parameters_in_both_languages():
    keys = [e for e in CATALOGUE if e.key.startswith("reference.")]
    assert len(keys) > 40
    for entry in keys:
        assert entry.params == frozenset(_params(entry.zh)), entry.key


def _params(template: str) -> set[str]:
    import string

    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(template) if f}


def test_scratch_and_watermark_each_say_their_kind_and_family(coffee):
    claim, _ = recipes.thin_scratch(coffee, np.random.default_rng(1), recipes.STRENGTHS["strong"])
    claim, _ = recipes.watermark(claim, np.random.default_rng(5), recipes.STRENGTHS["clear"])
    f = only_finding(run_reference(claim, [coffee]), "reference.derived_edit")
    assert f.variant == "damage_and_overlays"
    said = _made_again(f)
    assert said["en"].startswith("This photo is the reference photo listing.jpg (same capture, aligned to")
    assert "1 scratch" in said["en"] and "1 watermark" in said["en"] and "not evidence of damage" in said["en"]
    assert "划痕 1 处" in said["zh"] and "水印 1 处" in said["zh"] and "不是损坏的证据" in said["zh"]
    families = {r["kind"]: r["family"] for r in f.details["changed_regions"]}
    assert families == {"scratch": "damage", "watermark": "overlay"}
    labels = {r["kind"]: (r["label"], r["family_label"]["en"]) for r in f.details["changed_regions"]}
    assert labels["watermark"] == ({"en": "watermark", "zh": "水印"}, "overlay drawn over the photo (not damage)")
    assert labels["scratch"][1] == "damage-like change"
    assert f.details["damage_tally"] == [{"part": "scratch", "count": 1}]
    assert [b["key"] for b in f.details["heatmap_legend"]] == ["reference.legend.noise", "reference.legend.overlay",
                                                               "reference.legend.damage"]


def test_an_overlay_alone_is_worded_as_not_damage(coffee):
    claim, _ = recipes.sticker(coffee, np.random.default_rng(3), recipes.STRENGTHS["clear"])
    f = only_finding(run_reference(claim, [coffee]), "reference.derived_overlay")
    said = _made_again(f)
    kinds = {r["kind"] for r in f.details["changed_regions"]}
    assert kinds and kinds <= {"sticker", "price_tag"}  # an opaque drawn patch; either overlay kind is right
    assert f.variant == "overlays" and "no damage-like change" in said["en"] and "not evidence of damage" in said["en"]
    assert ("1 sticker" in said["en"]) == ("贴纸 1 处" in said["zh"]) and "没有类似损坏的修改" in said["zh"]
    assert "damage-like change" not in f.message.en.replace("no damage-like change", "")


def test_copy_and_verification_name_photos_by_number_from_one(coffee):
    result = run_reference(coffee, [coffee])
    f = only_finding(result, "reference.derived_copy")
    assert f.variant == "copy" and f.details["reference_image"] == 1
    assert "reference photo #2 itself" in render("reference.derived_copy:copy", f.details, Context("en"))
    v = result.verifications[0]
    assert v.key == "reference.verified.copy" and v.params == {"claim_image": 0, "reference_image": 1}
    assert render(v.key, v.params, Context("zh", NAMES)) == "claim.jpg 与商品图 listing.jpg 匹配：由该图派生，没有修改"
