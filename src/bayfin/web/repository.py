"""Read-only queries the console needs: the hub's population reads (firm search, counts by city and
industry, quarantine) come from the hub's own surface, :mod:`bayfin.creditdata`; the
audit log's newest entries are read here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bayfin.creditdata import (
    enterprises_by_city,
    enterprises_by_founding_year,
    enterprises_by_industry,
    firm_name,
    quarantine_by_source_and_reason,
    registered_enterprises,
    search_firms,
)
from bayfin.kernel.audit import AuditEntry

__all__ = ["enterprises_by_city", "enterprises_by_founding_year", "enterprises_by_industry", "firm_name",
           "quarantine_by_source_and_reason", "recent_audit_entries", "registered_enterprises",
           "search_firms"]


def recent_audit_entries(session: Session, limit: int = 30) -> list[AuditEntry]:
    """The newest audit entries."""
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all())
