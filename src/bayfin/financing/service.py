"""Financing marketplace use cases, called alike by the API, the CLI, the demo and the web console.

Institutions publish products, see their lead list and application queue and report each outcome;
enterprises publish demands, get matches, apply (which asks the bank's consent in the same
transaction) and withdraw; the operator sees statistics and service-window alerts. Services only
flush; the edge commits. Every read of an enterprise's data is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bayfin.consent import (
    AccessMode,
    ConsentRequestData,
    ConsentService,
    DataCategory,
    Frequency,
    PeriodUnit,
    Purpose,
)
from bayfin.financing import domain as d
from bayfin.financing.book import ProductBook, decimal_years
from bayfin.financing.config import ActiveProducts, FinancingConfig, FinancingRuntime, Labels
from bayfin.financing.matching import TAX_GRADE_ORDER, Demand, Firm, Match, Product, ProductType
from bayfin.financing.models import (
    ApplicationEvent,
    FinancingDemand,
    LoanApplication,
    LoanProduct,
    OperatorAlert,
)
from bayfin.financing.repository import FinancingRepository
from bayfin.financing.schemas import (
    DEFAULT_CONSENT_CATEGORIES,
    DemandIn,
    ProductFields,
    ProductIn,
    TransitionIn,
    check_ranges,
)
from bayfin.financing.wiring import financing_runtime
from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.pagination import Key, PageRequest, in_memory
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import KeyStore, Principal
from bayfin.kernel.tenancy import TenantScope
from bayfin.scoring import SCORING, ScoringService

log = logging.getLogger(__name__)

#: How far back the data window of an automatic loan-application consent reaches.
CONSENT_DATA_MONTHS = 24
CONSENT_VALIDITY_DAYS = 60
BREACH = "service_window_breach"


class ApplicationTransitionRefused(Conflict):
    """409: the move is not allowed from the application's current state (or not for this party)."""

    code = "application_transition_refused"


def bp(rate: Decimal) -> int:
    """An annual rate fraction as whole basis points (0.0385 → 385)."""
    return int(rate * 10_000)


def rate_of(basis_points: int | None) -> Decimal | None:
    """Whole basis points as an annual rate fraction with four decimals (385 → 0.0385)."""
    if basis_points is None:
        return None
    return (Decimal(basis_points) / Decimal(10_000)).quantize(Decimal("0.0001"))


def to_product(row: LoanProduct) -> Product:
    """The pure matching view of a stored product."""
    return Product(
        id=row.id, institution_id=row.institution_id, type=ProductType(row.product_type),
        min_amount_fen=row.min_amount_fen, max_amount_fen=row.max_amount_fen,
        min_term_months=row.min_term_months, max_term_months=row.max_term_months,
        min_rate=rate_of(row.min_rate_bp) or Decimal(0), max_rate=rate_of(row.max_rate_bp) or Decimal(0),
        cities=frozenset(row.cities), industries=frozenset(row.industries),
        min_firm_age_years=decimal_years(row.min_firm_age_months), min_tax_grade=row.min_tax_grade,
        min_score=row.min_score, no_dishonest_debtor=row.no_dishonest_debtor,
        collateral_required=row.collateral_required, active_from=row.active_from,
        active_to=row.active_to)


def to_demand(row: FinancingDemand) -> tuple[Demand, Firm]:
    """The pure matching view of a stored demand and the firm facts taken with it."""
    demand = Demand(row.id, row.credit_code, row.amount_fen, row.term_months, row.purpose,
                    row.collateral_offered, row.urgency)
    firm = Firm(row.credit_code, row.city_code, row.industry_code,
                decimal_years(row.firm_age_months), row.tax_grade, row.score, row.dishonest_debtor)
    return demand, firm


def lead_key(lead: tuple[FinancingDemand, str, float]) -> Key:
    """Where the lead list continues after ``lead``: best fit first, then demand and product."""
    demand, product_id, fit = lead
    return (-fit, demand.id, product_id)


