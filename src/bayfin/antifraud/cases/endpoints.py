"""HTTP API for analyst cases: the queue, assignment, notes and contacts, decisions, statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from bayfin.antifraud.cases import service as cases
from bayfin.antifraud.models import FraudCase
from bayfin.antifraud.schemas import CaseStatsOut
from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Tenant, UoW, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.kernel.errors import Conflict, Forbidden
from bayfin.kernel.fields import IdParam, Text
from bayfin.kernel.pagination import Page
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal

router = APIRouter(prefix="/cases", tags=["anti-fraud cases"])  # mounted under /v1/fraud

Analyst = Annotated[Principal, Depends(require(scopes=("fraud:cases",), roles=("fraud_analyst",)))]
Alerter = Annotated[Principal, Depends(require(scopes=("fraud:alerts",),
                                               org_types=("institution", "operator")))]
Supervisor = Annotated[Principal, Depends(require(scopes=("fraud:cases",), roles=("fraud_supervisor",)))]
ERRORS: dict[int | str, dict[str, Any]] = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
ONE: dict[int | str, dict[str, Any]] = {**ERRORS, 404: problem_schema("No such case"),
                                        422: problem_schema("The request is malformed")}
CHANGE: dict[int | str, dict[str, Any]] = {**ONE, 409: problem_schema("The case is already closed")}


class CaseOut(BaseModel):
    """A case as the queue shows it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    event_id: str
    source: str
    customer_id: str
    amount_fen: int
    score: int
    priority: int
    rules: list[str]
    status: str
    assignee: str | None
    opened_at: datetime
    decided_at: datetime | None


class EntryOut(BaseModel):
    """One line of a case's history."""

    model_config = ConfigDict(from_attributes=True)
    kind: str
    author: str
    at: datetime
    text: str
    details: dict[str, Any]


class CaseDetailOut(CaseOut):
    """A case with its history."""

    history: list[EntryOut]


class AlertIn(BaseModel):
    """An alert raised by another system (a card switch, a mule-network monitor…) about one event."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["alert"] = "alert"
    event_id: Text = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    customer_id: Text = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    amount_fen: int = Field(0, ge=0, le=1_000_000_000_000, strict=True)
    score: int = Field(0, ge=0, le=10_000, strict=True)
    system: Text = Field(..., min_length=1, max_length=60, description="The system raising the alert.")
    reason: Text = Field(..., min_length=1, max_length=200, description="Why, as a code or short text.")


class AssignIn(BaseModel):
    """Whom to give the case to (default: the caller)."""

    assignee: Text | None = Field(None, max_length=200)


class EntryIn(BaseModel):
    """A note or a record of contact with the customer."""

    kind: Literal["note", "contact"] = "note"
    text: Text = Field(..., min_length=1, max_length=2000)
    channel: Literal["phone", "sms", "app", "branch", "email"] | None = None


class DecisionIn(BaseModel):
    """The analyst's decision."""

    action: Literal["release", "confirm", "escalate"]
    note: Text = Field("", max_length=2000)


def _audit(platform: Platform, uow: Any, principal: Principal, verb: str, case: FraudCase,
           details: dict[str, Any] | None = None) -> None:
    platform.audit.record(uow.session, actor=principal.subject, actor_org=principal.organization_id,
                          action=f"antifraud.case.{verb}", subject_type="fraud_case",
                          subject_id=str(case.id),
                          purpose="fraud investigation",
                          details={"event_id": case.event_id, **(details or {})})


def _detail(uow: Any, case: FraudCase) -> CaseDetailOut:
    return CaseDetailOut(**CaseOut.model_validate(case).model_dump(),
                         history=[EntryOut.model_validate(e) for e in cases.history(uow.session, case.id)])


@router.get("", response_model=Page[CaseOut], responses=ERRORS)
def list_cases(principal: Analyst, scope: Tenant, uow: UoW, pager: Paging,
               status: Literal["open", "assigned", "escalated", "released", "confirmed"] | None = "open",
               mine: bool = False) -> Page[CaseOut]:
    """The case queue, highest priority first."""
    rows = cases.queue(uow.session, status=status, assignee=principal.subject if mine else None,
                       scope=scope, page=pager.page_request)
    return pager.page(rows, cases.queue_key, CaseOut.model_validate)


