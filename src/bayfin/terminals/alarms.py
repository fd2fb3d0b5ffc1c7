"""Raising and clearing alarm rows: one active alarm per terminal (or site) and rule."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bayfin.terminals import domain as d
from bayfin.terminals import repository as repo
from bayfin.terminals.models import Alarm


def raise_alarm(session: Session, terminal_id: str | None, site_id: str | None, finding: d.Finding,
                event_at: datetime, now: datetime, existing: Alarm | None) -> Alarm:
    """A new active alarm for a finding, or ``existing`` (the same rule's active alarm) refreshed with
    the new evidence and a repeat count, so a persisting fault never floods the queue."""
    if existing is not None:
        existing.evidence = {**finding.evidence, "repeats": int(existing.evidence.get("repeats", 0)) + 1}
        existing.severity = finding.severity
        return existing
    alarm = Alarm(terminal_id=terminal_id, site_id=site_id, rule=finding.rule, severity=finding.severity,
                  cleared=False, acknowledged=False, evidence=dict(finding.evidence), event_at=event_at,
                  raised_at=now)
    repo.add(session, alarm)
    return alarm


def clear_alarm(alarm: Alarm, now: datetime) -> None:
    """Mark an alarm cleared (a later finding raises a new one)."""
    alarm.cleared, alarm.cleared_at = True, now