class FinancingService:
    """The marketplace's use cases on one session."""

    def __init__(self, session: Session, audit: AuditLog, clock: Clock, keys: KeyStore,
                 scoring: ScoringService | None = None, runtime: FinancingRuntime | None = None) -> None:
        self.session = session
        self.repo = FinancingRepository(session)
        self.audit = audit
        self.clock = clock
        self.consent = ConsentService(session, audit, clock, keys)
        self.scoring = scoring
        self.runtime = runtime or FinancingRuntime()
        self.config: FinancingConfig = self.runtime.config

    def today(self) -> date:
        """The platform's calendar date (China Standard Time)."""
        return self.clock.now().astimezone(d.CHINA_TZ).date()

    # -- products -----------------------------------------------------------------------------
    def create_product(self, principal: Principal, data: ProductIn) -> LoanProduct:
        """An institution publishes a loan product."""
        institution = self._institution(principal)
        now = self.clock.now()
        product = LoanProduct(
            id=new_id("prd"), institution_id=institution, name=data.name,
            product_type=data.product_type.value, min_amount_fen=data.min_amount_fen,
            max_amount_fen=data.max_amount_fen, min_term_months=data.min_term_months,
            max_term_months=data.max_term_months, min_rate_bp=bp(data.min_rate),
            max_rate_bp=bp(data.max_rate), cities=sorted(set(data.cities or [])),
            industries=sorted(set(data.industries or [])),
            min_firm_age_months=data.min_firm_age_months or 0, min_tax_grade=data.min_tax_grade,
            min_score=data.min_score,
            no_dishonest_debtor=True if data.no_dishonest_debtor is None else data.no_dishonest_debtor,
            collateral_required=bool(data.collateral_required),
            consent_categories=sorted(c.value for c in data.consent_categories
                                      or DEFAULT_CONSENT_CATEGORIES),
            active_from=data.active_from, active_to=data.active_to, active=True, version=1,
            created_by=principal.subject, created_at=now, updated_at=now)
        self.repo.add(product)
        self.session.flush()
        self._audit(principal, "financing.product.create", "loan_product", product.id)
        return product

    def list_products(self, principal: Principal, *, active_only: bool = False, limit: int = 100,
                      page: PageRequest | None = None) -> Sequence[LoanProduct]:
        """An institution's own products; anyone else sees the active ones on offer."""
        if principal.organization_type == "institution":
            return self.repo.products(institution_id=_own(principal), active_only=active_only,
                                      limit=limit, page=page)
        return self.repo.products(active_only=True, limit=limit, page=page)

    def get_product(self, principal: Principal, product_id: str) -> LoanProduct:
        """One product: an institution's own, or any active one."""
        product = self.repo.product(product_id)
        own = product is not None and product.institution_id == principal.organization_id \
            and principal.organization_type == "institution"
        if product is None or not (own or product.active):
            raise NotFound("no such loan product")
        return product

    def update_product(self, principal: Principal, product_id: str, changes: ProductFields) -> LoanProduct:
        """The institution changes its product (ranges stay consistent)."""
        product = self._own_product(principal, product_id)
        values = changes.model_dump(exclude_unset=True)
        if any(v is None for k, v in values.items()
               if k not in ("min_tax_grade", "min_score", "active_from", "active_to")):
            raise ValidationFailed("only min_tax_grade, min_score and the active window can be cleared")
        merged = {**self._fields(product), **values}
        try:
            check_ranges(merged)
        except ValueError as exc:
            raise ValidationFailed(str(exc)) from exc
        for key, value in values.items():
            if key in ("min_rate", "max_rate"):
                setattr(product, f"{key}_bp", bp(value))
            elif key in ("cities", "industries"):
                setattr(product, key, sorted(set(value)))
            elif key == "consent_categories":
                product.consent_categories = sorted(c.value for c in value)
            elif key == "product_type":
                product.product_type = value.value
            else:
                setattr(product, key, value)
        product.version += 1
        product.updated_at = self.clock.now()
        self.session.flush()
        self._audit(principal, "financing.product.update", "loan_product", product.id,
                    {"fields": sorted(values)})
        return product

    def deactivate_product(self, principal: Principal, product_id: str) -> LoanProduct:
        """The institution takes its product off the marketplace (open applications go on)."""
        product = self._own_product(principal, product_id)
        product.active = False
        product.version += 1
        product.updated_at = self.clock.now()
        self.session.flush()
        self._audit(principal, "financing.product.deactivate", "loan_product", product.id)
        return product

    @staticmethod
    def _fields(product: LoanProduct) -> dict[str, Any]:
        return {"min_amount_fen": product.min_amount_fen, "max_amount_fen": product.max_amount_fen,
                "min_term_months": product.min_term_months, "max_term_months": product.max_term_months,
                "min_rate": rate_of(product.min_rate_bp), "max_rate": rate_of(product.max_rate_bp),
                "active_from": product.active_from, "active_to": product.active_to}

    def _own_product(self, principal: Principal, product_id: str) -> LoanProduct:
        institution = self._institution(principal)
        product = self.repo.product(product_id)
        if product is None or product.institution_id != institution:
            raise NotFound("no such loan product of your institution")
        return product

    # -- demands and matching -----------------------------------------------------------------
    def publish_demand(self, principal: Principal, data: DemandIn) -> FinancingDemand:
        """An enterprise publishes a financing need; its firm facts come from the hub (and its score
        when a model is loaded), so banks' lead lists can match it."""
        code = self._enterprise(principal)
        facts, score = self.firm_facts(code)
        demand = FinancingDemand(
            id=new_id("dmd"), credit_code=code, amount_fen=data.amount_fen,
            term_months=data.term_months, purpose=data.purpose, collateral_offered=data.collateral_offered,
            urgency=data.urgency, status="open", score=score, created_by=principal.subject,
            created_at=self.clock.now(), closed_at=None, **facts)
        self.repo.add(demand)
        self.session.flush()
        self._audit(principal, "financing.demand.publish", "enterprise", code,
                    {"demand_id": demand.id, "scored": score is not None})
        return demand

    def list_demands(self, principal: Principal, *, status: str | None = None, limit: int = 100,
                     page: PageRequest | None = None) -> Sequence[FinancingDemand]:
        """An enterprise's own demands; the operator and regulators see all (each firm audited)."""
        if principal.organization_type == "enterprise":
            return self.repo.demands(credit_code=_own(principal), status=status, limit=limit,
                                     page=page)
        if principal.organization_type not in ("operator", "regulator"):
            raise Forbidden("institutions see demands through their lead list")
        rows = self.repo.demands(status=status, limit=limit, page=page)
        for code in sorted({r.credit_code for r in (rows[:page.limit] if page else rows)}):
            self._audit(principal, "financing.demand.list", "enterprise", code)
        return rows

    def get_demand(self, principal: Principal, demand_id: str) -> FinancingDemand:
        """One of the enterprise's own demands."""
        code = self._enterprise(principal)
        demand = self.repo.demand(demand_id)
        if demand is None or demand.credit_code != code:
            raise NotFound("no such demand of your enterprise")
        return demand

    def close_demand(self, principal: Principal, demand_id: str) -> FinancingDemand:
        """The enterprise closes its demand: it leaves the lead lists (applications go on)."""
        demand = self.get_demand(principal, demand_id)
        if demand.status != "open":
            raise Conflict("the demand is already closed", current_status=demand.status)
        demand.status = "closed"
        demand.closed_at = self.clock.now()
        self.session.flush()
        self._audit(principal, "financing.demand.close", "enterprise", demand.credit_code,
                    {"demand_id": demand.id})
        return demand

    def firm_facts(self, credit_code: str) -> tuple[dict[str, Any], int | None]:
        """What matching knows about a firm from the hub today, and its score (None without a model
        or without hub data)."""
        facts: dict[str, Any] = {"city_code": None, "industry_code": None, "firm_age_months": None,
                                 "tax_grade": None, "dishonest_debtor": False}
        if self.scoring is None:
            return facts, None
        try:
            frame = self.scoring.features_of(self.session, credit_code, self.today())
        except NotFound:
            return facts, None
        if frame.height == 0:  # the hub knows the firm but holds no registration in force
            return facts, None
        row = frame.row(0, named=True)
        age = row.get("firm_age_years")
        grade = row.get("tax_grade")
        facts.update(city_code=row.get("city_code"), industry_code=row.get("industry_code"),
                     firm_age_months=None if age is None else max(0, int(age * 12)),
                     tax_grade=None if grade is None else TAX_GRADE_ORDER[int(grade)],
                     dishonest_debtor=bool(row.get("dishonest_debtor") or False))
        try:
            score: int | None = int(self.scoring.score(self.session, credit_code, self.today())["score"])
        except AppError:
            score = None  # no model registered yet: matching goes on without a score
        return facts, score

    def matches(self, principal: Principal, demand_id: str, *,
                top_k: int = 20) -> tuple[FinancingDemand, list[Match], list[Match], Labels]:
        """Eligible active products ranked by fit with why, and near misses with the failed criterion,
        from fresh firm facts (and score); the demand's snapshot is refreshed. Returns the demand, the
        eligible matches, the near misses and each product's (name, type)."""
        demand = self.get_demand(principal, demand_id)
        facts, score = self.firm_facts(demand.credit_code)
        for key, value in facts.items():
            setattr(demand, key, value)
        demand.score = score
        self.session.flush()
        active = self.active_products()
        pure_demand, firm = to_demand(demand)
        found = active.book.match(pure_demand, firm, self.today(), top_k=top_k)
        self._audit(principal, "financing.demand.match", "enterprise", demand.credit_code,
                    {"demand_id": demand.id, "scored": score is not None})
        return (demand, [m for m in found if m.eligible], [m for m in found if not m.eligible],
                active.labels)

    def active_products(self) -> ActiveProducts:
        """The active products as a column-wise book, rebuilt only when a product has changed."""
        def build() -> ActiveProducts:
            rows = self.repo.products(active_only=True)
            return ActiveProducts(ProductBook([to_product(r) for r in rows]),
                                  {r.id: (r.name, r.product_type) for r in rows})

        return self.runtime.books.get(self.repo.products_version(), build)

    def leads(self, principal: Principal, *, limit: int = 200,
              page: PageRequest | None = None) -> list[tuple[FinancingDemand, str, float]]:
        """The institution's lead list: open demands that fit its active products and have not yet
        applied for them, best fit first (one page, one row beyond, when asked)."""
        institution = self._institution(principal)
        products = [to_product(r) for r in self.repo.products(institution_id=institution,
                                                              active_only=True)]
        demands = {r.id: r for r in self.repo.demands(status="open")}
        applied = self.repo.applied_pairs(institution)
        pairs = ProductBook(products).lead_list([to_demand(r) for r in demands.values()], self.today())
        fresh = [(d_id, p_id, fit) for d_id, p_id, fit in pairs if (d_id, p_id) not in applied]
        chosen = in_memory(fresh, lambda t: (-t[2], t[0], t[1]), page) if page else fresh[:limit]
        out = [(demands[demand_id], product_id, fit) for demand_id, product_id, fit in chosen]
        for code in sorted({row.credit_code for row, _, _ in (out[:page.limit] if page else out)}):
            self._audit(principal, "financing.leads", "enterprise", code)
        return out

    # -- applications -------------------------------------------------------------------------
    def apply(self, principal: Principal, demand_id: str, product_id: str) -> LoanApplication:
        """The enterprise applies for a product against its open demand; the consent request for the
        product's institution is created in the same transaction."""
        demand = self.get_demand(principal, demand_id)
        if demand.status != "open":
            raise Conflict("the demand is closed", current_status=demand.status)
        product = self.repo.product(product_id)
        if product is None or not product.active:
            raise NotFound("no such loan product on offer")
        today = self.today()
        if (product.active_from and product.active_from > today) or (
                product.active_to and product.active_to < today):
            raise Conflict("the loan product is not on offer today")
        live = [a for a in self.repo.applications(demand_id=demand.id, states=sorted(d.OPEN))
                if a.product_id == product.id]
        if live:
            raise Conflict("this demand already has an open application for the product",
                           application_id=live[0].id)
        now = self.clock.now()
        application = LoanApplication(
            id=new_id("app"), demand_id=demand.id, product_id=product.id,
            institution_id=product.institution_id, credit_code=demand.credit_code,
            state=d.ApplicationState.submitted.value, requested_amount_fen=demand.amount_fen,
            requested_term_months=demand.term_months, submitted_at=now,
            service_due_at=d.service_due_at(now, self.config.holidays, self.config.service_window_days),
            updated_at=now)
        self.repo.add(application)
        self.session.flush()
        consent = self.consent.request_for(product.institution_id, principal, ConsentRequestData(
            credit_code=demand.credit_code, purpose=Purpose.loan_application,
            purpose_text=f"Loan application {application.id} for {product.name}"[:500],
            categories=frozenset(DataCategory(c) for c in product.consent_categories),
            access_mode=AccessMode.periodic, frequency=Frequency(PeriodUnit.month, 4),
            data_from=_months_before(today, CONSENT_DATA_MONTHS), data_to=today,
            validity_days=CONSENT_VALIDITY_DAYS, data_life=Frequency(PeriodUnit.month, 12),
            linked_application_id=application.id))
        application.consent_id = consent.id
        self._event(application, principal, None, d.ApplicationState.submitted,
                    {"product_id": product.id, "consent_id": consent.id})
        self._audit(principal, "financing.application.submit", "enterprise", demand.credit_code,
                    {"application_id": application.id, "institution_id": product.institution_id})
        return application

    def list_applications(self, principal: Principal, *, states: Sequence[str] | None = None,
                          limit: int = 100, page: PageRequest | None = None) -> Sequence[LoanApplication]:
        """An institution's queue, an enterprise's own applications, or (operator) all of them."""
        kind = principal.organization_type
        if kind == "institution":
            rows = self.repo.applications(institution_id=_own(principal), states=states,
                                          limit=limit, page=page)
        elif kind == "enterprise":
            rows = self.repo.applications(credit_code=_own(principal), states=states,
                                          limit=limit, page=page)
        elif kind in ("operator", "regulator"):
            rows = self.repo.applications(states=states, limit=limit, page=page)
        else:
            raise Forbidden("your organization type has no applications")
        if kind != "enterprise":
            for code in sorted({r.credit_code for r in (rows[:page.limit] if page else rows)}):
                self._audit(principal, "financing.application.list", "enterprise", code)
        return rows

    def get_application(self, principal: Principal, application_id: str) -> LoanApplication:
        """One application its bank, its enterprise or the operator may see (else not found)."""
        application = self.repo.application(application_id)
        if application is None or not self._visible(principal, application):
            raise NotFound("no such application visible to you")
        if principal.organization_type != "enterprise":
            self._audit(principal, "financing.application.read", "enterprise", application.credit_code,
                        {"application_id": application.id})
        return application

    def events(self, application: LoanApplication) -> Sequence[ApplicationEvent]:
        """An application's transitions in order."""
        return self.repo.events(application.id)

    def transition(self, principal: Principal, application_id: str, move: TransitionIn) -> LoanApplication:
        """The bank reports an outcome, or the enterprise withdraws; illegal moves are refused (409)."""
        application = self.repo.application(application_id, for_update=True)
        if application is None or not self._visible(principal, application) \
                or principal.organization_type not in ("institution", "enterprise"):
            raise NotFound("no such application of yours")
        party = d.Party(principal.organization_type)
        current = d.ApplicationState(application.state)
        terms = d.TransitionTerms(move.amount_fen, move.rate, move.term_months, move.reason)
        try:
            target = d.check_transition(current, move.to, party, terms)
        except d.IllegalTransition as exc:
            raise ApplicationTransitionRefused(str(exc), current_state=current.value,
                                               allowed_next=exc.allowed) from exc
        except ValueError as exc:
            raise ValidationFailed(str(exc), current_state=current.value) from exc
        now = self.clock.now()
        details: dict[str, Any] = {}
        if target is d.ApplicationState.offered:
            application.offered_amount_fen = move.amount_fen
            application.offered_rate_bp = bp(move.rate or Decimal(0))
            application.offered_term_months = move.term_months
        if target is d.ApplicationState.approved:
            application.approved_amount_fen = move.amount_fen
            application.approved_rate_bp = bp(move.rate or Decimal(0))
            application.approved_term_months = move.term_months
        if target in (d.ApplicationState.offered, d.ApplicationState.approved):
            details = {"amount_fen": move.amount_fen, "rate": str(move.rate),
                       "term_months": move.term_months}
        if target is d.ApplicationState.rejected:
            application.reject_reason = (move.reason or "").strip()
            details = {"reason": application.reject_reason}
        if target is d.ApplicationState.withdrawn and move.reason:
            details = {"reason": move.reason.strip()}
        if target in d.DECISIONS:
            application.decided_at = now
        if target is d.ApplicationState.disbursed:
            application.disbursed_at = now
        if party is d.Party.institution and application.responded_at is None:
            application.responded_at = now
        application.state = target.value
        application.updated_at = now
        self._event(application, principal, current, target, details)
        self._audit(principal, f"financing.application.{target.value}", "enterprise",
                    application.credit_code, {"application_id": application.id,
                                              "from": current.value})
        return application

    def window_status(self, application: LoanApplication) -> d.WindowStatus:
        """How the application stands against its bank's service window now."""
        if application.window_breached_at is not None and application.responded_at is None \
                and application.state == d.ApplicationState.submitted.value:
            return d.WindowStatus.breached
        return d.window_status(d.ApplicationState(application.state), application.responded_at,
                               application.service_due_at, self.clock.now())

    # -- the service window -------------------------------------------------------------------
    def sweep(self, actor: str = "system") -> list[OperatorAlert]:
        """Flag (once) every application whose bank missed the service window: an operator alert row,
        an audit entry and a warning in the log each."""
        now = self.clock.now()
        created: list[OperatorAlert] = []
        for application in self.repo.unanswered_past_due(now):
            application.window_breached_at = now
            alert = OperatorAlert(
                id=new_id("alr"), kind=BREACH, application_id=application.id,
                institution_id=application.institution_id,
                message=(f"{application.institution_id} has not responded to application "
                         f"{application.id} within {self.config.service_window_days} working days"),
                due_at=application.service_due_at, created_at=now)
            self.repo.add(alert)
            created.append(alert)
            self.audit.record(self.session, actor=actor, action="financing.service_window.breach",
                              subject_type="loan_application", subject_id=application.id,
                              outcome="flagged", actor_org=None, at=now,
                              details={"institution_id": application.institution_id,
                                       "due_at": application.service_due_at.isoformat()})
            log.warning("service window breached: institution %s, application %s, due %s",
                        application.institution_id, application.id,
                        application.service_due_at.isoformat())
        self.session.flush()
        return created

    def alerts(self, principal: Principal, *, limit: int = 100,
               page: PageRequest | None = None) -> Sequence[OperatorAlert]:
        """The operator's alerts, after a sweep so that they are current."""
        if principal.organization_type != "operator":
            raise Forbidden("only the platform operator sees alerts")
        self.sweep(actor=principal.subject)
        return self.repo.alerts(limit=limit, page=page)

    # -- statistics ---------------------------------------------------------------------------
    def statistics(self, principal: Principal) -> dict[str, object]:
        """The platform's figures, computed from the records."""
        if principal.organization_type not in ("operator", "regulator"):
            raise Forbidden("statistics are for the operator and regulators")
        financings = [
            d.Financing(a.id, a.credit_code, dm.city_code, dm.industry_code, a.institution_id,
                        p.product_type, a.approved_amount_fen or 0, a.disbursed_at or a.updated_at)
            for a, dm, p in self.repo.financings(sorted(d.FINANCED))
        ]
        decided = [d.Decided(s, e) for s, e in self.repo.decided()]
        self._audit(principal, "financing.statistics", "platform", "financing")
        return d.statistics(**self.repo.counts(), financings=financings, decided=decided)

    # -- internals ----------------------------------------------------------------------------
    @staticmethod
    def _institution(principal: Principal) -> str:
        if principal.organization_type != "institution" or not principal.organization_id:
            raise Forbidden("only a financial institution may do this")
        return principal.organization_id

    @staticmethod
    def _enterprise(principal: Principal) -> str:
        if principal.organization_type != "enterprise" or not principal.organization_id:
            raise Forbidden("only an enterprise may do this")
        return principal.organization_id

    @staticmethod
    def _visible(principal: Principal, application: LoanApplication) -> bool:
        kind = principal.organization_type
        if kind == "institution":
            return application.institution_id == principal.organization_id
        if kind == "enterprise":
            return application.credit_code == principal.organization_id
        return kind in ("operator", "regulator")

    def _event(self, application: LoanApplication, principal: Principal,
               previous: d.ApplicationState | None, target: d.ApplicationState,
               details: dict[str, Any]) -> None:
        self.repo.add(ApplicationEvent(application_id=application.id, at=self.clock.now(),
                                       from_state=previous.value if previous else None,
                                       to_state=target.value, actor=principal.subject[:200],
                                       actor_org=principal.organization_id, details=details))
        self.session.flush()

    def _audit(self, principal: Principal, action: str, subject_type: str, subject_id: str,
               details: dict[str, Any] | None = None) -> None:
        self.audit.record(self.session, actor=principal.subject, actor_org=principal.organization_id,
                          action=action, subject_type=subject_type, subject_id=subject_id,
                          outcome="ok", details=details or {}, at=self.clock.now())


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def service_for(session: Session, platform: Platform) -> FinancingService:
    """The financing service on ``session`` with the platform's audit log, clock, keys, scoring
    service and marketplace configuration."""
    scoring = platform.service(SCORING) if platform.has_service(SCORING) else \
        ScoringService(platform.settings.data_dir)
    return FinancingService(session, platform.audit, platform.clock, platform.tokens.keys, scoring,
                            financing_runtime(platform))


def _own(principal: Principal) -> str:
    """The caller's organization for an owner filter: 403 without one (a None filter would mean all)."""
    return TenantScope.of(principal).organization
