"""Stored records as the API, the CLI and the web console show them (one conversion each)."""

from __future__ import annotations

from bayfin.financing import domain as d
from bayfin.financing.models import FinancingDemand, LoanApplication, LoanProduct, OperatorAlert
from bayfin.financing.schemas import AlertOut, ApplicationOut, DemandOut, ProductOut
from bayfin.financing.service import FinancingService, rate_of


def product_out(p: LoanProduct) -> ProductOut:
    """A stored product as the API shows it."""
    return ProductOut(
        id=p.id, institution_id=p.institution_id, name=p.name, product_type=p.product_type,
        min_amount_fen=p.min_amount_fen, max_amount_fen=p.max_amount_fen,
        min_term_months=p.min_term_months, max_term_months=p.max_term_months,
        min_rate=rate_of(p.min_rate_bp), max_rate=rate_of(p.max_rate_bp), cities=p.cities,
        industries=p.industries, min_firm_age_months=p.min_firm_age_months,
        min_tax_grade=p.min_tax_grade, min_score=p.min_score, no_dishonest_debtor=p.no_dishonest_debtor,
        collateral_required=p.collateral_required, consent_categories=p.consent_categories,
        active_from=p.active_from, active_to=p.active_to, active=p.active, created_at=p.created_at,
        updated_at=p.updated_at)


def demand_out(r: FinancingDemand) -> DemandOut:
    """A stored demand as the API shows it."""
    return DemandOut(
        id=r.id, credit_code=r.credit_code, amount_fen=r.amount_fen, term_months=r.term_months,
        purpose=r.purpose, collateral_offered=r.collateral_offered, urgency=r.urgency, status=r.status,
        city_code=r.city_code, industry_code=r.industry_code, firm_age_months=r.firm_age_months,
        tax_grade=r.tax_grade, dishonest_debtor=r.dishonest_debtor, score=r.score,
        created_at=r.created_at, closed_at=r.closed_at)


def application_out(service: FinancingService, a: LoanApplication,
                    party: d.Party | None = None) -> ApplicationOut:
    """A stored application with the moves open to ``party`` and its service-window status."""
    state = d.ApplicationState(a.state)
    return ApplicationOut(
        id=a.id, demand_id=a.demand_id, product_id=a.product_id, institution_id=a.institution_id,
        credit_code=a.credit_code, state=a.state, allowed_next=d.allowed_next(state, party),
        requested_amount_fen=a.requested_amount_fen, requested_term_months=a.requested_term_months,
        offered_amount_fen=a.offered_amount_fen, offered_rate=rate_of(a.offered_rate_bp),
        offered_term_months=a.offered_term_months, approved_amount_fen=a.approved_amount_fen,
        approved_rate=rate_of(a.approved_rate_bp), approved_term_months=a.approved_term_months,
        reject_reason=a.reject_reason, consent_id=a.consent_id, submitted_at=a.submitted_at,
        service_due_at=a.service_due_at, responded_at=a.responded_at, decided_at=a.decided_at,
        disbursed_at=a.disbursed_at, window_status=service.window_status(a).value,
        window_breached_at=a.window_breached_at)


def alert_out(a: OperatorAlert) -> AlertOut:
    """A stored alert as the API shows it."""
    return AlertOut(id=a.id, kind=a.kind, application_id=a.application_id,
                    institution_id=a.institution_id, message=a.message, due_at=a.due_at,
                    created_at=a.created_at)
