"""The report contract (``refundguard.report/1``) as Pydantic models: what every surface returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SCHEMA = "refundguard.report/1"
Level = Literal["low", "review", "high"]


class RegionModel(BaseModel):
    x: int
    y: int
    w: int
    h: int


class MessageModel(BaseModel):
    en: str
    zh: str


class ReductionModel(BaseModel):
    """The photo was analysed at reduced size to fit the analysis budget (see docs/hostile_input.md)."""

    original_width: int = Field(description="width of the stored image as displayed")
    original_height: int
    width: int = Field(description="width analysed (= the image's width; regions are in this size)")
    height: int
    scale: float = Field(description="width / original_width")
    budget_pixels: int = Field(description="decoded pixels this photo was allowed")
    scope: Literal["photo", "claim"] = Field(description="photo: the per-photo budget; claim: the claim's share")
    method: str = Field(description="jpeg-dct-scaling, resampling, or both joined by +")
    message: MessageModel


class ImageModel(BaseModel):
    path: str
    sha256: str
    width: int = Field(description="width analysed; see reduced for the stored size when they differ")
    height: int
    format: str
    role: Literal["claim", "reference"]
    risk: float = Field(ge=0, le=1)
    level: Level
    reduced: ReductionModel | None = Field(default=None, description="set when the photo was analysed at "
                                                                      "reduced size; null otherwise")


class FindingModel(BaseModel):
    code: str = Field(description="stable finding code, e.g. reference.derived_edit")
    variant: str | None = Field(default=None, description="which sentence of the code: the message catalogue's "
                                "key is code:variant, its parameters are in details; null for a check that "
                                "writes its own sentences")
    check: str
    image: int | None = Field(description="index into images; null for a claim-level finding")
    score: float = Field(ge=0, le=1)
    weight: float = Field(description="log-odds weight of the code; contribution = weight × score")
    message: MessageModel
    regions: list[RegionModel] = Field(default_factory=list, description="in the image's pixel coordinates")
    heatmap: str | None = Field(default=None, description="PNG data URL aligned to the image, values 0..1")
    details: dict[str, Any] = Field(default_factory=dict)
    counted: bool = Field(default=True, description="false when another finding on the same photo explains it "
                                                    "(settings [subsumes]); it is then shown but not counted")


KEY_DOC = "the sentence's key in the message catalogue (refundguard.messages); null: the sentence as written"
PARAMS_DOC = "the parameters of that sentence"


class PhotoOutcomeModel(BaseModel):
    image: int = Field(description="index into images (claim photos only)")
    status: Literal["ran", "skipped"]
    why: str | None = Field(default=None, description="why the check did not examine this photo (English)")
    why_zh: str | None = Field(default=None, description="the same in Chinese")
    key: str | None = Field(default=None, description=KEY_DOC)
    params: dict[str, Any] | None = Field(default=None, description=PARAMS_DOC)


class CheckStatusModel(BaseModel):
    status: Literal["ran", "not_applicable", "failed", "not_requested"]
    ms: float | None = None
    why: str | None = None
    error: str | None = None
    key: str | None = Field(default=None, description="catalogue key of why (see PhotoOutcomeModel.key)")
    params: dict[str, Any] | None = Field(default=None, description=PARAMS_DOC)
    photos: list[PhotoOutcomeModel] | None = Field(
        default=None, description="for a check that ran: each claim photo examined (ran) or skipped with why")


class VerificationModel(BaseModel):
    kind: Literal["reference", "second_view", "provenance", "live_capture"]
    check: str
    images: list[int]
    message: MessageModel
    key: str | None = Field(default=None, description=KEY_DOC)
    params: dict[str, Any] | None = Field(default=None, description=PARAMS_DOC)


class FailedCheckModel(BaseModel):
    check: str
    error: str


class PhotoCoverageModel(BaseModel):
    image: int
    verified_by: list[Literal["reference", "second_view", "live_capture"]]


class CoverageModel(BaseModel):
    basis: Literal["verified", "unverified", "incomplete"] = Field(
        description="what the level rests on: every claim photo verified against independent evidence "
                    "(matched listing photo, second view, live capture), not verified, or an incomplete analysis")
    incomplete: bool = Field(description="a check that applied failed, or checks were left out on request")
    verified: bool = Field(description="every claim photo was verified against independent evidence")
    summary: MessageModel = Field(description="what the verdict rests on, in words")
    photos: list[PhotoCoverageModel]
    verifications: list[VerificationModel]
    failed: list[FailedCheckModel]
    not_requested: list[str]


class ReportModel(BaseModel):
    schema_: Literal["refundguard.report/1"] = Field(SCHEMA, alias="schema")
    version: str
    risk: float = Field(ge=0, le=1)
    level: Level
    images: list[ImageModel]
    findings: list[FindingModel]
    checks: dict[str, CheckStatusModel]
    coverage: CoverageModel
    reasons: list[str] = Field(description="the reasons behind the level, strongest first, in English")
    reasons_zh: list[str] = Field(description="the same reasons in Chinese")
    reason_findings: list[int] | None = Field(
        default=None, description="the findings behind the reasons, strongest first (indexes into findings; "
                                  "the reasons are the failed-check notes, then these findings' messages)")
    claim: dict[str, Any] = Field(default_factory=dict, description="claim facts the analysis used")

    model_config = {"populate_by_name": True}
