"""HTTP API of risk monitoring under ``/v1/risk``: for regulators' risk analysts only, every read audited."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from bayfin.api.deps import AUTH_ERRORS, TENANT_OWNED, PlatformDep, Session, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.kernel.fields import IdParam, Text
from bayfin.kernel.pagination import Page
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.riskmonitor import leads as lead_service
from bayfin.riskmonitor import repository as repo
from bayfin.riskmonitor import schemas as s
from bayfin.riskmonitor.wiring import risk_monitor

# every caller here acts for an organization (regulator or operator): none without one
router = APIRouter(prefix="/v1/risk", tags=["risk monitoring"], dependencies=TENANT_OWNED)
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
#: Only a regulator's risk analysts and supervisors see risk data.
Regulator = Annotated[
    Principal, Depends(require(org_types=("regulator",), roles=("risk_analyst", "risk_supervisor")))
]


class ResolveMention(BaseModel):
    """The firm an analyst found a mention to mean."""

    credit_code: Text = Field(min_length=18, max_length=18)


class LeadMove(BaseModel):
    """A lead's next state, and to whom it goes or what was found."""

    to: Literal["dispatched", "investigating", "confirmed", "dismissed"]
    assignee: Text | None = Field(None, max_length=120)
    note: Text | None = Field(None, max_length=2000)


def _audit(
    platform: Platform, session: Any, principal: Principal, action: str, code: str, **details: Any
) -> None:
    platform.audit.record(
        session,
        actor=principal.subject,
        actor_org=principal.organization_id,
        action=f"riskmonitor.{action}",
        subject_type="enterprise",
        subject_id=code,
        purpose="financial risk monitoring",
        details=details,
    )


@router.get(
    "/firms/{credit_code}", responses={**_AUTH_ERRORS, 404: problem_schema("Nothing known on the firm")}
)
def get_portrait(
    credit_code: str, principal: Regulator, session: Session, platform: PlatformDep
) -> s.PortraitOut:
    """The enterprise risk portrait: profile, tags with evidence, index history, related firms, open leads."""
    result = lead_service.portrait(session, credit_code)
    _audit(platform, session, principal, "portrait.read", result["credit_code"])
    return s.PortraitOut.model_validate(result)


@router.post("/firms/{credit_code}/score", responses=_AUTH_ERRORS)
def post_score(
    credit_code: str, principal: Regulator, session: Session, platform: PlatformDep
) -> s.RescoreOut:
    """Re-score one firm now; returns its stored score count and any level crossings."""
    code = credit_code.strip().upper()
    stored, alerts = risk_monitor(platform).rescore(session, [code], trigger=f"api:{principal.subject}")
    _audit(platform, session, principal, "score", code)
    return s.RescoreOut.model_validate({"credit_code": code, "stored": stored, "alerts": alerts})


@router.get("/watchlist", responses=_AUTH_ERRORS)
def get_watchlist(
    principal: Regulator,
    session: Session,
    platform: PlatformDep,
    pager: Paging,
    minimum: Literal["attention", "high", "critical"] = "high",
) -> Page[s.WatchlistEntryOut]:
    """Firms at or above a level, highest index first."""
    rows = [s.WatchlistEntryOut.model_validate(r) for r in lead_service.watchlist(session, minimum)]
    page = pager.page_of(rows, lambda r: (-r.score, r.credit_code))
    _audit(platform, session, principal, "watchlist.read", "*", firms=len(page.items))
    return page


@router.get("/review", responses=_AUTH_ERRORS)
def get_review_queue(
    _principal: Regulator, session: Session, pager: Paging
) -> Page[s.ReviewItemOut]:
    """Mentions that could not be linked with confidence, with the candidates weighed."""
    rows = repo.review_queue(session, pager.page_request)
    return pager.page(rows, lambda e: (e.id,), lambda e: s.ReviewItemOut(
        evidence_id=e.id, source=e.source, date=e.occurred_on, mention=e.mention,
        confidence=e.link_confidence, candidates=e.link_candidates, text=e.text))


@router.post(
    "/review/{evidence_id}",
    responses={
        **_AUTH_ERRORS,
        404: problem_schema("No such evidence"),
        422: problem_schema("Not awaiting review"),
    },
)
def post_resolve(
    evidence_id: IdParam, body: ResolveMention, principal: Regulator, session: Session, platform: PlatformDep
) -> s.ResolvedOut:
    """Link a mention from the review queue to a firm; the firm is tagged and re-scored."""
    evidence = risk_monitor(platform).resolve_mention(session, evidence_id, body.credit_code)
    _audit(platform, session, principal, "review.resolve", body.credit_code.upper(), evidence_id=evidence_id)
    return s.ResolvedOut(evidence_id=evidence.id, credit_code=evidence.credit_code,
                         status=evidence.review_status)


@router.get("/leads", responses=_AUTH_ERRORS)
def get_leads(
    _principal: Regulator,
    session: Session,
    pager: Paging,
    status: Literal["open", "dispatched", "investigating", "confirmed", "dismissed"] | None = None,
) -> Page[s.LeadOut]:
    """Leads (线索), newest first, optionally in one state."""
    return pager.page(repo.leads(session, status=status, page=pager.page_request),
                      lambda lead: (lead.opened_at, lead.id),
                      lambda lead: s.LeadOut.model_validate(lead_service.lead_view(lead)))


@router.get("/leads/outcomes", responses=_AUTH_ERRORS)
def get_lead_outcomes(_principal: Regulator, session: Session) -> s.LeadOutcomesOut:
    """How closed leads turned out: the confirmed share, fed back to evaluation."""
    return s.LeadOutcomesOut.model_validate(lead_service.lead_outcomes(session))


@router.post(
    "/leads/{lead_id}",
    responses={**_AUTH_ERRORS, 404: problem_schema("No such lead"), 409: problem_schema("Move not allowed")},
)
def post_lead_move(
    lead_id: str, body: LeadMove, principal: Regulator, session: Session, platform: PlatformDep
) -> s.LeadOut:
    """Move a lead: dispatch it to a district or agency, start investigating, confirm or dismiss it."""
    lead = lead_service.move_lead(
        session,
        platform.clock,
        lead_id,
        body.to,
        actor=principal.subject,
        assignee=body.assignee,
        note=body.note,
    )
    _audit(platform, session, principal, f"lead.{body.to}", lead.credit_code, lead_id=lead.id)
    return s.LeadOut.model_validate(lead_service.lead_view(lead))
