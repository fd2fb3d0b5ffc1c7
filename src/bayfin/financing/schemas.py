"""Financing marketplace API shapes. Amounts in integer fen; rates as annual fractions (``"0.0385"``,
stored as whole basis points)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bayfin.consent import DataCategory
from bayfin.financing.matching import TAX_GRADE_ORDER, ProductType
from bayfin.kernel.fields import DecimalText, Fen, StrictInt, Text

#: An annual rate: a decimal string ("0.0385"), never a JSON number, so no binary float enters.
Rate = DecimalText
DEFAULT_CONSENT_CATEGORIES = [DataCategory.registration, DataCategory.tax, DataCategory.social_security,
                              DataCategory.courts, DataCategory.score]


def _whole_basis_points(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not Decimal(0) < value < Decimal(1):
        raise ValueError("a rate is an annual fraction between 0 and 1, e.g. 0.0385")
    if (value * 10_000) % 1 != 0:
        raise ValueError("a rate is given in whole basis points (at most four decimals)")
    return value


class ProductFields(BaseModel):
    """The fields of a loan product an institution can set (every one optional in a change)."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=120)
    product_type: ProductType | None = None
    min_amount_fen: Fen | None = Field(default=None, gt=0)
    max_amount_fen: Fen | None = Field(default=None, gt=0)
    min_term_months: StrictInt | None = Field(default=None, ge=1, le=360)
    max_term_months: StrictInt | None = Field(default=None, ge=1, le=360)
    min_rate: Rate | None = None
    max_rate: Rate | None = None
    cities: list[Text] | None = Field(default=None, max_length=30)
    industries: list[Text] | None = Field(default=None, max_length=50)
    min_firm_age_months: StrictInt | None = Field(default=None, ge=0, le=1200)
    min_tax_grade: Text | None = None
    min_score: StrictInt | None = Field(default=None, ge=0, le=1000)
    no_dishonest_debtor: bool | None = None
    collateral_required: bool | None = None
    consent_categories: list[DataCategory] | None = Field(default=None, min_length=1)
    active_from: date | None = None
    active_to: date | None = None

    @field_validator("min_rate", "max_rate")
    @classmethod
    def _rate(cls, value: Decimal | None) -> Decimal | None:
        return _whole_basis_points(value)

    @field_validator("min_tax_grade")
    @classmethod
    def _grade(cls, value: str | None) -> str | None:
        if value is not None and value not in TAX_GRADE_ORDER:
            raise ValueError(f"a tax credit grade is one of {', '.join(TAX_GRADE_ORDER)}")
        return value

    @field_validator("cities", "industries")
    @classmethod
    def _codes(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not v.isalnum() or len(v) > 12 for v in value):
            raise ValueError("codes are short alphanumeric strings (city division codes, GB/T 4754)")
        return value


class ProductIn(ProductFields):
    """A new loan product: name, type, ranges and rates are required."""

    name: Text = Field(min_length=1, max_length=120)
    product_type: ProductType
    min_amount_fen: Fen = Field(gt=0)
    max_amount_fen: Fen = Field(gt=0)
    min_term_months: StrictInt = Field(ge=1, le=360)
    max_term_months: StrictInt = Field(ge=1, le=360)
    min_rate: Rate
    max_rate: Rate

    @model_validator(mode="after")
    def _ranges(self) -> ProductIn:
        check_ranges(self.model_dump())
        return self


def check_ranges(values: dict[str, Any]) -> None:
    """Raise ValueError when a minimum exceeds its maximum or the window ends before it starts."""
    for low, high in (("min_amount_fen", "max_amount_fen"), ("min_term_months", "max_term_months"),
                      ("min_rate", "max_rate"), ("active_from", "active_to")):
        if values.get(low) is not None and values.get(high) is not None and values[low] > values[high]:
            raise ValueError(f"{low} must not exceed {high}")


class ProductOut(BaseModel):
    """A loan product as published."""

    id: str
    institution_id: str
    name: str
    product_type: str
    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int
    min_rate: Decimal
    max_rate: Decimal
    cities: list[str]
    industries: list[str]
    min_firm_age_months: int
    min_tax_grade: str | None
    min_score: int | None
    no_dishonest_debtor: bool
    collateral_required: bool
    consent_categories: list[str]
    active_from: date | None
    active_to: date | None
    active: bool
    created_at: datetime
    updated_at: datetime


