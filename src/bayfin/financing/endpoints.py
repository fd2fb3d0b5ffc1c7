"""Financing marketplace API, ``/v1/financing/…``: products, demands, matches, applications, leads,
statistics and service-window alerts. Thin: every rule lives in :class:`FinancingService`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from bayfin.api.deps import AUTH_ERRORS, TENANT_OWNED, PlatformDep, Session, scoped
from bayfin.api.pagination import Paging
from bayfin.api.problems import Responses, problem_schema
from bayfin.financing import domain as d
from bayfin.financing.config import Labels
from bayfin.financing.matching import Match
from bayfin.financing.schemas import (
    AlertOut,
    ApplicationOut,
    ApplyIn,
    DemandIn,
    DemandOut,
    EventOut,
    LeadOut,
    MatchesOut,
    MatchOut,
    ProductFields,
    ProductIn,
    ProductOut,
    StatisticsOut,
    TransitionIn,
)
from bayfin.financing.scopes import APPLY, OPERATE, PRODUCTS, REVIEW, STATISTICS
from bayfin.financing.service import FinancingService, lead_key, service_for
from bayfin.financing.views import alert_out, application_out, demand_out, product_out
from bayfin.kernel.pagination import Page
from bayfin.kernel.security import Principal

# every record here belongs to an organization: no caller without one gets past this
router = APIRouter(prefix="/v1/financing", tags=["financing marketplace"], dependencies=TENANT_OWNED)


Institution = Annotated[Principal, Depends(scoped(PRODUCTS))]
Reviewer = Annotated[Principal, Depends(scoped(REVIEW))]
Enterprise = Annotated[Principal, Depends(scoped(APPLY))]
Party = Annotated[Principal, Depends(scoped(REVIEW, APPLY))]
Follower = Annotated[Principal, Depends(scoped(REVIEW, APPLY, OPERATE))]
Operator = Annotated[Principal, Depends(scoped(OPERATE))]
Analyst = Annotated[Principal, Depends(scoped(STATISTICS))]
Reader = Annotated[Principal, Depends(scoped(PRODUCTS, APPLY, OPERATE))]
DemandReader = Annotated[Principal, Depends(scoped(APPLY, OPERATE))]

NOT_FOUND: Responses = {404: problem_schema("No such record visible to you")}
CONFLICT: Responses = {409: problem_schema("Not allowed in the record's current state")}
INVALID: Responses = {422: problem_schema("Invalid request")}


def get_service(session: Session, platform: PlatformDep) -> FinancingService:
    """The financing service on the request's transaction."""
    return service_for(session, platform)


Service = Annotated[FinancingService, Depends(get_service)]


def _party(principal: Principal) -> d.Party | None:
    kind = principal.organization_type
    return d.Party(kind) if kind in ("institution", "enterprise") else None


# -- products -----------------------------------------------------------------------------------
@router.post("/products", status_code=201, response_model=ProductOut, responses={**AUTH_ERRORS, **INVALID})
def create_product(body: ProductIn, principal: Institution, service: Service) -> ProductOut:
    """Publish a loan product of your institution: ranges, rates, eligibility and active window."""
    return product_out(service.create_product(principal, body))


@router.get("/products", response_model=Page[ProductOut], responses={**AUTH_ERRORS})
def list_products(principal: Reader, service: Service, pager: Paging,
                  active_only: bool = False) -> Page[ProductOut]:
    """Your institution's products; enterprises and the operator see the active products on offer.
    Newest first."""
    rows = service.list_products(principal, active_only=active_only, page=pager.page_request)
    return pager.page(rows, lambda p: (p.created_at, p.id), product_out)


@router.get("/products/{product_id}", response_model=ProductOut, responses={**AUTH_ERRORS, **NOT_FOUND})
def get_product(product_id: str, principal: Reader, service: Service) -> ProductOut:
    """One product: your institution's own, or any active one."""
    return product_out(service.get_product(principal, product_id))


@router.patch("/products/{product_id}", response_model=ProductOut,
              responses={**AUTH_ERRORS, **NOT_FOUND, **INVALID})
def update_product(product_id: str, body: ProductFields, principal: Institution,
                   service: Service) -> ProductOut:
    """Change your product (only the fields sent); ranges must stay consistent."""
    return product_out(service.update_product(principal, product_id, body))


@router.post("/products/{product_id}/deactivate", response_model=ProductOut,
             responses={**AUTH_ERRORS, **NOT_FOUND})
def deactivate_product(product_id: str, principal: Institution, service: Service) -> ProductOut:
    """Take your product off the marketplace; open applications for it go on."""
    return product_out(service.deactivate_product(principal, product_id))


# -- demands and matches ------------------------------------------------------------------------
@router.post("/demands", status_code=201, response_model=DemandOut, responses={**AUTH_ERRORS, **INVALID})
def publish_demand(body: DemandIn, principal: Enterprise, service: Service) -> DemandOut:
    """Publish your enterprise's financing need (amount, term, purpose, collateral, urgency)."""
    return demand_out(service.publish_demand(principal, body))


@router.get("/demands", response_model=Page[DemandOut], responses={**AUTH_ERRORS})
def list_demands(principal: DemandReader, service: Service, pager: Paging,
                 status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None) -> Page[DemandOut]:
    """Your enterprise's demands (the operator sees every demand), newest first."""
    rows = service.list_demands(principal, status=status, page=pager.page_request)
    return pager.page(rows, lambda r: (r.created_at, r.id), demand_out)


@router.get("/demands/{demand_id}", response_model=DemandOut, responses={**AUTH_ERRORS, **NOT_FOUND})
def get_demand(demand_id: str, principal: Enterprise, service: Service) -> DemandOut:
    """One of your enterprise's demands."""
    return demand_out(service.get_demand(principal, demand_id))


