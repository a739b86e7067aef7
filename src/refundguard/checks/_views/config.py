"""The multiview check's settings (``[checks.multiview]`` and its sub-tables), with their meaning.

Every threshold of the comparison lives here, so that a platform can read and change it in its config
file (``[checks.multiview.compare]``, ``[checks.multiview.visibility]`` ...) and the benchmark can name
what it measured. Distances are in *working* pixels (the photos are compared with their long side at
``match.work_side``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MatchSettings(_Section):
    """Is it the same object? SIFT matches consistent with one rigid scene."""

    work_side: int = Field(1024, ge=256, le=4096, description="long side of the working copies")
    features: int = Field(4000, ge=200, description="SIFT features per photo")
    ratio: float = Field(0.75, gt=0, lt=1, description="Lowe's ratio test")
    min_inliers: int = Field(30, ge=8, description="fewest epipolar-consistent matches for 'same object'")
    min_inlier_share: float = Field(0.25, gt=0, le=1, description="... and their share of the candidate matches")
    equalised_retry: float = Field(2.0, ge=0, le=10, description="when two photos do not match, match again on "
                                   "copies with their contrast equalised locally (CLAHE clip limit; 0: no retry): "
                                   "a dim photo under another light gives too few features")


class AlignSettings(_Section):
    """Dense correspondence: matches → smooth prior → DIS optical flow, validated both ways."""

    prior_sigma: float = Field(0.06, gt=0, description="smoothing of the matches' parallax field, share of the side")
    max_fb_error: float = Field(1.5, gt=0, description="forward-backward error (px, at equal resolution)")
    max_epipolar_error: float = Field(3.0, gt=0, description="distance of a mapped pixel from its epipolar line (px)")
    agreement_px: float = Field(3.0, gt=0, description="a match agrees with the dense map within this (px)")
    min_agreement: float = Field(0.6, gt=0, le=1, description="share of matches the flow must reproduce")
    max_hole: float = Field(0.05, ge=0, le=0.2, description="largest enclosed hole mapped by its surroundings, "
                            "share of the image")
    hole_fit_px: float = Field(1.0, gt=0, description="an affine map must fit the ring around a hole within this")
    gap_sigma: float = Field(24.0, gt=0, description="reach (px, Gaussian) of the trusted surface's motion into "
                             "a gap of the flow next to it")
    gap_support: float = Field(0.2, gt=0, le=1, description="a gap pixel is mapped when this weight of trusted "
                               "surface lies within that reach ...")
    gap_spread_px: float = Field(1.0, gt=0, description="... and that surface moves as one (spread of its "
                                 "displacement, px): never across an occlusion boundary")
    hidden_px: float = Field(3.0, gt=0, description="a filled pixel whose place in the other view the flow traces "
                             "back farther than this (px) is hidden there (behind a nearer surface): not compared")
    planar_share: float = Field(0.9, gt=0, le=1, description="a flat scene: at least this share of the matches "
                                "obeys one homography ...")
    planar_residual_px: float = Field(3.0, gt=0, description="... with 90 % of them within this (px); the flow's "
                                      "gaps inside the matched area are then mapped by that homography ...")
    planar_reach: float = Field(0.1, ge=0, le=0.5, description="... and up to this share of the side beyond the "
                                "matched points' hull (a flat item's edge where no feature was matched)")


class CompareSettings(_Section):
    """Structure of one view that the other lacks (gradients of normalised log-luminance and chroma)."""

    tolerance: int = Field(3, ge=1, le=10, description="displacement within which matching structure explains")
    fine_tolerance: int = Field(1, ge=0, le=5, description="... within which the same edge, however faint, "
                                "explains (contrast-normalised)")
    excess: float = Field(1.6, gt=1, description="structure must exceed this multiple of the other view's")
    level_floor: float = Field(0.25, gt=0, description="noise floor of the local structure level, × typical")
    candidate_level: float = Field(0.35, gt=0, description="smoothed unexplained structure, × typical gradient")
    max_candidates: int = Field(40, ge=1, le=200, description="places examined per direction, most unexplained "
                                "structure first")
    merge_gap: int = Field(8, ge=0, description="pieces of one mark closer than this (px) are one candidate")
    thin_level: float = Field(0.0, ge=0, description="a second, lower level (× typical gradient) at which thin, "
                              "elongated places are looked for (a hairline crack or a scuff unexplained only in "
                              "parts at candidate_level); 0: no second pass")
    thin_merge_gap: int = Field(4, ge=0, description="... pieces of one line closer than this (px) are one")
    thin_half_width: float = Field(2.0, gt=0, description="... a piece is thin when half its pixels lie within "
                                   "this (px) of its edge ...")
    thin_min_length: float = Field(24.0, gt=0, description="... and long when its box's diagonal is this (px)")
    thin_covered: float = Field(0.8, gt=0, le=1, description="... not when a candidate of the main pass covers "
                                "this share of it (measured already)")
    thin_max: int = Field(12, ge=0, le=100, description="... at most this many, most unexplained first")
    dark_level: float = Field(0.0, ge=0, description="places X shows this much darker than Y (log units, against "
                              "the offset between the views around them) are candidates too: soft-edged marks "
                              "darken without edges; 0: no such pass (the default: alone it finds nothing the "
                              "structure pass misses; with soft_darkening 0.3 it flags honest glass panes)")
    dark_sigma: float = Field(0.04, gt=0, le=0.5, description="... the neighbourhood of that offset, share of the "
                              "side (slow changes of exposure and shading are not marks)")
    dark_max_share: float = Field(0.03, gt=0, le=1, description="... at most this share of the image")
    dark_max: int = Field(12, ge=0, le=100, description="... at most this many, most darkening first")
    soft_darkening: float = Field(0.0, ge=0, description="a mark X shows this much darker than Y (log units, 90th "
                                  "percentile) is a difference without unexplained edges — a soft-edged mark — when "
                                  "...; 0: never (the default: measured at 0.3, it flags honest door panes whose "
                                  "reflection changed, issue #14 ninth session; try it with dark_level 0.1)")
    soft_min_share: float = Field(1e-3, ge=0, le=1, description="... it covers this share of the photo at least ...")
    soft_ring_agreement: float = Field(0.9, ge=-1, le=1, description="... the ring around it agrees this closely ...")
    soft_interior_agreement: float = Field(0.6, ge=-1, le=1, description="... and the texture inside its box, off "
                                           "its strongest part, too (the surface goes on under the mark) ...")
    soft_other_bright: float = Field(0.05, ge=0, description="... the other view does not see the place more "
                                     "than this brighter than around it (log units: not a highlight of its own) ...")
    soft_skip_parallax: bool = Field(True, description="a soft mark is not tested for parallax: the epipolar "
                                     "search compares a mark's own structure, and a soft mark has none (the texture "
                                     "under it, which the other view shows, correlates along the line)")
    soft_max_detail: float = Field(1.2, gt=0, description="... and sees no more than this fine detail at the place "
                                   "against its ring (the surface goes on plain there; a window's frames and bars "
                                   "are busier than the wall)")
    min_area: float = Field(4e-5, gt=0, description="smallest candidate, share of the working image")
    blob_unexplained: float = Field(0.35, gt=0, le=1, description="share of a candidate's structure unexplained")
    strong_unexplained: float = Field(0.25, gt=0, le=1, description="... or at least this share when the "
                                      "unexplained structure is strong (strong_contrast): a dark blob or crack on "
                                      "a finely textured surface leaves part of its outline 'explained' by the "
                                      "texture the other view shows beside it")
    strong_contrast: float = Field(1.2, gt=0, description="strongest unexplained structure (× typical gradient) "
                                   "for the lower share: 1.5 × min_contrast (a crack or stain on a finely grained "
                                   "surface, seen as closely and face-on by the other view)")
    strong_resolution: float = Field(0.8, gt=0, description="... and only where the other view sees the place "
                                     "about as closely (its pixels per pixel, worst direction): seen smaller, the "
                                     "part it explains may be the same feature drawn smaller (a pit whose dark "
                                     "inside the other view barely shows)")
    strong_foreshortening: float = Field(0.9, gt=0, le=1, description="... and about as face-on (worst over best "
                                         "direction of magnification): at an angle, a recess hides its inside")
    ring_unexplained: float = Field(0.25, gt=0, le=1, description="most unexplained share of the ring around it")
    min_contrast: float = Field(0.8, gt=0, description="strongest unexplained structure, × typical gradient")
    stain_contrast: float = Field(0.5, gt=0, description="... or at least this when the mark darkens the surface "
                                  "by stain_darkening: a stain's edges are soft, its darkening is what shows")
    stain_darkening: float = Field(0.3, gt=0, description="darkening (log units, 90th percentile) of such a "
                                   "soft-edged mark")
    parallax_ncc: float = Field(0.75, gt=0, le=1, description="found again along its epipolar line with this "
                                "structure correlation: parallax, not a difference")
    planar_skip_parallax: bool = Field(True, description="no parallax test on a flat scene (one homography maps "
                                       "the pair, align.planar_*): nothing stands at another depth, and the epipolar "
                                       "geometry of coplanar points is degenerate (issue #14, ninth session: tuned "
                                       "77 -> 79 of 115, broad 93 -> 99 of 196, untouched and same-picture views 0 "
                                       "flagged)")
    max_parallax: float = Field(0.08, gt=0, le=0.5, description="longest epipolar search, share of the side")
    chroma_weight: float = Field(1.0, ge=0, description="weight of colour structure (0: luminance only)")
    highlight_lift: float = Field(0.45, gt=0, le=1, description="brightening towards white of a moved highlight")
    min_darkening: float = Field(0.12, ge=0, description="damage darkens: X at least this much darker than Y "
                                 "somewhere on the mark (log units); a mark that only adds light is a reflection, "
                                 "a highlight or flare that moved")
    scuff_width: float = Field(3.5, gt=0, description="a mark X brightens (by min_darkening at least) that is "
                               "at most this wide (px) ...")
    scuff_elongation: float = Field(4.0, ge=1, description="... and this many times longer than wide is a scuff "
                                    "line across the surface, not a highlight (a reflection or sunlit leaves are "
                                    "blobs) ...")
    glint_grey: float = Field(215.0, gt=0, le=255, description="... and not this bright (grey level, 95th "
                              "percentile of the line): a white line is a glint off an edge or a pane, not a scuff")
    light_dominance: float = Field(1.0, gt=0, description="a mark X brightens (against Y, 90th percentile) at "
                                   "least this multiple of how much it darkens is added light — a reflection in a "
                                   "pane, a highlight that moved — not damage (scuffs aside)")
    interior_light: float = Field(0.15, gt=0, description="X brighter than Y around the mark inside its box "
                                  "(log units): a reflection that moved, not damage")
    highlight_max_darkening: float = Field(0.15, ge=0, le=1, description="... that darkens nowhere more than this")


class VisibilitySettings(_Section):
    """Could the other view have shown it? Resolution, focus, glare/shadow, alignment around it."""

    min_resolution: float = Field(0.45, gt=0, description="other view's pixels per pixel, worst direction")
    min_foreshortening: float = Field(0.7, gt=0, le=1, description="other view's worst over best direction of "
                                      "magnification: below it the place is seen at a grazing angle (recesses "
                                      "and reliefs hide and reveal parts)")
    min_sharpness: float = Field(0.5, gt=0, description="other view's fine detail in the ring, relative")
    max_clipped: float = Field(0.25, ge=0, le=1, description="share of the place blown out or black in the other")
    min_ring_valid: float = Field(0.6, gt=0, le=1, description="share of the ring both views see and align")
    min_ring_agreement: float = Field(0.35, ge=-1, le=1, description="correlation of the ring's texture")
    min_hole_fit: float = Field(0.6, gt=0, le=1, description="a mark inside a flow hole must account for this "
                                "share of it (else the flow failed over a wider region: not aligned there)")
    min_ring_trusted: float = Field(0.5, gt=0, le=1, description="... and the ring around a mark inside a flow gap "
                                    "must be this much surface the flow itself aligned (a thin part against "
                                    "the sky is filled from one side only)")
    dark_region: float = Field(0.14, gt=0, description="the other view sees the place this much darker than the "
                               "surface around it (log units) ...")
    dark_plain: float = Field(0.8, gt=0, description="... and plainer (fine detail against the ring): glass, a "
                              "screen, an opening or a shadow, whose look changes with the viewpoint")
    min_place_detail: float = Field(0.5, gt=0, le=1, description="the other view's fine detail at the place "
                                    "against its ring: below it, it sees a featureless patch amid texture there "
                                    "(glass, sky between parts, a shadowed recess), whose look changes with the "
                                    "viewpoint")
    plain_strong_contrast: float = Field(1.5, gt=0, description="a mark at least this strong (× typical "
                                         "gradient) ...")
    plain_strong_ring_agreement: float = Field(0.95, ge=-1, le=1, description="... whose ring agrees in both views "
                                               "with this correlation ...")
    plain_strong_min_detail: float = Field(0.3, ge=0, le=1, description="... and where the other view keeps this "
                                           "much of the ring's fine detail is resolved despite min_place_detail")
    min_interior_agreement: float = Field(0.3, ge=-1, le=1, description="correlation of the two views' fine "
                                          "detail inside the mark's box, off the mark: below it the place itself "
                                          "shows other content in each view (a pane whose reflection or interior "
                                          "changed, a railing in front with the wall behind it moved by parallax) "
                                          "though the ring around agrees; the correspondence does not hold there")
    place_differs_max_share: float = Field(0.005, gt=0, le=1, description="... only for a mark smaller than this "
                                           "share of the photo: a pane or a railing post is a local place; a region "
                                           "regenerated over a larger share while the surface around agrees in both "
                                           "(an AI edit) is replaced content, not a place the views see differently")
    min_filled_interior: float = Field(0.6, ge=-1, le=1, description="... and at least this correlation where "
                                       "the mark lies in a flow hole mapped by the surface around it: the map there "
                                       "is an assumption the place itself must bear out (a pane that is dark with "
                                       "its bars in one view and reflects the sky in the other breaks the flow too)")
    very_dark: float = Field(0.3, gt=0, description="... or this much darker, however detailed (a window with its "
                             "bars and frames)")
    dark_texture_ring_agreement: float = Field(0.985, ge=-1, le=1, description="... but not where the ring around "
                                               "the place agrees in both views with this correlation ...")
    dark_texture_min_detail: float = Field(0.5, ge=0, description="... and the other view keeps this much of the "
                                           "ring's fine detail at the place: a darker stretch of the same surface, "
                                           "seen the same way from both places")
    max_replaced: float = Field(0.5, gt=0, le=1, description="share of the other view's structure there the "
                                "first lacks; above it the place shows different content in each (occlusion, "
                                "reflection), not an addition")


class ScoreSettings(_Section):
    """Finding score from the evidence (the verdict weighs it; see docs/checks/capture_and_multiview.md)."""

    resolved: float = Field(0.8, gt=0, le=1, description="one difference the other view clearly resolves")
    strong: float = Field(0.88, gt=0, le=1, description="... with a large margin of contrast and resolution")
    two_sided: float = Field(0.93, gt=0, le=1, description="each photo shows resolved damage the other lacks")
    unresolved: float = Field(0.4, ge=0, le=1, description="only differences the other view may not resolve")
    replaced: float = Field(0.6, ge=0, le=1, description="resolved, but the place shows other content in each")
    prior_bonus: float = Field(0.03, ge=0, le=0.2, description="a difference at a region another check reported")
    maximum: float = Field(0.95, gt=0, le=1, description="highest score")
    min_shared: float = Field(0.12, gt=0, le=1, description="compared share of a photo for a 'second view' "
                              "verification")


class MultiviewConfig(_Section):
    """``[checks.multiview]``."""

    max_views: int = Field(6, ge=2, le=12, description="claim photos compared pairwise (6: 15 pairs)")
    match: MatchSettings = Field(default_factory=MatchSettings)
    align: AlignSettings = Field(default_factory=AlignSettings)
    compare: CompareSettings = Field(default_factory=CompareSettings)
    visibility: VisibilitySettings = Field(default_factory=VisibilitySettings)
    score: ScoreSettings = Field(default_factory=ScoreSettings)
