"""Every query of the stored block/allow/watch list entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bayfin.antifraud.models import FraudListEntry
from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.kernel.tenancy import TenantScope

__all__ = ["active_list_entries", "add_list_entry", "delete_list_entry", "get_list_entry"]


def add_list_entry(session: Session, entry: FraudListEntry) -> FraudListEntry:
    """Store a list entry."""
    session.add(entry)
    session.flush()
    return entry


def get_list_entry(session: Session, entry_id: int, scope: TenantScope) -> FraudListEntry | None:
    """One list entry by id, if the scope reaches it (its own, or another bank's shared entry)."""
    return session.scalars(select(FraudListEntry).where(
        FraudListEntry.id == entry_id,
        scope.readable_or_shared(FraudListEntry.institution_id, FraudListEntry.shared))).first()


def delete_list_entry(session: Session, entry: FraudListEntry) -> None:
    """Remove a list entry."""
    session.delete(entry)
    session.flush()


def active_list_entries(session: Session, now: datetime, scope: TenantScope, kind: str | None = None,
                        page: PageRequest | None = None) -> list[FraudListEntry]:
    """Unexpired entries the scope reaches (its own and the consortium's shared ones), newest first;
    one page (one row beyond) when asked."""
    unexpired = or_(FraudListEntry.expires_at.is_(None), FraudListEntry.expires_at > now)
    stmt = select(FraudListEntry).where(unexpired, scope.readable_or_shared(FraudListEntry.institution_id,
                                                                             FraudListEntry.shared))
    if kind is not None:
        stmt = stmt.where(FraudListEntry.kind == kind)
    if page is not None:
        return list(session.scalars(keyset(stmt, [FraudListEntry.id], page, descending=True)))
    return list(session.scalars(stmt.order_by(FraudListEntry.id.desc())))
