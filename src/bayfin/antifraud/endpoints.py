"""HTTP API: decide on events, read decisions and totals, manage lists, inspect and reload rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from bayfin.antifraud.decisions import repository
from bayfin.antifraud.engine.engine import Decision
from bayfin.antifraud.engine.events import FraudEvent
from bayfin.antifraud.engine.ruleset import RuleSet
from bayfin.antifraud.lists import repository as list_store
from bayfin.antifraud.schemas import (
    DecisionOut,
    ListEntryIn,
    ListEntryOut,
    RecordedDecisionOut,
    RuleHitOut,
    RuleSetOut,
    TotalsOut,
)
from bayfin.antifraud.wiring import fraud_service
from bayfin.api.deps import (
    AUTH_ERRORS,
    PlatformDep,
    Session,
    Tenant,
    UoW,
    get_platform,
    get_principal,
    require,
)
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.kernel.errors import Forbidden, NotFound
from bayfin.kernel.fields import IdParam
from bayfin.kernel.pagination import Page
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.kernel.tenancy import TenantScope

router = APIRouter(prefix="/v1/fraud", tags=["anti-fraud"])

Reader = Annotated[Principal, Depends(require(scopes=("fraud:read",), roles=("fraud_analyst", "operator")))]
ListKeeper = Annotated[Principal, Depends(require(scopes=("fraud:lists",), roles=("fraud_analyst",)))]
RuleAdmin = Annotated[Principal, Depends(require(scopes=("fraud:rules",),
                                                 roles=("fraud_analyst", "operator")))]
ERRORS: dict[int | str, dict[str, Any]] = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
INVALID: dict[int | str, dict[str, Any]] = {**ERRORS, 422: problem_schema("The event or query is malformed")}


def _out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        event_id=decision.event_id, decision=decision.outcome.name, score=decision.score,
        reason_codes=list(decision.reason_codes), typologies=list(decision.typologies),
        rules=[RuleHitOut(rule_id=h.rule_id, typology=h.typology, reason=h.reason, score=h.score,
                          action=h.action)
               for h in decision.hits],
        shadow_rules=[h.rule_id for h in decision.shadow_hits], amount_fen=decision.amount_fen,
        amount_protected_fen=decision.amount_protected_fen, ruleset_version=decision.ruleset_version,
        elapsed_us=decision.elapsed_us)


_check_decider = require(scopes=("fraud:decide",), org_types=("institution",))


async def _decider(request: Request) -> Principal:
    """The same checks as ``require``, run on the event loop: the decision path makes no thread hop.
    The platform's verifier caches a verified token itself and checks revocation on every call, so a
    revoked client token is refused at the next event."""
    return _check_decider(get_principal(request, get_platform(request)))


@router.post("/decisions", response_model=DecisionOut, responses=INVALID)
async def decide(event: FraudEvent, request: Request,
                 principal: Annotated[Principal, Depends(_decider)]) -> DecisionOut:
    """Decide an event now: ALLOW, CHALLENGE (step-up), REVIEW (hold) or BLOCK, with the reasons.

    Repeating an event id returns the first decision without counting the event twice."""
    platform = get_platform(request)
    service = fraud_service(platform)
    if service.writer is not None:  # batched recording: deciding is pure CPU, done on the loop
        return _out(service.decide(event, institution_id=principal.organization_id))
    return _out(await run_in_threadpool(_decide_and_record, platform, event, principal.organization_id))


def _decide_and_record(platform: Platform, event: FraudEvent, institution_id: str | None) -> Decision:
    """Inline recording: decide and write the decision in one transaction owned by this request."""
    with platform.unit_of_work() as uow:
        decision = fraud_service(platform).decide(event, institution_id=institution_id, session=uow.session)
        uow.commit()
    return decision


@router.get("/decisions/{event_id}", response_model=RecordedDecisionOut,
            responses={**ERRORS, 404: problem_schema("No such decision")})
def get_decision(event_id: str, principal: Reader, scope: Tenant, platform: PlatformDep,
                 uow: UoW) -> RecordedDecisionOut:
    """A recorded decision (audited, found or not: it concerns a customer)."""
    row = repository.get_decision(uow.session, event_id, scope)
    platform.audit.record(uow.session, actor=principal.subject, actor_org=principal.organization_id,
                          action="antifraud.decision.read", subject_type="fraud_decision",
                          subject_id=event_id, outcome="ok" if row else "refused",
                          purpose="fraud investigation", details={"found": row is not None})
    if row is None:
        uow.commit()  # keep the audit entry of the refused look-up; the error would roll it back
        raise NotFound(f"no decision for event {event_id}")
    return RecordedDecisionOut.model_validate(row)


@router.get("/totals", response_model=TotalsOut, responses=INVALID)
def totals(principal: Reader, scope: Tenant, session: Session,
           by: Literal["typology", "channel", "outcome", "type"] = "typology",
           since: Annotated[datetime | None, Query(description="decided at or after (ISO 8601)")] = None,
           until: Annotated[datetime | None, Query(description="decided before (ISO 8601)")] = None,
           ) -> TotalsOut:
    """Decisions, blocks and the amount protected, grouped by typology, channel, outcome or type."""
    rows = repository.totals(session, by=by, since=since, until=until, scope=scope)
    return TotalsOut(by=by, rows=rows,
                     amount_protected_fen=sum(r["amount_protected_fen"] for r in rows))


@router.get("/lists", response_model=Page[ListEntryOut], responses=ERRORS)
def list_entries(principal: ListKeeper, scope: Tenant, session: Session, pager: Paging,
                 kind: Literal["block", "allow", "watch"] | None = None) -> Page[ListEntryOut]:
    """The unexpired entries of your institution's lists and the consortium's shared entries, newest
    first."""
    rows = list_store.active_list_entries(session, datetime.now(UTC), scope, kind, page=pager.page_request)
    return pager.page(rows, lambda r: (r.id,), lambda r: _entry_out(r, scope))


def _entry_out(row: Any, scope: TenantScope) -> ListEntryOut:
    """An entry as the caller may see it: who made another bank's shared entry stays with that bank."""
    out = ListEntryOut.model_validate(row)
    return out if scope.may_change(row.institution_id) else out.model_copy(update={"created_by": None})


