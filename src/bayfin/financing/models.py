"""Tables of the financing marketplace: loan products, financing demands, applications, their
transition history and the operator's service-window alerts. Money in integer fen, rates in basis
points (1 bp = 0.01 % a year), so both databases store them exactly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

BigInt = BigInteger().with_variant(Integer(), "sqlite")


class LoanProduct(Base):
    """A loan product an institution publishes, with its ranges and eligibility rules."""

    __tablename__ = "financing_products"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    institution_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(120))
    product_type: Mapped[str] = mapped_column(String(20))
    min_amount_fen: Mapped[int] = mapped_column(BigInteger)
    max_amount_fen: Mapped[int] = mapped_column(BigInteger)
    min_term_months: Mapped[int] = mapped_column(Integer)
    max_term_months: Mapped[int] = mapped_column(Integer)
    min_rate_bp: Mapped[int] = mapped_column(Integer)
    max_rate_bp: Mapped[int] = mapped_column(Integer)
    cities: Mapped[list[str]] = mapped_column(JSON)  # empty: every city
    industries: Mapped[list[str]] = mapped_column(JSON)  # GB/T 4754 prefixes; empty: every industry
    min_firm_age_months: Mapped[int] = mapped_column(Integer)
    min_tax_grade: Mapped[str | None] = mapped_column(String(1))
    min_score: Mapped[int | None] = mapped_column(Integer)
    no_dishonest_debtor: Mapped[bool] = mapped_column(Boolean)
    collateral_required: Mapped[bool] = mapped_column(Boolean)
    #: The data categories the bank asks consent for when an enterprise applies.
    consent_categories: Mapped[list[str]] = mapped_column(JSON)
    active_from: Mapped[date | None] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    #: Bumped on every change: the sum over products tells a cached product book it is stale.
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FinancingDemand(Base):
    """An enterprise's published financing need, with the firm facts matching needs (taken from the
    hub when published, so lead lists need no hub read per demand)."""

    __tablename__ = "financing_demands"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(200))
    collateral_offered: Mapped[bool] = mapped_column(Boolean)
    urgency: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), index=True)  # open | closed
    city_code: Mapped[str | None] = mapped_column(String(12))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    firm_age_months: Mapped[int | None] = mapped_column(Integer)
    tax_grade: Mapped[str | None] = mapped_column(String(1))
    dishonest_debtor: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoanApplication(Base):
    """An enterprise's application for one product against one of its demands, and its outcome."""

    __tablename__ = "financing_applications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("financing_demands.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("financing_products.id"), index=True)
    institution_id: Mapped[str] = mapped_column(String(40), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    requested_amount_fen: Mapped[int] = mapped_column(BigInteger)
    requested_term_months: Mapped[int] = mapped_column(Integer)
    offered_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    offered_rate_bp: Mapped[int | None] = mapped_column(Integer)
    offered_term_months: Mapped[int | None] = mapped_column(Integer)
    approved_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    approved_rate_bp: Mapped[int | None] = mapped_column(Integer)
    approved_term_months: Mapped[int | None] = mapped_column(Integer)
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    consent_id: Mapped[str | None] = mapped_column(String(40))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    service_due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApplicationEvent(Base):
    """One transition of an application: from, to, who, when, and what was reported with it."""

    __tablename__ = "financing_application_events"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("financing_applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(200))
    actor_org: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class OperatorAlert(Base):
    """Something the platform operator must see: a bank that missed its service window."""

    __tablename__ = "financing_alerts"
    __table_args__ = (UniqueConstraint("kind", "application_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[str] = mapped_column(ForeignKey("financing_applications.id"), index=True)
    institution_id: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
