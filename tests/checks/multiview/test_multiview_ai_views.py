"""multiview on real AI inpainting: one photo of a SAGI pair's edited picture and one of its original."""

from __future__ import annotations

import numpy as np
import pytest

from bench.claimbench.sources import read, sagi_pairs
from bench.multiview import ai_view_pair, on_edit
from refundguard.engine import analyze
from refundguard.media.load import load_image
from tests.conftest import corpus_path

CODE = "multiview.inconsistent_damage"
#: SAGI pairs by 3-digit id whose edit changed under 12 % of the frame (others regenerated much of it):
#: BrushNet, HD-Painter, Inpaint-Anything and Remove-Anything (LaMa) edits
PAIRS = ("000", "008", "013", "017")


def sagi(pair_id: str) -> tuple[np.ndarray, np.ndarray]:
    corpus_path("inpainting", "sagi")  # skips (fails in CI) without the corpus
    [(original, edited)] = [pair for pair in sagi_pairs() if pair[0].name.startswith(f"{pair_id}_")]
    return read(str(original)), read(str(edited))


@pytest.mark.parametrize("pair_id", [pytest.param("000", marks=pytest.mark.xfail(
    strict=True, reason="known miss: with 86 matches the scene is not taken for flat, and the flow fails over the "
                        "regenerated region, which is therefore not compared")), *PAIRS[1:]])
def test_an_ai_edited_view_beside_the_original_is_flagged_on_the_edit(pair_id: str) -> None:
    original, edited = sagi(pair_id)
    a, b, mask_a, mask_b = ai_view_pair(original, edited, 7000 + int(pair_id), "edited", "original")
    result = analyze([load_image(a, name="edited.jpg"), load_image(b, name="original.jpg")], only=["multiview"])
    [finding] = [f for f in result.findings if f.code == CODE]
    masks = (mask_a, mask_b)
    regions = finding.details["regions_by_image"]
    assert min(mask_a.mean(), mask_b.mean()) < 0.12  # a small edit: lying on it is not chance
    assert any(on_edit(masks[int(image)], (r["x"], r["y"], r["w"], r["h"]))
               for image, rs in regions.items() for r in rs), "no reported region lies on the AI edit"


@pytest.mark.parametrize("pair_id", PAIRS)
@pytest.mark.parametrize("picture", ["original", "edited"])
def test_two_views_of_one_picture_pass(pair_id: str, picture: str) -> None:
    original, edited = sagi(pair_id)
    a, b, _, _ = ai_view_pair(original, edited, 7000 + int(pair_id), picture, picture)
    result = analyze([load_image(a, name="a.jpg"), load_image(b, name="b.jpg")], only=["multiview"])
    assert result.checks["multiview"].status == "ran"
    assert not [f for f in result.findings if f.code == CODE]


def test_a_regenerated_region_is_flagged_though_its_inside_differs() -> None:
    # SAGI 012: the edit regenerates a region around what it removed; inside the mark's box the two pictures'
    # fine detail does not correlate (as inside a window pane seen from two places), but the mark covers a
    # sizeable share of the photo while the surface around it agrees: replaced content, reported
    original, edited = sagi("012")
    a, b, mask_a, mask_b = ai_view_pair(original, edited, 7012, "edited", "original")
    result = analyze([load_image(a, name="edited.jpg"), load_image(b, name="original.jpg")], only=["multiview"])
    [finding] = [f for f in result.findings if f.code == CODE]
    masks = (mask_a, mask_b)
    diffs = [d for pair in finding.details["pairs"] for d in pair["differences"] if d["resolved"]]
    assert any(d["interior_agreement"] is not None and d["interior_agreement"] < 0.3 and d["share"] >= 0.005
               for d in diffs)
    assert any(on_edit(masks[int(k)], box) for d in diffs for k, box in d["regions"].items())
