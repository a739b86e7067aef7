"""Settings of the ``live`` check (``[checks.live]``); every threshold it uses is here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LiveConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: OCR passes on shot (a): the whole photo, then this many tiles a side when the code was not read whole
    code_tile_grid: int = Field(2, ge=1, le=4)
    #: a live shot is compared with at most this many others (orbit frames beyond it are sampled evenly)
    max_live_views: int = Field(8, ge=2, le=16)
    #: claimed damage counts as absent from the live item when this many live shots, each seeing the place well
    #: enough to show it, lack it there
    absent_views: int = Field(2, ge=1, le=4)
    #: damage is confirmed when at least this many live shots show the claimed place and none lacks it
    confirm_views: int = Field(2, ge=1, le=4)
    #: a structure a live shot shows alone counts as an inconsistency when this many other live shots lack it
    inconsistent_views: int = Field(2, ge=1, le=4)
    #: a claim photo counts as compared with the live item when one live shot covers this share of it
    min_cover: float = Field(0.3, gt=0, le=1)
    #: smallest contrast (multiple of the object's typical gradient) of a difference that counts
    min_contrast: float = Field(1.2, gt=0)
    #: the claimed place must hold structure: its 90th-percentile gradient at least this share of the photo's
    min_damage_structure: float = Field(0.8, gt=0)
    #: a spectral peak at least this many decades above the spectrum around it (see ``_live.recapture``)
    moire_prominence: float = Field(1.3, gt=0)
    #: share of a live shot's tiles with such peaks for "periodic like a screen or a print"
    moire_share: float = Field(0.3, gt=0, le=1)
    #: share of the claim photo's mapped border that must run along an edge in the shot: "a picture in it"
    frame_edge_share: float = Field(0.6, gt=0, le=1)
    #: a scene is flat when one homography explains this share of the matches …
    flat_share: float = Field(0.93, gt=0, le=1)
    #: … within this median distance (working pixels)
    flat_residual: float = Field(1.2, gt=0)
    #: scores of the findings
    score_absent: float = Field(0.9, ge=0, le=1)
    score_absent_all: float = Field(0.95, ge=0, le=1)
    score_place_differs: float = Field(0.85, ge=0, le=1)
    score_absent_single: float = Field(0.5, ge=0, le=1)  # one live shot lacks it, no other shot sees the place
    score_confirmed: float = Field(0.8, ge=0, le=1)
    score_confirmed_all: float = Field(0.95, ge=0, le=1)
    score_code_missing: float = Field(0.6, ge=0, le=1)
    score_code_wrong: float = Field(0.85, ge=0, le=1)
    score_frame_and_more: float = Field(0.9, ge=0, le=1)  # the claim photo inside the shot, and moiré or flat
    score_moire_flat: float = Field(0.8, ge=0, le=1)
    score_one_sign: float = Field(0.45, ge=0, le=1)  # one sign alone (a tightly cropped flat item frames too)
    score_not_matched: float = Field(0.6, ge=0, le=1)
    score_inconsistent: float = Field(0.8, ge=0, le=1)
