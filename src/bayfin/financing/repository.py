"""Every query of the financing marketplace (SQLAlchemy 2 ``select()``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bayfin.financing.models import (
    ApplicationEvent,
    FinancingDemand,
    LoanApplication,
    LoanProduct,
    OperatorAlert,
)
from bayfin.kernel.pagination import PageRequest, keyset


class FinancingRepository:
    """Reads and writes of products, demands, applications, events and alerts."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: object) -> None:
        """Stage a new row."""
        self.session.add(row)

    # -- products -----------------------------------------------------------------------------
    def product(self, product_id: str) -> LoanProduct | None:
        """One product by id."""
        return self.session.get(LoanProduct, product_id)

    def products(self, *, institution_id: str | None = None, active_only: bool = False,
                 limit: int | None = None, page: PageRequest | None = None) -> Sequence[LoanProduct]:
        """Products, newest first, of one institution and/or only the active ones."""
        stmt = select(LoanProduct).order_by(LoanProduct.created_at.desc(), LoanProduct.id)
        if institution_id is not None:
            stmt = stmt.where(LoanProduct.institution_id == institution_id)
        if active_only:
            stmt = stmt.where(LoanProduct.active.is_(True))
        if page is not None:
            stmt = keyset(stmt, [LoanProduct.created_at, LoanProduct.id], page, descending=True)
        elif limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    def products_version(self) -> tuple[Any, ...]:
        """How many products exist, the sum of their versions, the newest id and the latest change:
        every creation and every change moves it, so it is the cache key of the active-product book."""
        row = self.session.execute(
            select(func.count(LoanProduct.id), func.coalesce(func.sum(LoanProduct.version), 0),
                   func.max(LoanProduct.id), func.max(LoanProduct.updated_at))).one()
        return tuple(row)

    # -- demands ------------------------------------------------------------------------------
    def demand(self, demand_id: str) -> FinancingDemand | None:
        """One demand by id."""
        return self.session.get(FinancingDemand, demand_id)

    def demands(self, *, credit_code: str | None = None, status: str | None = None,
                limit: int | None = None, page: PageRequest | None = None) -> Sequence[FinancingDemand]:
        """Demands, newest first, of one enterprise and/or in one status."""
        stmt = select(FinancingDemand).order_by(FinancingDemand.created_at.desc(), FinancingDemand.id)
        if credit_code is not None:
            stmt = stmt.where(FinancingDemand.credit_code == credit_code)
        if status is not None:
            stmt = stmt.where(FinancingDemand.status == status)
        if page is not None:
            stmt = keyset(stmt, [FinancingDemand.created_at, FinancingDemand.id], page, descending=True)
        elif limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    # -- applications -------------------------------------------------------------------------
    def application(self, application_id: str, *, for_update: bool = False) -> LoanApplication | None:
        """One application by id (row-locked when asked, on PostgreSQL)."""
        stmt = select(LoanApplication).where(LoanApplication.id == application_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def applications(self, *, institution_id: str | None = None, credit_code: str | None = None,
                     states: Sequence[str] | None = None, demand_id: str | None = None,
                     limit: int | None = None, page: PageRequest | None = None) -> Sequence[LoanApplication]:
        """Applications, oldest first (a queue), filtered by institution, enterprise, state, demand."""
        stmt = select(LoanApplication).order_by(LoanApplication.submitted_at, LoanApplication.id)
        if institution_id is not None:
            stmt = stmt.where(LoanApplication.institution_id == institution_id)
        if credit_code is not None:
            stmt = stmt.where(LoanApplication.credit_code == credit_code)
        if states:
            stmt = stmt.where(LoanApplication.state.in_(list(states)))
        if demand_id is not None:
            stmt = stmt.where(LoanApplication.demand_id == demand_id)
        if page is not None:
            stmt = keyset(stmt, [LoanApplication.submitted_at, LoanApplication.id], page)
        elif limit is not None:
            stmt = stmt.limit(limit)
        return self.session.scalars(stmt).all()

    def applied_pairs(self, institution_id: str) -> set[tuple[str, str]]:
        """(demand id, product id) of every application to the institution's products."""
        stmt = select(LoanApplication.demand_id, LoanApplication.product_id).where(
            LoanApplication.institution_id == institution_id)
        return {(d, p) for d, p in self.session.execute(stmt).all()}

    def unanswered_past_due(self, now: datetime) -> Sequence[LoanApplication]:
        """Submitted applications the bank has not answered by their due time and not yet flagged."""
        stmt = (select(LoanApplication)
                .where(LoanApplication.state == "submitted", LoanApplication.responded_at.is_(None),
                       LoanApplication.window_breached_at.is_(None),
                       LoanApplication.service_due_at < now)
                .order_by(LoanApplication.service_due_at, LoanApplication.id)
                .with_for_update(skip_locked=True))
        return self.session.scalars(stmt).all()

    def events(self, application_id: str) -> Sequence[ApplicationEvent]:
        """An application's transitions in order."""
        stmt = (select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
                .order_by(ApplicationEvent.id))
        return self.session.scalars(stmt).all()

    # -- alerts -------------------------------------------------------------------------------
    def alerts(self, *, institution_id: str | None = None, limit: int = 100,
               page: PageRequest | None = None) -> Sequence[OperatorAlert]:
        """Operator alerts, newest first (a keyset page, one row beyond, when asked)."""
        stmt = select(OperatorAlert).order_by(OperatorAlert.created_at.desc(), OperatorAlert.id)
        if institution_id is not None:
            stmt = stmt.where(OperatorAlert.institution_id == institution_id)
        if page is not None:
            return self.session.scalars(keyset(stmt, [OperatorAlert.created_at, OperatorAlert.id], page,
                                               descending=True)).all()
        return self.session.scalars(stmt.limit(limit)).all()

    # -- statistics ---------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Enterprises with a demand, demands, open demands and applications."""
        s = self.session
        return {
            "registered_enterprises": s.scalar(
                select(func.count(func.distinct(FinancingDemand.credit_code)))) or 0,
            "demands": s.scalar(select(func.count()).select_from(FinancingDemand)) or 0,
            "open_demands": s.scalar(select(func.count()).select_from(FinancingDemand)
                                     .where(FinancingDemand.status == "open")) or 0,
            "applications": s.scalar(select(func.count()).select_from(LoanApplication)) or 0,
        }

    def financings(self, states: Sequence[str]) -> Sequence[tuple[LoanApplication, FinancingDemand,
                                                                  LoanProduct]]:
        """Disbursed applications with their demand (the firm's city and industry) and product."""
        stmt = (select(LoanApplication, FinancingDemand, LoanProduct)
                .join(FinancingDemand, FinancingDemand.id == LoanApplication.demand_id)
                .join(LoanProduct, LoanProduct.id == LoanApplication.product_id)
                .where(LoanApplication.state.in_(list(states)))
                .order_by(LoanApplication.disbursed_at, LoanApplication.id))
        return [(a, d, p) for a, d, p in self.session.execute(stmt).all()]

    def decided(self) -> Sequence[tuple[datetime, datetime]]:
        """(submitted_at, decided_at) of every decided application."""
        stmt = (select(LoanApplication.submitted_at, LoanApplication.decided_at)
                .where(LoanApplication.decided_at.is_not(None)))
        return [(a, b) for a, b in self.session.execute(stmt).all() if b is not None]
