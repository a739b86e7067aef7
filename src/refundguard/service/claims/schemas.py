"""Pydantic schemas of the claim API (request bodies and responses).

Validators raise :class:`~pydantic_core.PydanticCustomError` with a type the message catalogue words
(``validation.<type>``), so an invalid request is answered in Chinese and English alike.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from refundguard.service.claims.workflow import Outcome, Party
from refundguard.service.paging import Page

Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")]


class ClaimCreate(BaseModel):
    """Claim facts sent by the platform with the buyer's photos (multipart form fields)."""

    model_config = ConfigDict(extra="ignore")

    merchant_id: Ident
    buyer_id: Ident | None = None
    order_id: Ident | None = None
    amount: Annotated[float, Field(ge=0, le=1e9)]
    currency: Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")] = "CNY"
    reason: Annotated[str, Field(max_length=2000)] | None = None
    order_time: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "amount must be a finite number")
        return value

    @field_validator("order_time", "shipped_at", "delivered_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise PydanticCustomError("time_zone_missing", "give a time zone offset, e.g. 2026-05-01T14:30:00+08:00")
        return value


class DecisionIn(BaseModel):
    """A reviewer's decision. The reason is required and goes into the audit chain.

    ``more_evidence_requested`` asks ``evidence_from`` (buyer or merchant, required) for more evidence; the reason
    says what is asked. The request is open for ``deadline_hours`` (default: the policy's
    ``more_evidence_hours``); when it ends without an answer the claim returns to the reviewer queue.
    """

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason: Annotated[str, Field(min_length=1, max_length=5000)]
    abuse: bool = Field(False, description="Adjudicated abuse by the buyer (counts against later auto-approval).")
    evidence_from: Party | None = Field(None, description="Who is asked for more evidence (more_evidence_requested).")
    deadline_hours: Annotated[float, Field(gt=0, le=24 * 60)] | None = Field(
        None, description="How long the evidence request stays open (more_evidence_requested).")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "reason must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _request_is_addressed(self) -> DecisionIn:
        if self.outcome is Outcome.MORE_EVIDENCE_REQUESTED:
            if self.evidence_from is None:
                raise PydanticCustomError("needs_evidence_from",
                                          "more_evidence_requested needs evidence_from: buyer or merchant")
            if self.abuse:
                raise PydanticCustomError("abuse_needs_rejection",
                                          "abuse is adjudicated with a rejection, not with a request for evidence")
        elif self.evidence_from is not None or self.deadline_hours is not None:
            raise PydanticCustomError("only_with_more_evidence",
                                      "evidence_from and deadline_hours go with more_evidence_requested only")
        return self


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(max_length=2000)] | None = None


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sha256: str
    role: str
    kind: str
    format: str
    size: int
    filename: str | None
    source_sha256: str | None
    frame_time: str | None
    created_at: datetime


class ClaimRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant: str
    merchant_id: str
    buyer_id: str | None
    order_id: str | None
    amount: float
    currency: str
    reason: str | None
    state: str
    level: str | None
    risk: float | None
    deadline: datetime | None
    merchant_responded: bool
    outcome: str | None
    decision_reason: str | None
    decided_at: datetime | None = None
    abuse_confirmed: bool = Field(False, description="the reviewer rejected the claim as abuse (forged or false "
                                                     "evidence): a platform decision, counted in the buyer's history")
    merchant_statement: str | None = Field(None, description="what the merchant wrote when answering the claim")
    evidence_from: str | None = None
    evidence_request: str | None = None
    evidence_status: str | None = None
    order_time: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    claimed_at: datetime
    created_at: datetime
    updated_at: datetime


class ClaimDetail(ClaimRead):
    evidence: list[EvidenceRead] = Field(default_factory=list)
    analyses: int = 0


class ClaimPage(Page[ClaimRead]):
    pass


class JobRead(BaseModel):
    """An analysis job: ``queued``, ``running``, ``done`` or ``failed`` (with ``error``)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    claim_id: str
    status: str
    attempts: int
    with_references: bool
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AnalysisRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    risk: float
    level: str
    references: int
    created_at: datetime


class AuditRead(BaseModel):
    """One audit entry; ``seq`` and ``hash`` are its place in the tenant's own chain (see ``/v1/audit``)."""

    model_config = ConfigDict(from_attributes=True)

    seq: int = Field(validation_alias="tenant_seq")
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, Any]
    hash: str = Field(validation_alias="tenant_hash")

    @field_validator("details", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        import json

        return json.loads(value) if isinstance(value, str) else value


class JobAccepted(BaseModel):
    claim: ClaimRead
    job_id: str | None
