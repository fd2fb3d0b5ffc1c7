"""Financing pages over ``FinancingService``: an enterprise publishes a demand, sees matched products
with the reasons, applies and follows its applications; an institution manages its loan products,
works its lead list and its application queue with service-window warnings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session as OrmSession
from starlette.responses import RedirectResponse, Response

from bayfin.api.deps import Session
from bayfin.financing import (
    DemandIn,
    FinancingService,
    Party,
    ProductIn,
    ProductType,
    TransitionIn,
    WindowStatus,
    application_out,
    service_for,
)
from bayfin.kernel.errors import AppError
from bayfin.kernel.money import to_fen
from bayfin.web import i18n
from bayfin.web import repository as repo
from bayfin.web.access import (
    FINANCING_APPLICANT,
    FINANCING_FOLLOWER,
    FINANCING_PRODUCTS,
    FINANCING_REVIEWER,
)
from bayfin.web.core import Page, PageRoute, SignedIn, form_of, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
#: Moves that carry terms (amount, rate, term) from the bank.
WITH_TERMS = ("offered", "approved")


def financing_of(page: Page, session: OrmSession) -> FinancingService:
    """The financing service on this request's transaction (the one the API uses)."""
    return service_for(session, page.platform)


def _yuan_to_fen(value: str, field: str, errors: dict[str, str], lang: str) -> int | None:
    try:
        fen = to_fen(value.strip().replace(",", ""))
    except (ValueError, InvalidOperation, ArithmeticError):
        errors[field] = i18n.texts(lang)["err.number"]
        return None
    if fen <= 0:
        errors[field] = i18n.texts(lang)["err.number"] + " > 0"
        return None
    return fen


def _validate(page: Page, model: type[BaseModel], data: dict[str, Any], errors: dict[str, str],
              names: dict[str, str]) -> Any:
    """Validate as the API does; each error lands, in the user's language, on the field it concerns."""
    try:
        return model.model_validate(data, strict=False)  # a form's fields are all text
    except ValidationError as exc:
        for err in exc.errors():
            loc = str(err["loc"][0]) if err["loc"] else ""
            errors.setdefault(names.get(loc, next(iter(names.values()))),
                              i18n.validation_message(dict(err), page.lang))
    return None


def _done(page: Page) -> str | None:
    done = page.request.query_params.get("done")
    return page.t.get(f"fin.done.{done}") if done else None


# -- enterprise ---------------------------------------------------------------------------------
def _demands_page(page: Page, session: OrmSession, values: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, status: int = 200) -> Response:
    principal = FINANCING_APPLICANT.check(page.require_principal())
    demands = financing_of(page, session).list_demands(principal, limit=100)
    return render(page, "fin_demands.html", status=status, demands=demands, errors=errors or {},
                  values=values or {"amount": "", "term_months": "12", "purpose": "", "urgency": "normal"},
                  done=_done(page))


@router.get("/console/financing/demands")
def demands(page: SignedIn, session: Session) -> Response:
    """The enterprise's demands and the form to publish one."""
    return _demands_page(page, session)


@router.post("/console/financing/demands")
async def publish(request: Request, page: SignedIn, session: Session) -> Response:
    """Publish a demand (validated as the API validates it); then show its matches."""
    form = await form_of(request, page)
    principal = FINANCING_APPLICANT.check(page.require_principal())
    errors: dict[str, str] = {}
    amount = _yuan_to_fen(form.get("amount", ""), "amount", errors, page.lang)
    body = _validate(page, DemandIn, {
        "amount_fen": amount or 1, "term_months": form.get("term_months") or None,
        "purpose": form.get("purpose", "").strip(), "collateral_offered": form.get("collateral") == "on",
        "urgency": form.get("urgency") or "normal"}, errors,
        {"amount_fen": "amount", "term_months": "term_months", "purpose": "purpose", "urgency": "urgency"})
    if errors or body is None:
        return _demands_page(page, session, values=form, errors=errors, status=422)
    demand = financing_of(page, session).publish_demand(principal, body)
    return RedirectResponse(f"/console/financing/demands/{demand.id}?done=demand", status_code=303)


