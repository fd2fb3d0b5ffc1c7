"""Credit-officer pages: find a firm, request its consent, and read the credit report with its score."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from bayfin.api.deps import Session, rate_limited
from bayfin.consent import (
    PURPOSE_LABELS,
    AccessMode,
    ConsentRequestData,
    ConsentRequestIn,
    ConsentStatus,
    DataCategory,
    Frequency,
    Purpose,
)
from bayfin.creditreport import CreditReports
from bayfin.kernel.errors import AppError
from bayfin.scoring import SCORING, FirmScore
from bayfin.web import geography, i18n
from bayfin.web import repository as repo
from bayfin.web.access import CONSENT_REQUESTER, CREDIT_READER
from bayfin.web.core import Page, PageRoute, SignedIn, form_lists, form_of, render
from bayfin.web.enterprise import consents_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FORM_FIELDS = ("credit_code", "purpose_code", "purpose_text", "categories", "access_mode",
               "frequency", "data_from", "data_to", "validity_days")


@router.get("/console/credit/search")
def search(page: SignedIn, session: Session,
           q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Search firms by credit code or name; htmx asks for the results fragment only."""
    CONSENT_REQUESTER.check(page.require_principal())
    q = q.strip()
    found = repo.search_firms(session, q) if len(q) >= 2 else []
    results = [{**r, "city": geography.city_name(r["city_code"], page.lang)} for r in found]
    template = "credit_results.html" if page.request.headers.get("hx-request") else "credit_search.html"
    return render(page, template, q=q, results=results, searched=len(q) >= 2)


def _defaults(credit_code: str, today: date) -> dict[str, Any]:
    return {"credit_code": credit_code, "purpose_code": Purpose.loan_application.value,
            "purpose_text": "", "categories": ["registration", "tax", "social_security", "courts",
                                               "score"],
            "access_mode": AccessMode.periodic.value, "frequency": "4",
            "data_from": (today - timedelta(days=730)).isoformat(), "data_to": today.isoformat(),
            "validity_days": "90"}


def _request_form(page: Page, session: Any, values: dict[str, Any], errors: dict[str, str] | None = None,
                  status: int = 200) -> Response:
    name = repo.firm_name(session, str(values.get("credit_code", "")).strip().upper())
    return render(page, "credit_request.html", status=status, values=values, errors=errors or {},
                  firm=name, purposes=[(p.value, PURPOSE_LABELS[p]) for p in Purpose],
                  categories=[c.value for c in DataCategory])


@router.get("/console/credit/consents/new")
def new_request(page: SignedIn, session: Session,
                credit_code: Annotated[str, Query(max_length=40)] = "") -> Response:
    """The consent request form, filled with sensible defaults."""
    CONSENT_REQUESTER.check(page.require_principal())
    return _request_form(page, session, _defaults(credit_code, page.platform.clock.now().date()))


@router.post("/console/credit/consents")
async def create_request(request: Request, page: SignedIn, session: Session) -> Response:
    """Validate the form as the API validates its body, then send the request to the enterprise."""
    form = await form_of(request, page)
    lists = await form_lists(request)
    principal = CONSENT_REQUESTER.check(page.require_principal())
    values: dict[str, Any] = {k: form.get(k, "") for k in FORM_FIELDS}
    values["categories"] = lists.get("categories", [])
    errors: dict[str, str] = {}
    body: ConsentRequestIn | None = None
    try:
        frequency = int(values["frequency"] or 0)
    except ValueError:
        frequency = 0
        errors["frequency"] = "1–1000"
    try:
        body = ConsentRequestIn.model_validate({
            "credit_code": values["credit_code"], "purpose_code": values["purpose_code"],
            "purpose_text": values["purpose_text"], "categories": values["categories"],
            "access_mode": values["access_mode"] or "once",
            "frequency": {"unit": "month", "value": max(frequency, 1)},
            "data_from": values["data_from"] or None, "data_to": values["data_to"] or None,
            "validity_days": values["validity_days"] or None}, strict=False)  # form fields are text
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            name = loc[0] if loc and loc[0] in FORM_FIELDS else "data_to"
            errors.setdefault(name, i18n.validation_message(dict(err), page.lang))
    if values["data_from"] and values["data_to"] and values["data_from"] > values["data_to"]:
        errors.setdefault("data_from", page.t["err.range"])  # ISO dates compare as text
    if errors or body is None:
        return _request_form(page, session, values, errors, status=422)
    consents_of(page, session).request(principal, ConsentRequestData(
        credit_code=body.credit_code, purpose=body.purpose_code, purpose_text=body.purpose_text,
        categories=frozenset(body.categories), access_mode=body.access_mode,
        frequency=Frequency(body.frequency.unit, body.frequency.value), data_from=body.data_from,
        data_to=body.data_to, validity_days=body.validity_days,
        data_life=Frequency(body.data_life.unit, body.data_life.value)))
    return RedirectResponse("/console/credit/consents?done=request", status_code=303)


@router.get("/console/credit/consents")
def my_requests(page: SignedIn, session: Session) -> Response:
    """The institution's consent requests and their status; live ones open the report."""
    principal = CONSENT_REQUESTER.check(page.require_principal())
    rows = consents_of(page, session).list_for(principal, limit=200)
    names = {c.credit_code: repo.firm_name(session, c.credit_code) for c in rows}
    done = page.request.query_params.get("done")
    return render(page, "credit_consents.html", consents=rows, names=names,
                  done=page.t.get(f"consent.done.{done}") if done else None)


def _score(page: Page, session: Any, code: str, consent_id: str) -> FirmScore | None:
    """The score under the same consent when it covers ``score``, is still live and a model exists."""
    consents = consents_of(page, session)
    principal = page.require_principal()
    consent = consents.get_for(principal, consent_id)
    if consent.status != ConsentStatus.active or "score" not in consent.categories \
            or not page.platform.has_service(SCORING):
        return None
    service = page.platform.service(SCORING)
    try:
        service.model()
    except Exception:  # no registered model: do not spend the consent's use
        return None
    try:
        consents.authorize_use(principal, consent_id, code, categories=frozenset({DataCategory.score}),
                               action="scoring.read", details={"endpoint": "score", "via": "console"})
    except AppError:
        return None
    return service.score(session, code, page.platform.clock.now().date())


@router.get("/console/credit/report/{credit_code}")
def report(credit_code: str, page: SignedIn, session: Session,
           consent_id: Annotated[str, Query(min_length=1, max_length=60)]) -> Response:
    """The printable credit report under one consent (one audited use, rate-limited like the API),
    with the score and reason codes when the consent covers them."""
    principal = CREDIT_READER.check(page.require_principal())
    rate_limited("credit_reports")(principal, page.platform)
    reports = CreditReports(session, consents_of(page, session), page.platform.clock)
    body = reports.report(principal, credit_code, consent_id)
    score = _score(page, session, body["credit_code"], consent_id)
    return render(page, "credit_report.html", report=body, score=score,
                  name=repo.firm_name(session, body["credit_code"]))
