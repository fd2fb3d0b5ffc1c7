"""Consent API: institutions request, enterprises decide, both see the history; who looked at my data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Session, require
from bayfin.api.problems import Responses, problem_schema
from bayfin.consent import domain as d
from bayfin.consent.errors import ConsentNotFound
from bayfin.consent.models import Consent
from bayfin.consent.schemas import (
    AccessLogEntry,
    ApproveIn,
    ArtefactOut,
    ConsentEventOut,
    ConsentOut,
    ConsentRequestIn,
    ReasonIn,
    VerifyIn,
    VerifyOut,
)
from bayfin.consent.service import ConsentRequestData, ConsentService
from bayfin.kernel.audit import entries_for_subject
from bayfin.kernel.errors import Conflict
from bayfin.kernel.fields import IdParam
from bayfin.kernel.security import Principal

router = APIRouter(tags=["consent"])

Institution = Annotated[Principal, Depends(require(scopes=("consent:request",),
                                                   org_types=("institution",)))]
Enterprise = Annotated[Principal, Depends(require(scopes=("consent:manage",),
                                                  org_types=("enterprise",)))]
Party = Annotated[Principal, Depends(require(org_types=("institution", "enterprise")))]
AnyCaller = Annotated[Principal, Depends(require())]

NOT_FOUND: Responses = {404: problem_schema("No such consent visible to you")}
CONFLICT: Responses = {409: problem_schema("Illegal transition for the consent's status")}
INVALID: Responses = {422: problem_schema("Invalid request")}


def get_service(session: Session, platform: PlatformDep) -> ConsentService:
    """The consent service on the request's transaction."""
    return ConsentService(session, platform.audit, platform.clock, platform.tokens.keys)


Service = Annotated[ConsentService, Depends(get_service)]


def _out(service: ConsentService, consent: Consent, with_events: bool = True) -> ConsentOut:
    return ConsentOut(
        id=consent.id, credit_code=consent.credit_code, institution_id=consent.institution_id,
        requested_by=consent.requested_by, approved_by=consent.approved_by,
        purpose_code=consent.purpose_code, purpose_text=consent.purpose_text,
        requested_categories=consent.requested_categories, categories=consent.categories,
        access_mode=consent.access_mode,
        frequency={"unit": consent.frequency_unit, "value": consent.frequency_value},
        data_from=consent.data_from, data_to=consent.data_to, valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        data_life={"unit": consent.data_life_unit, "value": consent.data_life_value},
        status=consent.status, status_changed_at=consent.status_changed_at,
        linked_application_id=consent.linked_application_id, use_count=consent.use_count,
        last_used_at=consent.last_used_at,
        events=[ConsentEventOut(at=e.at, action=e.action, from_status=e.from_status,
                                to_status=e.to_status, reason_code=e.reason_code, actor=e.actor)
                for e in service.events(consent)] if with_events else [])


@router.post("/v1/consents", status_code=201, response_model=ConsentOut,
             responses={**AUTH_ERRORS, **INVALID})
def request_consent(body: ConsentRequestIn, principal: Institution, service: Service) -> ConsentOut:
    """Ask an enterprise for consent to see some of its data for a purpose."""
    consent = service.request(principal, ConsentRequestData(
        credit_code=body.credit_code, purpose=body.purpose_code, purpose_text=body.purpose_text,
        categories=frozenset(body.categories), access_mode=body.access_mode,
        frequency=d.Frequency(body.frequency.unit, body.frequency.value), data_from=body.data_from,
        data_to=body.data_to, validity_days=body.validity_days,
        data_life=d.Frequency(body.data_life.unit, body.data_life.value),
        linked_application_id=body.linked_application_id))
    return _out(service, consent)


@router.get("/v1/consents", response_model=list[ConsentOut], responses={**AUTH_ERRORS})
def list_consents(principal: Party, service: Service,
                  status: Annotated[d.ConsentStatus | None, Query()] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> list[ConsentOut]:
    """Your consents: an institution's requests, or the consents on an enterprise's data."""
    rows = service.list_for(principal, status.value if status else None, limit, offset)
    return [_out(service, c, with_events=False) for c in rows]


@router.get("/v1/consents/{consent_id}", response_model=ConsentOut,
            responses={**AUTH_ERRORS, **NOT_FOUND})
def get_consent(consent_id: str, principal: Party, service: Service) -> ConsentOut:
    """One consent with its full status history."""
    return _out(service, service.get_for(principal, consent_id))


@router.get("/v1/consents/{consent_id}/artefact", response_model=ArtefactOut,
            responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT})
def get_artefact(consent_id: str, principal: Party, service: Service) -> ArtefactOut:
    """The approved artefact and the platform's detached JWS over it."""
    consent = service.get_for(principal, consent_id)
    if consent.signature is None or consent.signed_artefact is None:
        raise Conflict("the consent has not been approved, so nothing was signed")
    return ArtefactOut(artefact=consent.signed_artefact, signature=consent.signature)


@router.post("/v1/consents/verify", response_model=VerifyOut, responses={**AUTH_ERRORS})
def verify_artefact(body: VerifyIn, principal: AnyCaller, service: Service) -> VerifyOut:
    """Check that the platform signed exactly this artefact (any edit fails)."""
    return VerifyOut(valid=service.verify_signature(body.artefact, body.signature))


@router.post("/v1/consents/{consent_id}/approve", response_model=ConsentOut,
             responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT, **INVALID})
def approve_consent(consent_id: str, body: ApproveIn, principal: Enterprise,
                    service: Service) -> ConsentOut:
    """Approve a request, optionally narrowing its categories and data range; the platform signs it."""
    consent = service.approve(principal, consent_id, categories=frozenset(body.categories),
                              data_from=body.data_from, data_to=body.data_to)
    return _out(service, consent)


def _lifecycle(name: str, summary: str) -> None:
    def endpoint(consent_id: str, body: ReasonIn, principal: Enterprise,
                 service: Service) -> ConsentOut:
        consent = service.change(principal, consent_id, d.ConsentAction(name), body.reason_code)
        return _out(service, consent)

    endpoint.__name__ = f"{name}_consent"
    endpoint.__doc__ = summary
    router.add_api_route(f"/v1/consents/{{consent_id}}/{name}", endpoint, methods=["POST"],
                         response_model=ConsentOut,
                         responses={**AUTH_ERRORS, **NOT_FOUND, **CONFLICT, **INVALID})


_lifecycle("reject", "Refuse a consent request.")
_lifecycle("pause", "Suspend a live consent; the very next query is refused.")
_lifecycle("resume", "Lift a pause.")
_lifecycle("revoke", "Withdraw a consent for good; the very next query is refused.")


@router.get("/v1/enterprises/me/access-log", response_model=list[AccessLogEntry],
            responses={**AUTH_ERRORS})
def my_access_log(principal: Enterprise, session: Session,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  before_id: IdParam | None = None) -> list[AccessLogEntry]:
    """Who looked at (or tried to look at) your enterprise's data, when, under which consent; newest
    first, page back with ``before_id``."""
    if not principal.organization_id:
        raise ConsentNotFound("your token names no enterprise")
    rows = entries_for_subject(session, "enterprise", principal.organization_id, limit=limit,
                               before_id=before_id)
    return [AccessLogEntry(id=r.id, at=r.at, institution_id=r.actor_org, user=r.actor, action=r.action,
                           outcome=r.outcome, purpose=r.purpose,
                           consent_id=(r.details or {}).get("consent_id"),
                           reason=(r.details or {}).get("reason")) for r in rows]