@router.get("/console/financing/demands/{demand_id}")
def matches(demand_id: str, page: SignedIn, session: Session) -> Response:
    """Eligible products ranked by fit with why they match, and near misses with what failed."""
    principal = FINANCING_APPLICANT.check(page.require_principal())
    demand, eligible, near, labels = financing_of(page, session).matches(principal, demand_id, top_k=20)
    return render(page, "fin_matches.html", demand=demand, eligible=eligible, near=near, labels=labels,
                  done=_done(page))


@router.post("/console/financing/applications")
async def apply(request: Request, page: SignedIn, session: Session) -> Response:
    """Apply for a product against an open demand (a consent request for the bank comes with it)."""
    form = await form_of(request, page)
    principal = FINANCING_APPLICANT.check(page.require_principal())
    financing_of(page, session).apply(principal, form.get("demand_id", ""), form.get("product_id", ""))
    return RedirectResponse("/console/financing/applications?done=apply", status_code=303)


@router.get("/console/financing/applications")
def applications(page: SignedIn, session: Session) -> Response:
    """The enterprise's applications with their state and the bank's service window."""
    principal = FINANCING_APPLICANT.check(page.require_principal())
    service = financing_of(page, session)
    rows = [application_out(service, a, Party.enterprise)
            for a in service.list_applications(principal, limit=200)]
    return render(page, "fin_applications.html", applications=rows, done=_done(page))


def _party(page: Page) -> Party | None:
    kind = page.require_principal().organization_type
    return Party(kind) if kind in ("institution", "enterprise") else None


@router.get("/console/financing/applications/{application_id}")
def application(application_id: str, page: SignedIn, session: Session) -> Response:
    """One application: its terms, service window, every transition, and the moves open to you."""
    principal = FINANCING_FOLLOWER.check(page.require_principal())
    service = financing_of(page, session)
    found = service.get_application(principal, application_id)
    return render(page, "fin_application.html", a=application_out(service, found, _party(page)),
                  events=service.events(found), name=repo.firm_name(session, found.credit_code),
                  done=_done(page))


@router.post("/console/financing/applications/{application_id}/withdraw")
async def withdraw(application_id: str, request: Request, page: SignedIn, session: Session) -> Response:
    """The enterprise withdraws its application before a decision (the service refuses after)."""
    await form_of(request, page)
    principal = FINANCING_APPLICANT.check(page.require_principal())
    financing_of(page, session).transition(principal, application_id, TransitionIn(to="withdrawn"))
    return RedirectResponse(f"/console/financing/applications/{application_id}?done=move", status_code=303)


# -- institution --------------------------------------------------------------------------------
PRODUCT_FIELDS = ("name", "product_type", "min_amount", "max_amount", "min_term_months",
                  "max_term_months", "min_rate", "max_rate", "min_firm_age_months")


def _products_page(page: Page, session: OrmSession, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, status: int = 200) -> Response:
    principal = FINANCING_PRODUCTS.check(page.require_principal())
    products = financing_of(page, session).list_products(principal, limit=200)
    defaults = {"name": "", "product_type": "credit", "min_amount": "100000", "max_amount": "3000000",
                "min_term_months": "6", "max_term_months": "36", "min_rate": "0.0385",
                "max_rate": "0.0650", "min_firm_age_months": "12"}
    return render(page, "fin_products.html", status=status, products=products, errors=errors or {},
                  values=values or defaults, types=[t.value for t in ProductType], done=_done(page))


@router.get("/console/financing/products")
def products(page: SignedIn, session: Session) -> Response:
    """The institution's loan products and the form to publish one."""
    return _products_page(page, session)


def _rate(value: str, field: str, errors: dict[str, str], lang: str) -> Decimal | None:
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        errors[field] = i18n.texts(lang)["err.number"] + " (0.0385)"
        return None