class DemandIn(BaseModel):
    """An enterprise's financing need."""

    model_config = ConfigDict(extra="forbid")

    amount_fen: Fen = Field(gt=0)
    term_months: StrictInt = Field(ge=1, le=360)
    purpose: Text = Field(min_length=1, max_length=200)
    collateral_offered: bool = False
    urgency: Literal["low", "normal", "high"] = "normal"


class DemandOut(BaseModel):
    """A published demand with the firm facts matching uses."""

    id: str
    credit_code: str
    amount_fen: int
    term_months: int
    purpose: str
    collateral_offered: bool
    urgency: str
    status: str
    city_code: str | None
    industry_code: str | None
    firm_age_months: int | None
    tax_grade: str | None
    dishonest_debtor: bool
    score: int | None
    created_at: datetime
    closed_at: datetime | None


class MatchOut(BaseModel):
    """One product's verdict: eligible with why, or a near miss with the failed criterion."""

    product_id: str
    institution_id: str
    product_name: str
    product_type: str
    eligible: bool
    fit: float
    reasons: list[str]
    failed: list[str]


class MatchesOut(BaseModel):
    """Eligible products ranked by expected fit, then near misses."""

    demand_id: str
    score: int | None
    scored: bool
    eligible: list[MatchOut]
    near_misses: list[MatchOut]


class ApplyIn(BaseModel):
    """Apply for one product against one of your demands."""

    model_config = ConfigDict(extra="forbid")

    demand_id: Text = Field(min_length=1, max_length=40)
    product_id: Text = Field(min_length=1, max_length=40)


class TransitionIn(BaseModel):
    """Move an application: the bank reports an outcome, the enterprise withdraws."""

    model_config = ConfigDict(extra="forbid")

    to: Text = Field(min_length=1, max_length=20)
    amount_fen: Fen | None = Field(default=None, gt=0)
    rate: Rate | None = None
    term_months: StrictInt | None = Field(default=None, ge=1, le=360)
    reason: Text | None = Field(default=None, max_length=500)

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: Decimal | None) -> Decimal | None:
        return _whole_basis_points(value)


class ApplicationOut(BaseModel):
    """An application, its terms and how it stands against the bank's service window."""

    id: str
    demand_id: str
    product_id: str
    institution_id: str
    credit_code: str
    state: str
    allowed_next: list[str]
    requested_amount_fen: int
    requested_term_months: int
    offered_amount_fen: int | None
    offered_rate: Decimal | None
    offered_term_months: int | None
    approved_amount_fen: int | None
    approved_rate: Decimal | None
    approved_term_months: int | None
    reject_reason: str | None
    consent_id: str | None
    submitted_at: datetime
    service_due_at: datetime
    responded_at: datetime | None
    decided_at: datetime | None
    disbursed_at: datetime | None
    window_status: str
    window_breached_at: datetime | None


class EventOut(BaseModel):
    """One transition of an application."""

    at: datetime
    from_state: str | None
    to_state: str
    actor: str
    actor_org: str | None
    details: dict[str, Any]


class LeadOut(BaseModel):
    """An open demand that fits one of your products."""

    demand_id: str
    product_id: str
    fit: float
    credit_code: str
    amount_fen: int
    term_months: int
    purpose: str
    urgency: str
    city_code: str | None
    industry_code: str | None


class AlertOut(BaseModel):
    """A bank that missed its service window on an application."""

    id: str
    kind: str
    application_id: str
    institution_id: str
    message: str
    due_at: datetime
    created_at: datetime


class BreakdownRow(BaseModel):
    """Financings and their amount for one city, industry, institution or product type."""

    key: str
    financings: int
    amount_fen: int


class StatisticsOut(BaseModel):
    """The platform's figures, computed from the records."""

    registered_enterprises: int
    demands: int
    open_demands: int
    applications: int
    financings: int
    financed_amount_fen: int
    first_time_borrowers: int
    first_time_borrower_share: float | None
    decisions: int
    average_hours_to_decision: float | None
    by_city: list[BreakdownRow]
    by_industry: list[BreakdownRow]
    by_institution: list[BreakdownRow]
    by_product_type: list[BreakdownRow]
    by_month: list[BreakdownRow]  # key "YYYY-MM" (China time), oldest first, empty months included