@router.post("/lists", response_model=ListEntryOut, status_code=201, responses=INVALID)
def add_list_entry(body: ListEntryIn, principal: ListKeeper, scope: Tenant, platform: PlatformDep,
                   uow: UoW) -> ListEntryOut:
    """Put a device, IP, account, payee, customer or card on your institution's block, allow or watch
    list (applied to your events), or on the consortium's when ``shared``."""
    if scope.cross_tenant is not None:
        raise Forbidden("operators and regulators read lists; institutions keep them")
    entry = fraud_service(platform).add_list_entry(
        uow.session, scope, kind=body.kind, entity_type=body.entity_type, value=body.value,
        reason=body.reason, expires_at=body.expires_at, shared=body.shared)
    platform.audit.record(uow.session, actor=principal.subject, actor_org=principal.organization_id,
                          action="antifraud.list.add", subject_type=f"fraud_list_{body.entity_type}",
                          subject_id=str(entry.id),
                          details={"kind": body.kind, "entity_type": body.entity_type,
                                   "shared": body.shared})
    return _entry_out(entry, scope)


@router.delete("/lists/{entry_id}", status_code=204,
               responses={**ERRORS, 404: problem_schema("No such list entry")})
def remove_list_entry(entry_id: IdParam, principal: ListKeeper, scope: Tenant, platform: PlatformDep,
                      uow: UoW) -> None:
    """Take one of your institution's entries off its list (another bank's shared entry: 403)."""
    entry = fraud_service(platform).remove_list_entry(uow.session, scope, entry_id)
    platform.audit.record(uow.session, actor=principal.subject, actor_org=principal.organization_id,
                          action="antifraud.list.remove", subject_type=f"fraud_list_{entry.entity_type}",
                          subject_id=str(entry_id), details={"kind": entry.kind})


@router.get("/rules", response_model=RuleSetOut, responses=ERRORS)
def ruleset(principal: RuleAdmin, platform: PlatformDep) -> RuleSetOut:
    """The live rule set: version and rule counts by mode and typology."""
    return ruleset_summary(fraud_service(platform).engine.rules.current)


@router.post("/rules/reload", response_model=RuleSetOut,
             responses={**ERRORS,
                        422: problem_schema("The new rule files are invalid; nothing changed")})
def reload_rules(principal: RuleAdmin, platform: PlatformDep) -> RuleSetOut:
    """Recompile the rule files and swap them in without stopping traffic."""
    return ruleset_summary(fraud_service(platform).reload_rules())


def ruleset_summary(rs: RuleSet) -> RuleSetOut:
    """Counts of a rule set for display."""
    modes = {m: sum(1 for r in rs.rules if r.mode == m) for m in ("active", "shadow", "off")}
    return RuleSetOut(name=rs.name, version=rs.version, rules=len(rs.rules), **modes,
                      typologies={t: sum(1 for r in rs.rules if r.typology == t) for t in rs.typologies})


def _mount_cases() -> None:
    # the case API lives in its own file; one router per module is what the registry mounts
    from bayfin.antifraud.cases.endpoints import router as cases_router
    from bayfin.antifraud.model_endpoints import router as models_router

    router.include_router(cases_router)
    router.include_router(models_router)


_mount_cases()
