"""Read models shared by the CLI, the API and the web console: rows for tables, the sites with their
status, the alarm queue, a terminal's history, refusals and the status map."""

from __future__ import annotations

from datetime import datetime
from typing import (
    Any,
    NotRequired,  # pydantic reads these (the API answers with them)
)

from sqlalchemy.orm import Session
from typing_extensions import TypedDict

from bayfin.kernel.errors import NotFound
from bayfin.kernel.pagination import PageRequest
from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals import svgmap
from bayfin.terminals.models import Alarm, Command, Terminal


class Position(TypedDict):
    """A terminal's last reported fix."""

    lat: float
    lon: float
    accuracy_m: int | None
    source: str | None


class TerminalRow(TypedDict):
    """A terminal as the operator view shows it."""

    id: str
    serial: str
    model: str | None
    firmware: str | None
    bank_id: str | None
    site_id: str | None
    provisioned: bool
    connected: bool
    locked: bool
    last_seen: datetime | None
    position: Position | None
    txn_counter: int | None
    config: dict[str, Any] | None


class AlarmRow(TypedDict):
    """An alarm with its ThingsBoard-style status (active/cleared × acknowledged/unacknowledged); in the
    queue it also names its terminal's serial and its site's code. The API answers with it as is."""

    id: int
    rule: str
    severity: str
    status: str
    terminal_id: str | None
    site_id: str | None
    evidence: dict[str, Any]
    event_at: datetime
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    serial: NotRequired[str | None]
    site_code: NotRequired[str | None]


class SiteRow(TypedDict):
    """A site with its map status, active alarms by severity and terminal counts."""

    id: str
    code: str
    name: str
    kind: str
    licence: str | None
    lat: float
    lon: float
    geofence_m: int
    opening_hours: Any
    status: str
    active_alarms: dict[str, int]
    terminals: int
    connected_terminals: int


class CommandRow(TypedDict):
    """A command sent to a terminal and how far it got."""

    id: str
    terminal_id: str
    action: str
    params: dict[str, Any] | None
    state: str
    requested_by: str | None
    created_at: datetime
    sent_at: datetime | None
    acknowledged_at: datetime | None
    result: str | None


class EventRow(TypedDict):
    """One event of a terminal's history."""

    kind: str
    at: datetime
    data: dict[str, Any]


class TerminalHistory(TypedDict):
    """One terminal's state, recent events, alarms and commands."""

    terminal: TerminalRow
    events: list[EventRow]
    alarms: list[AlarmRow]
    commands: list[CommandRow]


class RefusalRow(TypedDict):
    """A refused device message."""

    id: int
    kind: str
    serial: str | None
    terminal_id: str | None
    at: datetime
    reason: str | None
    profile: str | None


def alarm_row(alarm: Alarm) -> AlarmRow:
    """An alarm as a plain row, with its combined ThingsBoard state."""
    return {"id": alarm.id, "rule": alarm.rule, "severity": alarm.severity,
            "status": d.alarm_status(cleared=alarm.cleared, acknowledged=alarm.acknowledged).value,
            "terminal_id": alarm.terminal_id, "site_id": alarm.site_id, "evidence": alarm.evidence,
            "event_at": alarm.event_at, "raised_at": alarm.raised_at, "cleared_at": alarm.cleared_at,
            "acknowledged_at": alarm.acknowledged_at, "acknowledged_by": alarm.acknowledged_by}


def terminal_row(found: Terminal) -> TerminalRow:
    """A terminal as a plain row."""
    position: Position | None = None
    if found.last_lat_micro is not None and found.last_lon_micro is not None:
        position = {"lat": found.last_lat_micro / 1e6, "lon": found.last_lon_micro / 1e6,
                    "accuracy_m": found.last_accuracy_m, "source": found.last_fix_source}
    return {"id": found.id, "serial": found.serial, "model": found.model, "firmware": found.firmware,
            "bank_id": found.bank_id, "site_id": found.site_id,
            "provisioned": found.provisioned_at is not None,
            "connected": found.connected, "locked": found.locked, "last_seen": found.last_seen,
            "position": position, "txn_counter": found.txn_counter, "config": found.config}


def site_status(session: Session) -> dict[str, str]:
    """Each site code's map status: its worst active alarm's severity, or OK."""
    counts = repo.active_alarm_counts_by_site(session)
    return {s.code: svgmap.status_of(counts.get(s.id)) for s in repo.sites(session)}