@router.post("", response_model=CaseOut, status_code=201,
             responses={**ERRORS, 409: problem_schema("A case for this event exists"),
                        422: problem_schema("The alert is malformed")})
def post_alert(body: AlertIn, principal: Alerter, scope: Tenant, platform: PlatformDep, uow: UoW) -> CaseOut:
    """Open a case from an alert another system raised (source ``alert``), queued by priority."""
    # an event id is the institution's own: another bank's case under the same id is neither found
    # nor named here
    existing = cases.find_case(uow.session, body.event_id, scope.owner)
    if existing is not None:
        raise Conflict("a case for this event is already open", case_id=existing.id)
    case = cases.open_case(uow.session, event_id=body.event_id, customer_id=body.customer_id,
                           amount_fen=body.amount_fen, score=body.score, rules=[],
                           institution_id=scope.owner, source=body.source)
    cases.add_entry(uow.session, case, kind="alert", author=principal.subject, text=body.reason,
                    details={"alerts": [body.source], "system": body.system})
    _audit(platform, uow, principal, "alert", case, {"system": body.system})
    return CaseOut.model_validate(case)


@router.get("/stats", responses=ERRORS)
def case_stats(principal: Supervisor, scope: Tenant, uow: UoW) -> CaseStatsOut:
    """Counts by status, time to decision and confirm rate per rule (supervisors)."""
    return CaseStatsOut.model_validate(cases.case_statistics(uow.session, scope))


@router.get("/{case_id}", response_model=CaseDetailOut, responses=ONE)
def get_case(case_id: IdParam, principal: Analyst, scope: Tenant, platform: PlatformDep,
             uow: UoW) -> CaseDetailOut:
    """One case with its history (audited: it concerns a customer)."""
    case = cases.get_case(uow.session, case_id, scope)
    _audit(platform, uow, principal, "read", case)
    return _detail(uow, case)


@router.post("/{case_id}/assign", response_model=CaseOut, responses=CHANGE)
def assign_case(case_id: IdParam, body: AssignIn, principal: Analyst, scope: Tenant, platform: PlatformDep,
                uow: UoW) -> CaseOut:
    """Take the case, or (as a supervisor) give it to another analyst."""
    case = cases.get_case(uow.session, case_id, scope, change=True)
    assignee = body.assignee or principal.subject
    if assignee != principal.subject and "fraud_supervisor" not in principal.roles:
        raise Forbidden("only a supervisor assigns a case to someone else")
    cases.assign(uow.session, case, assignee, actor=principal.subject)
    _audit(platform, uow, principal, "assign", case)
    return CaseOut.model_validate(case)


@router.post("/{case_id}/entries", response_model=EntryOut, status_code=201, responses=ONE)
def add_case_entry(case_id: IdParam, body: EntryIn, principal: Analyst, scope: Tenant, platform: PlatformDep,
                   uow: UoW) -> EntryOut:
    """Add a note or log a contact with the customer."""
    case = cases.get_case(uow.session, case_id, scope, change=True)
    entry = cases.add_entry(uow.session, case, kind=body.kind, author=principal.subject, text=body.text,
                            details={"channel": body.channel} if body.channel else {})
    _audit(platform, uow, principal, body.kind, case)
    return EntryOut.model_validate(entry)


@router.post("/{case_id}/decision", response_model=CaseOut, responses=CHANGE)
def decide_case(case_id: IdParam, body: DecisionIn, principal: Analyst, scope: Tenant, platform: PlatformDep,
                uow: UoW) -> CaseOut:
    """Release the held transaction, confirm it as fraud, or escalate the case."""
    case = cases.get_case(uow.session, case_id, scope, change=True)
    cases.decide_case(uow.session, case, body.action, actor=principal.subject, note=body.note)
    _audit(platform, uow, principal, "decide", case, {"action": body.action})
    return CaseOut.model_validate(case)
