"""Typed thresholds of the reference check (``[checks.reference]`` and its sub-tables).

Every value here is measured, not guessed: docs/reference_check.md gives the runs behind each default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChangeSettings(_Strict):
    """The change detector (``[checks.reference.changes]``): what counts as a changed region."""

    seed_z: float = Field(10.0, gt=0, description="significance (noise units) a region's peak must reach")
    grow_z: float = Field(3.5, gt=0, description="significance down to which a region grows around its peak")
    peak_z: float = Field(12.0, gt=0, description="significance of one visible pixel that makes a region on its own "
                                                  "(a spot too small to sum evidence over)")
    min_visibility: float = Field(1.0, gt=0, description="contrast / just-noticeable difference a region needs")
    raw_visibility_z: float = Field(8.0, ge=0, description="peak significance (noise units) at which a region "
                                                           "that is significant but not visible after the "
                                                           "half-pixel tolerance is judged visible on the "
                                                           "untolerated difference (a 1-2 px mark in texture; "
                                                           "0: never)")
    jnd_base: float = Field(0.01, gt=0, description="just-noticeable luminance change on a flat area (gray 0-1)")
    jnd_masking: float = Field(0.3, ge=0, description="added to the JND per unit of local texture contrast")
    chroma_jnd: float = Field(0.05, gt=0, description="just-noticeable chroma change (opponent units 0-1)")
    min_area_px: int = Field(3, ge=1, description="smallest region (working pixels) a person would call damage")
    tolerance_px: float = Field(0.5, ge=0, le=1, description="misalignment tolerated per pixel (fraction of 1 px)")
    noise_floor: float = Field(0.0015, gt=0, description="lowest noise scale assumed (gray 0-1)")
    shift_px: float = Field(1.5, ge=0.5, description="largest local shift of the reference tried on a region")
    shift_explained: float = Field(0.6, gt=0, le=1, description="share of a region's difference a local shift "
                                                                 "of the reference must remove to call it "
                                                                 "misregistration (1: never)")
    coherence_sigma: float = Field(2.0, gt=0, description="smoothing (px) under which a change that only moves "
                                                          "light around cancels")
    min_coherence: float = Field(0.2, ge=0, lt=1, description="share of a luminance region's difference that must "
                                                              "survive that smoothing (0: never dropped)")
    min_own_response: float = Field(0.5, ge=0, lt=1, description="share of a smooth-channel region's response "
                                                                   "(blob, shading) its own pixels must explain; "
                                                                   "the rest is the filter's tail of a stronger "
                                                                   "change beside it (0: never dropped)")
    framing_margin_px: float = Field(8.0, ge=0,
                                     description="claim pixels inside the reference's edge treated as framing")
    max_regions: int = Field(12, ge=1, description="regions reported per photo (the most visible first)")


class AreaSettings(_Strict):
    """The area detector (``[checks.reference.area]``, :mod:`area`): solid changes above one noise level."""

    blur_sigma: float = Field(1.0, gt=0, description="Gaussian blur of both photos before differencing")
    hi_sigmas: float = Field(7.0, gt=0, description="seed threshold in robust noise sigmas")
    lo_sigmas: float = Field(3.0, gt=0, description="growth threshold in robust noise sigmas")
    hi_floor: float = Field(0.09, gt=0, description="lowest seed threshold (max-channel difference 0-1)")
    lo_floor: float = Field(0.035, gt=0, description="lowest growth threshold (max-channel difference 0-1)")
    min_area_share: float = Field(2e-4, ge=0, description="smallest component as a share of the footprint")
    min_area_px: int = Field(24, ge=1, description="smallest component (working pixels)")
    min_seed_px: int = Field(4, ge=1, description="seed pixels a component needs")


class MergeSettings(_Strict):
    """How the two detectors' regions are combined (``[checks.reference.merge]``, :mod:`merge`)."""

    framing_share: float = Field(0.5, gt=0, le=1, description="share of an area component in the framing band "
                                                                "that makes it framing")
    edit_center: float = Field(3e-4, gt=0, description="damage-like area share at which the area path's edit "
                                                        "probability is 0.5")
    edit_width: float = Field(1e-4, gt=0, description="width of that logistic (share of the footprint)")
    overlay_reach: float = Field(0.25, ge=0, description="a damage-like change inside an overlay's box grown by "
                                 "this share of its size is a piece of that overlay")
    text_reach: float = Field(3.0, ge=0, description="line heights along a line of text within which a damage-like "
                              "change of its height is a further word of it")
    structure_support: float = Field(0.01, ge=0, le=1, description="share of an area component's pixels the "
                                     "structure detector must also call changed; below it the component is "
                                     "laundering the structure detector explained (dropped)")
    structure_min: float = Field(0.58, ge=0.5, le=1, description="confidence a damage-like structure region "
                                                                  "needs to be reported on its own (0.5: at the "
                                                                  "detector's thresholds, 1: twice them)")


