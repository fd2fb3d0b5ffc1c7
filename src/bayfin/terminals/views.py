"""Read models shared by the CLI, the API and the web console: rows for tables, the sites with their
status, the alarm queue, a terminal's history, refusals and the status map."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bayfin.kernel.errors import NotFound
from bayfin.kernel.pagination import PageRequest
from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals import svgmap
from bayfin.terminals.models import Alarm, Command, Terminal


def alarm_row(alarm: Alarm) -> dict[str, Any]:
    """An alarm as a plain row, with its combined ThingsBoard state."""
    return {"id": alarm.id, "rule": alarm.rule, "severity": alarm.severity,
            "status": d.alarm_status(cleared=alarm.cleared, acknowledged=alarm.acknowledged).value,
            "terminal_id": alarm.terminal_id, "site_id": alarm.site_id, "evidence": alarm.evidence,
            "event_at": alarm.event_at, "raised_at": alarm.raised_at, "cleared_at": alarm.cleared_at,
            "acknowledged_at": alarm.acknowledged_at, "acknowledged_by": alarm.acknowledged_by}


def terminal_row(found: Terminal) -> dict[str, Any]:
    """A terminal as a plain row."""
    position = None
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

def sites_with_status(session: Session) -> list[dict[str, Any]]:
    """Every site with its position, fence, opening hours, map status (worst active alarm severity
    or OK), active alarms by severity and terminal counts, by code."""
    counts = repo.active_alarm_counts_by_site(session)
    fleet = repo.terminal_counts_by_site(session)
    rows = []
    for site in repo.sites(session):
        terminals, connected = fleet.get(site.id, (0, 0))
        rows.append({"id": site.id, "code": site.code, "name": site.name, "kind": site.kind,
                     "licence": site.licence, "lat": site.lat_micro / 1e6, "lon": site.lon_micro / 1e6,
                     "geofence_m": site.geofence_m, "opening_hours": site.opening_hours,
                     "status": svgmap.status_of(counts.get(site.id)),
                     "active_alarms": dict(counts.get(site.id, {})), "terminals": terminals,
                     "connected_terminals": connected})
    return rows


def terminal_rows(session: Session, *, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """The registered terminals as plain rows, in the repository's order."""
    return [terminal_row(t) for t in repo.terminals(session, limit=limit, offset=offset)]


def alarm_queue(session: Session, *, include_cleared: bool = False, acknowledged: bool | None = None,
                rule: str | None = None, severity: str | None = None, site_code: str | None = None,
                terminal_id: str | None = None, limit: int = 200, offset: int = 0,
                page: PageRequest | None = None) -> list[dict[str, Any]]:
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
    rows = []
    for alarm in found:
        terminal = terminals.get(alarm.terminal_id) if alarm.terminal_id else None
        where = alarm.site_id or (terminal.site_id if terminal is not None else None)
        rows.append({**alarm_row(alarm), "serial": None if terminal is None else terminal.serial,
                     "site_code": codes.get(where) if where else None})
    return rows


def terminal_history(session: Session, terminal_id: str, limit: int = 100) -> dict[str, Any]:
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


def command_row(cmd: Command) -> dict[str, Any]:
    """A command as a plain row."""
    return {"id": cmd.id, "terminal_id": cmd.terminal_id, "action": cmd.action, "params": cmd.params,
            "state": cmd.state, "requested_by": cmd.requested_by, "created_at": cmd.created_at,
            "sent_at": cmd.sent_at, "acknowledged_at": cmd.acknowledged_at, "result": cmd.result}


def refusals(session: Session, limit: int = 100, page: PageRequest | None = None) -> list[dict[str, Any]]:
    """Recent refusals, newest first: unknown or badly signed devices asking for credentials, and
    telemetry or status messages that failed their signature or were replays."""
    return [{"id": e.id, "kind": e.kind, "serial": e.serial, "terminal_id": e.terminal_id, "at": e.at,
             "reason": e.data.get("reason"), "profile": e.data.get("profile")}
            for e in repo.refused_events(session, limit, page)]
