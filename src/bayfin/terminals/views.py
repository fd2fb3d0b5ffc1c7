"""Read models shared by the CLI and the API: rows for tables and the status map."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals import svgmap
from bayfin.terminals.models import Alarm, Terminal


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