class LaunderingSettings(_Strict):
    """The claim's laundering simulated on the reference (``[checks.reference.laundering]``, :mod:`laundering`)."""

    enabled: bool = Field(True, description="encode the aligned reference like the claim before differencing")
    qualities: tuple[int, ...] = Field((35, 45, 55, 65, 75, 85, 92), min_length=1,
                                       description="JPEG qualities tried (each on one window)")
    min_gain: float = Field(0.85, gt=0, le=1, description="the best quality must bring the window's difference "
                                                           "to at most this share of the unencoded one")
    window_px: int = Field(256, ge=32, description="side of the window of unchanged area the quality is fitted on")


class CaptureSettings(_Strict):
    """Same capture or another one? (``[checks.reference.capture]``)."""

    pixel_shared: float = Field(0.1, ge=0, le=1,
                                description="pixel-detail NCC below which the capture's noise is not shared")
    texture_shared: float = Field(0.5, ge=0, le=1,
                                  description="share of tiles with shared texture needed when the noise is not")
    unshared_p_same: float = Field(0.2, ge=0, lt=0.5,
                                   description="same-capture probability left when neither noise nor texture "
                                               "is shared (alignment alone)")


class KindSettings(_Strict):
    """Damage-like or overlay? (``[checks.reference.kinds]``)."""

    bar_span: float = Field(0.6, gt=0, le=1, description="share of the photo's side a UI bar spans")
    bar_depth: float = Field(0.2, gt=0, le=1, description="largest share of the other side a UI bar covers")
    opaque_ncc: float = Field(0.3, description="texture correlation below which the photo is covered (opaque)")
    overlay_chroma: float = Field(0.12, gt=0, description="chroma of new colour that marks a sticker/tag")
    vivid_chroma: float = Field(0.3, gt=0, description="claim chroma of a printed, vivid colour (emoji, tag)")
    covered_ncc: float = Field(0.4, description="texture correlation below which a vivid patch hides the photo "
                                                "(a stain darkening a colourful surface keeps more of it)")
    sharp_edge_px: float = Field(2.0, gt=0, description="widest boundary rise (working pixels) of a drawn "
                                                         "opaque overlay; softer patches are stains")
    rectangular: float = Field(0.85, gt=0, le=1, description="fill of the bounding box that marks a tag or bar")
    text_edge_px: float = Field(3.2, gt=0, description="widest boundary rise (working pixels) of letters outlined "
                                                        "by the area detector; a soft blob that the photo's own "
                                                        "edges break into pieces (a stain over branches) is not text")
    text_components: int = Field(3, ge=2, description="glyph-like components in a row that make text")
    glyph_area_ratio: float = Field(3.0, gt=1, description="largest area ratio between a glyph and the median "
                                                           "glyph (letters of one font have one size)")
    glyph_share: float = Field(0.5, gt=0, le=1, description="share of the region's strokes (by area) its glyphs "
                                                             "must carry to make text")
    baseline_tolerance: float = Field(0.3, gt=0, description="largest distance (line heights) of a glyph's bottom "
                                                             "from the text's baseline")
    line_elongation: float = Field(4.0, gt=1, description="length / width above which a region is a line")
    line_thickness_px: float = Field(8.0, gt=0, description="widest region (working pixels, as grown by the "
                                                            "detector) still called a line")


class ReferenceConfig(_Strict):
    """Settings of the ``reference`` check."""

    different_similarity: float = Field(0.6, ge=0, le=1,
                                        description="colour similarity below which an unmatched photo may be "
                                                    "another product")
    ecc_give_up_px: float = Field(48.0, gt=6.0,
                                  description="corner movement (px of the 640-px ECC copy) at which a diverging "
                                              "sub-pixel refinement is given up (a speed setting: a refinement "
                                              "moving the frame over 6 px is rejected in any case)")
    realign_share: float = Field(0.02, ge=0, le=1,
                                 description="share of the footprint the first comparison's changed area must "
                                             "cover for the alignment to be refined again without it (an overlay "
                                             "or a large edit pulls ECC; 0: never)")
    realign_px: float = Field(0.25, ge=0, description="frame movement (working px) of that second refinement "
                                                      "above which the pair is compared again in its frame")
    capture: CaptureSettings = Field(default_factory=CaptureSettings)
    area: AreaSettings = Field(default_factory=AreaSettings)
    laundering: LaunderingSettings = Field(default_factory=LaunderingSettings)
    changes: ChangeSettings = Field(default_factory=ChangeSettings)
    merge: MergeSettings = Field(default_factory=MergeSettings)
    kinds: KindSettings = Field(default_factory=KindSettings)