@router.post("/demands/{demand_id}/close", response_model=DemandOut,
             responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT})
def close_demand(demand_id: str, principal: Enterprise, service: Service) -> DemandOut:
    """Close your demand: it leaves the banks' lead lists."""
    return demand_out(service.close_demand(principal, demand_id))


def _match_out(m: Match, labels: Labels) -> MatchOut:
    name, kind = labels[m.product_id]
    return MatchOut(product_id=m.product_id, institution_id=m.institution_id, product_name=name,
                    product_type=kind, eligible=m.eligible, fit=m.fit, reasons=m.reasons,
                    failed=m.failed)


@router.get("/demands/{demand_id}/matches", response_model=MatchesOut,
            responses={**AUTH_ERRORS, **NOT_FOUND})
def demand_matches(demand_id: str, principal: Enterprise, service: Service,
                   top: Annotated[int, Query(ge=1, le=100)] = 20) -> MatchesOut:
    """Eligible products ranked by expected fit with why they match, then near misses with the one
    criterion that failed; uses your credit score when a scoring model is loaded."""
    demand, eligible, near, products = service.matches(principal, demand_id, top_k=top)
    return MatchesOut(demand_id=demand.id, score=demand.score, scored=demand.score is not None,
                      eligible=[_match_out(m, products) for m in eligible],
                      near_misses=[_match_out(m, products) for m in near])


# -- applications -------------------------------------------------------------------------------
@router.post("/applications", status_code=201, response_model=ApplicationOut,
             responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT, **INVALID})
def apply(body: ApplyIn, principal: Enterprise, service: Service) -> ApplicationOut:
    """Apply for a product against your open demand; a consent request for the bank is created with
    it (approve it through ``/v1/consents/{consent_id}/approve``)."""
    application = service.apply(principal, body.demand_id, body.product_id)
    return application_out(service, application, d.Party.enterprise)


@router.get("/applications", response_model=Page[ApplicationOut], responses={**AUTH_ERRORS, **INVALID})
def list_applications(principal: Follower, service: Service, pager: Paging,
                      state: Annotated[list[d.ApplicationState] | None, Query()] = None,
                      ) -> Page[ApplicationOut]:
    """A bank's application queue (oldest first, with service-window flags), an enterprise's own
    applications, or (operator) all of them."""
    rows = service.list_applications(principal, states=[s.value for s in state or []],
                                     page=pager.page_request)
    return pager.page(rows, lambda a: (a.submitted_at, a.id),
                      lambda a: application_out(service, a, _party(principal)))


@router.get("/applications/{application_id}", response_model=ApplicationOut,
            responses={**AUTH_ERRORS, **NOT_FOUND})
def get_application(application_id: str, principal: Follower, service: Service) -> ApplicationOut:
    """One application with the moves open to you."""
    return application_out(service, service.get_application(principal, application_id),
                           _party(principal))


@router.get("/applications/{application_id}/events", response_model=Page[EventOut],
            responses={**AUTH_ERRORS, **NOT_FOUND})
def application_events(application_id: str, principal: Follower, service: Service,
                       pager: Paging) -> Page[EventOut]:
    """Every transition of the application, in order: from, to, who, when, with what."""
    application = service.get_application(principal, application_id)
    return pager.page_of(service.events(application), lambda e: (e.at, e.id), lambda e: EventOut(
        at=e.at, from_state=e.from_state, to_state=e.to_state, actor=e.actor, actor_org=e.actor_org,
        details=e.details))


@router.post("/applications/{application_id}/transitions", response_model=ApplicationOut,
             responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT, **INVALID})
def transition(application_id: str, body: TransitionIn, principal: Party,
               service: Service) -> ApplicationOut:
    """Move an application: the bank owning the product reports each outcome (``accepted``,
    ``under_review``, ``offered``/``approved`` with amount_fen, rate and term_months, ``rejected``
    with a reason, ``disbursed``, ``repaid``, ``overdue``, ``written_off``); the enterprise may only
    ``withdrawn`` before a decision. An illegal move is a 409 naming the current and allowed states."""
    application = service.transition(principal, application_id, body)
    return application_out(service, application, _party(principal))


# -- institutions' leads, operators' figures ----------------------------------------------------
@router.get("/leads", response_model=Page[LeadOut], responses={**AUTH_ERRORS})
def leads(principal: Reviewer, service: Service, pager: Paging) -> Page[LeadOut]:
    """Open demands that fit your institution's active products, best expected fit first."""
    return pager.page(service.leads(principal, page=pager.page_request), lead_key,
                      lambda row: LeadOut(
                          demand_id=row[0].id, product_id=row[1], fit=row[2], credit_code=row[0].credit_code,
                          amount_fen=row[0].amount_fen, term_months=row[0].term_months,
                          purpose=row[0].purpose, urgency=row[0].urgency, city_code=row[0].city_code,
                          industry_code=row[0].industry_code))


@router.get("/statistics", response_model=StatisticsOut, responses={**AUTH_ERRORS})
def statistics(principal: Analyst, service: Service) -> StatisticsOut:
    """Registered enterprises, demands, financings and amounts by city, industry, institution and
    product type, the first-time-borrower share and the average time to decision."""
    return StatisticsOut.model_validate(service.statistics(principal))


@router.get("/alerts", response_model=Page[AlertOut], responses={**AUTH_ERRORS})
def alerts(principal: Operator, service: Service, pager: Paging) -> Page[AlertOut]:
    """Banks that missed the service window (swept now, so the list is current), newest first."""
    return pager.page(service.alerts(principal, page=pager.page_request), lambda a: (a.created_at, a.id),
                      alert_out)