def site_map(session: Session) -> str:
    """The SVG map of every site coloured by status."""
    sites = [svgmap.MapSite(s.code, s.name, s.kind, s.lat_micro / 1e6, s.lon_micro / 1e6)
             for s in repo.sites(session)]
    return svgmap.render(sites, site_status(session))


# --- the operator view's surface (plain data for the API, the CLI and the web console) -----------
# These read functions do not audit: the caller (an endpoint or a console page) knows who asks and why.

def sites_with_status(session: Session) -> list[SiteRow]:
    """Every site with its position, fence, opening hours, map status (worst active alarm severity
    or OK), active alarms by severity and terminal counts, by code."""
    counts = repo.active_alarm_counts_by_site(session)
    fleet = repo.terminal_counts_by_site(session)
    rows: list[SiteRow] = []
    for site in repo.sites(session):
        terminals, connected = fleet.get(site.id, (0, 0))
        rows.append({"id": site.id, "code": site.code, "name": site.name, "kind": site.kind,
                     "licence": site.licence, "lat": site.lat_micro / 1e6, "lon": site.lon_micro / 1e6,
                     "geofence_m": site.geofence_m, "opening_hours": site.opening_hours,
                     "status": svgmap.status_of(counts.get(site.id)),
                     "active_alarms": dict(counts.get(site.id, {})), "terminals": terminals,
                     "connected_terminals": connected})
    return rows


def terminal_rows(session: Session, *, limit: int = 200, offset: int = 0) -> list[TerminalRow]:
    """The registered terminals as plain rows, in the repository's order."""
    return [terminal_row(t) for t in repo.terminals(session, limit=limit, offset=offset)]


def alarm_queue(session: Session, *, include_cleared: bool = False, acknowledged: bool | None = None,
                rule: str | None = None, severity: str | None = None, site_code: str | None = None,
                terminal_id: str | None = None, limit: int = 200, offset: int = 0,
                page: PageRequest | None = None) -> list[AlarmRow]:
    """The alarm queue, newest first, filtered; each row also names its terminal's serial and its
    site's code. An unknown site code gives an empty queue."""
    site_id = None
    if site_code is not None:
        site = repo.site_by_code(session, site_code)
        if site is None:
            return []
        site_id = site.id
    found = repo.alarms(session, cleared=None if include_cleared else False, acknowledged=acknowledged,
                        rule=rule, severity=severity, site_id=site_id, terminal_id=terminal_id,
                        limit=limit, offset=offset, page=page)
    terminals = repo.terminals_by_ids(session, [a.terminal_id for a in found if a.terminal_id])
    codes = {s.id: s.code for s in repo.sites(session)}
    rows: list[AlarmRow] = []
    for alarm in found:
        terminal = terminals.get(alarm.terminal_id) if alarm.terminal_id else None
        where = alarm.site_id or (terminal.site_id if terminal is not None else None)
        rows.append({**alarm_row(alarm), "serial": None if terminal is None else terminal.serial,
                     "site_code": codes.get(where) if where else None})
    return rows


def terminal_history(session: Session, terminal_id: str, limit: int = 100) -> TerminalHistory:
    """One terminal: its state, its recent events (telemetry, status, refusals, command acks), its
    alarms (cleared too) and its commands, newest first."""
    found = repo.terminal(session, terminal_id)
    if found is None:
        raise NotFound("no such terminal")
    return {"terminal": terminal_row(found),
            "events": [{"kind": e.kind, "at": e.at, "data": e.data}
                       for e in repo.events_of(session, found.id, limit)],
            "alarms": [alarm_row(a) for a in repo.alarms(session, cleared=None, terminal_id=found.id,
                                                         limit=limit)],
            "commands": [command_row(c) for c in repo.commands_of(session, found.id)]}


def command_row(cmd: Command) -> CommandRow:
    """A command as a plain row."""
    return {"id": cmd.id, "terminal_id": cmd.terminal_id, "action": cmd.action, "params": cmd.params,
            "state": cmd.state, "requested_by": cmd.requested_by, "created_at": cmd.created_at,
            "sent_at": cmd.sent_at, "acknowledged_at": cmd.acknowledged_at, "result": cmd.result}


def refusals(session: Session, limit: int = 100, page: PageRequest | None = None) -> list[RefusalRow]:
    """Recent refusals, newest first: unknown or badly signed devices asking for credentials, and
    telemetry or status messages that failed their signature or were replays."""
    return [{"id": e.id, "kind": e.kind, "serial": e.serial, "terminal_id": e.terminal_id, "at": e.at,
             "reason": e.data.get("reason"), "profile": e.data.get("profile")}
            for e in repo.refused_events(session, limit, page)]