@router.post("/console/financing/products")
async def create_product(request: Request, page: SignedIn, session: Session) -> Response:
    """Publish a loan product (validated as the API validates it)."""
    form = await form_of(request, page)
    principal = FINANCING_PRODUCTS.check(page.require_principal())
    errors: dict[str, str] = {}
    low = _yuan_to_fen(form.get("min_amount", ""), "min_amount", errors, page.lang)
    high = _yuan_to_fen(form.get("max_amount", ""), "max_amount", errors, page.lang)
    body = _validate(page, ProductIn, {
        "name": form.get("name", "").strip(), "product_type": form.get("product_type"),
        "min_amount_fen": low or 1, "max_amount_fen": high or 1,
        "min_term_months": form.get("min_term_months") or None,
        "max_term_months": form.get("max_term_months") or None,
        "min_rate": _rate(form.get("min_rate", ""), "min_rate", errors, page.lang),
        "max_rate": _rate(form.get("max_rate", ""), "max_rate", errors, page.lang),
        "min_firm_age_months": form.get("min_firm_age_months") or None,
        "collateral_required": form.get("collateral_required") == "on"}, errors,
        {"name": "name", "product_type": "product_type", "min_amount_fen": "min_amount",
         "max_amount_fen": "max_amount", "min_term_months": "min_term_months",
         "max_term_months": "max_term_months", "min_rate": "min_rate", "max_rate": "max_rate",
         "min_firm_age_months": "min_firm_age_months"})
    if errors or body is None:
        return _products_page(page, session, values=form, errors=errors, status=422)
    financing_of(page, session).create_product(principal, body)
    return RedirectResponse("/console/financing/products?done=product", status_code=303)


@router.post("/console/financing/products/{product_id}/deactivate")
async def deactivate(product_id: str, request: Request, page: SignedIn, session: Session) -> Response:
    """Take a product off the marketplace."""
    await form_of(request, page)
    principal = FINANCING_PRODUCTS.check(page.require_principal())
    financing_of(page, session).deactivate_product(principal, product_id)
    return RedirectResponse("/console/financing/products?done=deactivate", status_code=303)


@router.get("/console/financing/leads")
def leads(page: SignedIn, session: Session) -> Response:
    """Open demands that fit the institution's active products, best fit first."""
    principal = FINANCING_REVIEWER.check(page.require_principal())
    rows = financing_of(page, session).leads(principal, limit=200)
    names = {d.credit_code: repo.firm_name(session, d.credit_code) for d, _, _ in rows}
    return render(page, "fin_leads.html", leads=rows, names=names)


def _queue_page(page: Page, session: OrmSession, errors: dict[str, str] | None = None,
                status: int = 200) -> Response:
    principal = FINANCING_REVIEWER.check(page.require_principal())
    service = financing_of(page, session)
    rows = [application_out(service, a, Party.institution)
            for a in service.list_applications(principal, limit=200)]
    names = {a.credit_code: repo.firm_name(session, a.credit_code) for a in rows}
    breached = sum(1 for a in rows if a.window_status == WindowStatus.breached)
    return render(page, "fin_queue.html", status=status, applications=rows, names=names,
                  breached=breached, errors=errors or {}, with_terms=WITH_TERMS, done=_done(page))


@router.get("/console/financing/queue")
def queue(page: SignedIn, session: Session) -> Response:
    """The application queue, oldest first, each with its service-window status."""
    return _queue_page(page, session)


@router.post("/console/financing/applications/{application_id}/move")
async def move(application_id: str, request: Request, page: SignedIn, session: Session) -> Response:
    """Report the next outcome of an application (terms for an offer or approval, a reason for a
    rejection); the service refuses a move its state machine does not allow."""
    form = await form_of(request, page)
    principal = FINANCING_REVIEWER.check(page.require_principal())
    errors: dict[str, str] = {}
    to = form.get("to", "")
    data: dict[str, Any] = {"to": to}
    if to in WITH_TERMS:
        data["amount_fen"] = _yuan_to_fen(form.get("amount", ""), f"amount-{application_id}", errors,
                                         page.lang)
        data["rate"] = _rate(form.get("rate", ""), f"rate-{application_id}", errors, page.lang)
        data["term_months"] = form.get("term_months") or None
    if form.get("reason"):
        data["reason"] = form["reason"]
    body = _validate(page, TransitionIn, data, errors, {"to": f"to-{application_id}",
                                                  "amount_fen": f"amount-{application_id}",
                                                  "rate": f"rate-{application_id}",
                                                  "term_months": f"term-{application_id}"})
    if not errors and body is not None:
        try:
            financing_of(page, session).transition(principal, application_id, body)
            return RedirectResponse("/console/financing/queue?done=move", status_code=303)
        except AppError as exc:
            if exc.status_code not in (409, 422):
                raise
            errors[f"to-{application_id}"] = exc.message
    session.rollback()
    return _queue_page(page, session, errors=errors, status=422)
