"""Consent API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bayfin.consent.domain import AccessMode, DataCategory, PeriodUnit, Purpose
from bayfin.creditdata import credit_code_problem
from bayfin.kernel.fields import StrictInt, Text


class FrequencyIn(BaseModel):
    """At most ``value`` uses per ``unit``."""

    unit: PeriodUnit = PeriodUnit.month
    value: StrictInt = Field(default=4, ge=1, le=1000)


class DataLifeIn(BaseModel):
    """How long the institution may keep fetched data (0 = view only, no storing)."""

    unit: PeriodUnit = PeriodUnit.month
    value: StrictInt = Field(default=12, ge=0, le=120)


class ConsentRequestIn(BaseModel):
    """An institution's request for an enterprise's consent."""

    model_config = ConfigDict(extra="forbid")

    credit_code: Text = Field(description="统一社会信用代码 of the enterprise (data principal)")
    purpose_code: Purpose
    purpose_text: Text = Field(min_length=1, max_length=500)
    categories: list[DataCategory] = Field(min_length=1)
    access_mode: AccessMode = AccessMode.once
    frequency: FrequencyIn = FrequencyIn()
    data_from: date
    data_to: date
    validity_days: StrictInt = Field(default=90, ge=1, le=730)
    data_life: DataLifeIn = DataLifeIn()
    linked_application_id: Text | None = Field(default=None, max_length=60)

    @field_validator("credit_code")
    @classmethod
    def _shape(cls, value: str) -> str:
        value = value.strip().upper()
        problem = credit_code_problem(value)
        if problem is not None:
            raise ValueError(f"not a unified social credit code per GB 32100 ({problem.value})")
        return value

    @model_validator(mode="after")
    def _range(self) -> ConsentRequestIn:
        if self.data_from > self.data_to:
            raise ValueError("data_from must not be after data_to")
        return self


class ApproveIn(BaseModel):
    """Approval, optionally narrowing what was asked."""

    model_config = ConfigDict(extra="forbid")

    categories: list[DataCategory] = Field(default_factory=list)
    data_from: date | None = None
    data_to: date | None = None


class ReasonIn(BaseModel):
    """Why the enterprise rejects, pauses, resumes or revokes."""

    model_config = ConfigDict(extra="forbid")

    reason_code: str = Field(default="user_request", pattern=r"^[a-z_]{3,60}$")


class ConsentEventOut(BaseModel):
    """One status change."""

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    reason_code: str
    actor: str


class ConsentOut(BaseModel):
    """A consent as its parties see it."""

    id: str
    credit_code: str
    institution_id: str
    requested_by: str
    approved_by: str | None
    purpose_code: str
    purpose_text: str
    requested_categories: list[str]
    categories: list[str]
    access_mode: str
    frequency: dict[str, Any]
    data_from: date
    data_to: date
    valid_from: datetime
    valid_until: datetime
    data_life: dict[str, Any]
    status: str
    status_changed_at: datetime
    linked_application_id: str | None
    use_count: int
    last_used_at: datetime | None
    events: list[ConsentEventOut] = Field(default_factory=list)


class ArtefactOut(BaseModel):
    """The signed artefact and its detached JWS (RFC 7515 Appendix F)."""

    artefact: dict[str, Any]
    signature: str


class VerifyIn(BaseModel):
    """An artefact and signature to check."""

    artefact: dict[Text, Any]
    signature: Text


class VerifyOut(BaseModel):
    """Whether the platform signed exactly this artefact."""

    valid: bool


class AccessLogEntry(BaseModel):
    """One look at an enterprise's data."""

    id: int
    at: datetime
    institution_id: str | None
    user: str
    action: str
    outcome: str
    purpose: str | None
    consent_id: str | None
    reason: str | None = None
