"""Operator API of terminal monitoring: sites, terminals, the alarm queue, a terminal's history,
commands and the status map. Reads need ``terminals:read``; changes need ``terminals:operate`` and
the ``terminals_operator`` role. Every call is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from bayfin.api.deps import AUTH_ERRORS, TENANT_OWNED, PlatformDep, Session, UoW, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.kernel.db import transaction
from bayfin.kernel.fields import IdParam
from bayfin.kernel.pagination import Page
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.terminals import repository as repo
from bayfin.terminals import schemas as s
from bayfin.terminals.models import Site
from bayfin.terminals.views import (
    AlarmRow,
    alarm_queue,
    alarm_row,
    command_row,
    refusals,
    site_map,
    sites_with_status,
    terminal_history,
    terminal_row,
)
from bayfin.terminals.wiring import terminals_service

# every caller here acts for an organization (regulator or operator): none without one
router = APIRouter(prefix="/v1/terminals", tags=["terminals"], dependencies=TENANT_OWNED)

# The fleet is the platform operator's: a bank user holding the role name neither reads nor commands it.
Reader = Annotated[Principal, Depends(require(scopes=("terminals:read",),
                                              roles=("terminals_operator", "regulator"),
                                              org_types=("operator", "regulator")))]
Operator = Annotated[Principal, Depends(require(scopes=("terminals:operate",),
                                                roles=("terminals_operator",), org_types=("operator",)))]

_Responses = dict[int | str, dict[str, Any]]
_AUTH: _Responses = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
_NOT_FOUND: _Responses = {404: problem_schema("No such site, terminal, profile or alarm")}
_CONFLICT: _Responses = {409: problem_schema("It exists already")}
_INVALID: _Responses = {422: problem_schema("The request does not hold")}


def _audit(platform: Platform, session: Session, who: Principal, action: str, subject_type: str,
           subject_id: str, **details: str | int) -> None:
    platform.audit.record(session, actor=who.subject, actor_org=who.organization_id,
                          action=f"terminals.{action}", subject_type=subject_type, subject_id=subject_id,
                          purpose="terminal compliance monitoring", details=dict(details))


def _site_out(site: Site, status: str) -> s.SiteOut:
    return s.SiteOut(id=site.id, code=site.code, name=site.name, kind=site.kind, licence=site.licence,
                     lat=site.lat_micro / 1e6, lon=site.lon_micro / 1e6, geofence_m=site.geofence_m,
                     opening_hours=site.opening_hours, status=status)


@router.get("/sites", response_model=Page[s.SiteOut], responses={**_AUTH})
def list_sites(platform: PlatformDep, session: Session, who: Reader, pager: Paging) -> Page[s.SiteOut]:
    """Every site with its position and status (its worst active alarm's severity, or OK), by code."""
    _audit(platform, session, who, "sites.list", "site", "*")
    return pager.page_of([s.SiteOut(**row) for row in sites_with_status(session)], lambda site: (site.code,))


@router.post("/sites", response_model=s.SiteOut, status_code=201,
             responses={**_AUTH, **_CONFLICT, **_INVALID})
def create_site(body: s.SiteIn, platform: PlatformDep, session: Session, who: Operator) -> s.SiteOut:
    """Register a pharmacy or hospital."""
    site = terminals_service(platform).create_site(
        session, code=body.code, name=body.name, kind=body.kind, licence=body.licence, lat=body.lat,
        lon=body.lon, geofence_m=body.geofence_m, opening_hours=body.opening_hours, now=platform.clock.now())
    _audit(platform, session, who, "sites.create", "site", site.id)
    return _site_out(site, "OK")


@router.get("/terminals", response_model=Page[s.TerminalOut], responses={**_AUTH})
def list_terminals(platform: PlatformDep, session: Session, who: Reader,
                   pager: Paging) -> Page[s.TerminalOut]:
    """Terminals by serial with their last known state."""
    _audit(platform, session, who, "terminals.list", "terminal", "*")
    return pager.page(repo.terminals(session, page=pager.page_request), lambda t: (t.serial,),
                      lambda t: s.TerminalOut(**terminal_row(t)))


@router.post("/terminals", response_model=s.TerminalOut, status_code=201,
             responses={**_AUTH, **_NOT_FOUND, **_CONFLICT, **_INVALID})
def register_terminal(body: s.TerminalIn, platform: PlatformDep, session: Session,
                      who: Operator) -> s.TerminalOut:
    """Register a terminal at a site under a provisioning profile."""
    found = terminals_service(platform).register_terminal(
        session, serial=body.serial, model=body.model, firmware=body.firmware, site_code=body.site_code,
        bank_id=body.bank_id, profile_key=body.profile_key)
    _audit(platform, session, who, "terminals.register", "terminal", found.id)
    return s.TerminalOut(**terminal_row(found))


@router.get("/terminals/{terminal_id}/history", response_model=s.HistoryOut,
            responses={**_AUTH, **_NOT_FOUND})
def history(terminal_id: str, platform: PlatformDep, session: Session, who: Reader,
            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> s.HistoryOut:
    """A terminal's recent telemetry, status changes, alarms and commands."""
    found = terminal_history(session, terminal_id, limit)
    _audit(platform, session, who, "terminals.history", "terminal", terminal_id)
    return s.HistoryOut.model_validate(found)


@router.get("/alarms", response_model=Page[AlarmRow], responses={**_AUTH})
def list_alarms(platform: PlatformDep, session: Session, who: Reader,
                include_cleared: bool = False, acknowledged: bool | None = None,
                rule: Annotated[str | None, Query(max_length=20)] = None,
                severity: Annotated[str | None, Query(max_length=10)] = None,
                site_code: Annotated[str | None, Query(max_length=32)] = None,
                terminal_id: Annotated[str | None, Query(max_length=26)] = None,
                *, pager: Paging) -> Page[AlarmRow]:
    """The alarm queue, newest first (active only unless ``include_cleared``), filtered by state,
    rule, severity, site or terminal."""
    _audit(platform, session, who, "alarms.list", "alarm", "*")
    rows = alarm_queue(session, include_cleared=include_cleared, acknowledged=acknowledged, rule=rule,
                       severity=severity, site_code=site_code, terminal_id=terminal_id,
                       page=pager.page_request)
    return pager.page(rows, lambda row: (row["raised_at"], row["id"]), lambda row: row)


@router.get("/refusals", response_model=Page[s.RefusalOut], responses={**_AUTH})
def list_refusals(platform: PlatformDep, session: Session, who: Reader,
                  pager: Paging) -> Page[s.RefusalOut]:
    """Recent refusals, newest first: unknown or badly signed devices and forged or replayed messages."""
    _audit(platform, session, who, "refusals.list", "terminal", "*")
    return pager.page(refusals(session, page=pager.page_request), lambda row: (row["at"], row["id"]),
                      lambda row: s.RefusalOut(**row))


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmRow, responses={**_AUTH, **_NOT_FOUND})
def acknowledge_alarm(alarm_id: IdParam, platform: PlatformDep, session: Session,
                      who: Operator) -> AlarmRow:
    """Acknowledge an alarm (it stays active until cleared)."""
    alarm = terminals_service(platform).acknowledge(session, alarm_id, who.subject, platform.clock.now())
    _audit(platform, session, who, "alarms.acknowledge", "alarm", str(alarm.id), rule=alarm.rule)
    return alarm_row(alarm)


@router.post("/alarms/{alarm_id}/clear", response_model=AlarmRow, responses={**_AUTH, **_NOT_FOUND})
def clear_alarm(alarm_id: IdParam, platform: PlatformDep, session: Session, who: Operator) -> AlarmRow:
    """Clear an alarm."""
    alarm = terminals_service(platform).clear(session, alarm_id, platform.clock.now())
    _audit(platform, session, who, "alarms.clear", "alarm", str(alarm.id), rule=alarm.rule)
    return alarm_row(alarm)


@router.post("/terminals/{terminal_id}/commands", response_model=s.CommandOut, status_code=202,
             responses={**_AUTH, **_NOT_FOUND, **_INVALID})
def send_command(terminal_id: str, body: s.CommandIn, platform: PlatformDep, uow: UoW,
                 who: Operator) -> s.CommandOut:
    """Queue a lock, unlock or configuration command; it is published once this request commits and
    its state moves to acknowledged when the device answers."""
    service = terminals_service(platform)

    def mark_sent(command_id: str) -> None:
        with transaction(platform.session_factory) as session:
            service.mark_sent(session, command_id, platform.clock.now())

    cmd = service.send_command(uow, terminal_id, body.action, body.params, who.subject, platform.clock.now(),
                               mark_sent=mark_sent)
    _audit(platform, uow.session, who, "commands.send", "terminal", terminal_id, command=body.action,
           command_id=cmd.id)
    return s.CommandOut(**command_row(cmd))


@router.get("/map.svg", response_class=Response, responses={**_AUTH, 200: {"content": {"image/svg+xml": {}}}})
def status_map(platform: PlatformDep, session: Session, who: Reader) -> Response:
    """The SVG map of sites coloured by status, drawn from their coordinates (no tiles)."""
    _audit(platform, session, who, "map.view", "site", "*")
    return Response(site_map(session), media_type="image/svg+xml")
