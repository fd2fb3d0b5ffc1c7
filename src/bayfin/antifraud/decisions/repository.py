"""Every query of the recorded decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, case, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from typing_extensions import TypedDict  # pydantic reads it (the totals API answers with it)

from bayfin.antifraud.models import FraudDecisionRecord
from bayfin.kernel.tenancy import TenantScope, owned_by


class DecisionTotal(TypedDict):
    """Decisions of one group (a typology, channel, outcome or type): counts by outcome and amounts."""

    group: str
    decisions: int
    blocked: int
    reviewed: int
    challenged: int
    amount_fen: int
    amount_protected_fen: int


GROUPS = {"typology": FraudDecisionRecord.primary_typology, "channel": FraudDecisionRecord.channel,
          "outcome": FraudDecisionRecord.outcome, "type": FraudDecisionRecord.type}


def insert_decisions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert decision rows in one statement; an event already recorded for the same institution is
    skipped (idempotent): an event id is unique per institution, not across banks."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    table = FraudDecisionRecord.__table__
    assert isinstance(table, Table)
    if dialect == "postgresql":
        # no conflict target: the event id is unique per institution, and per the platform's own
        # (ownerless) stream by a second, partial index; either one skips the row
        stmt: Any = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:
        stmt = insert(table)
    session.execute(stmt, list(rows))


def recorded_decision(session: Session, event_id: str,
                      institution_id: str | None) -> FraudDecisionRecord | None:
    """The decision recorded for this institution's event (None: the platform's own stream), if any:
    the engine's and the stream worker's idempotence check, no caller's scope."""
    d = FraudDecisionRecord
    return session.scalars(select(d).where(d.event_id == event_id, owned_by(d.institution_id, institution_id))
                           .limit(1)).first()


def get_decision(session: Session, event_id: str, scope: TenantScope) -> FraudDecisionRecord | None:
    """One decision by event id, if the caller's scope reaches it. A scope reaching several (the same
    event id at two banks, read by a head office or across tenants) gets its own organization's first."""
    d = FraudDecisionRecord
    own_first = case((d.institution_id == scope.organization, 0), else_=1)
    stmt = (select(d).where(d.event_id == event_id, scope.readable(d.institution_id))
            .order_by(own_first, d.id))
    return session.scalars(stmt).first()


def totals(session: Session, *, by: str, since: datetime | None, until: datetime | None,
           scope: TenantScope) -> list[DecisionTotal]:
    """Counts per outcome and amounts (seen, protected) per group over a time range."""
    key = GROUPS[by]
    d = FraudDecisionRecord
    stmt: Select[Any] = select(  # type: ignore[assignment]
        key.label("group"), func.count().label("decisions"),
        func.sum(case((d.outcome == "BLOCK", 1), else_=0)).label("blocked"),
        func.sum(case((d.outcome == "REVIEW", 1), else_=0)).label("reviewed"),
        func.sum(case((d.outcome == "CHALLENGE", 1), else_=0)).label("challenged"),
        func.coalesce(func.sum(d.amount_fen), 0).label("amount_fen"),
        func.coalesce(func.sum(d.amount_protected_fen), 0).label("amount_protected_fen"),
    ).group_by(key).order_by(key)
    if since is not None:
        stmt = stmt.where(d.decided_at >= since)
    if until is not None:
        stmt = stmt.where(d.decided_at < until)
    stmt = stmt.where(scope.readable(d.institution_id))
    return [{"group": row.group or "none", "decisions": int(row.decisions), "blocked": int(row.blocked or 0),
             "reviewed": int(row.reviewed or 0), "challenged": int(row.challenged or 0),
             "amount_fen": int(row.amount_fen), "amount_protected_fen": int(row.amount_protected_fen)}
            for row in session.execute(stmt)]


def latest_decisions(session: Session, scope: TenantScope, *, held_only: bool = False,
                     limit: int = 50) -> list[FraudDecisionRecord]:
    """The newest recorded decisions the scope reaches; ``held_only`` keeps those that stopped the
    transaction or asked for more (CHALLENGE, REVIEW, BLOCK)."""
    stmt = (select(FraudDecisionRecord).where(scope.readable(FraudDecisionRecord.institution_id))
            .order_by(FraudDecisionRecord.id.desc()).limit(limit))
    if held_only:
        stmt = stmt.where(FraudDecisionRecord.outcome != "ALLOW")
    return list(session.scalars(stmt).all())


def count_decisions(session: Session) -> int:
    """How many decisions are recorded."""
    return int(session.scalar(select(func.count()).select_from(FraudDecisionRecord)) or 0)


#: An event as the records know it: (institution, event id); an event id is unique per institution.
EventKey = tuple[str | None, str]


def scored_decisions(session: Session, *, since: datetime | None, scope: TenantScope,
                     limit: int) -> list[tuple[EventKey, str, dict[str, Any]]]:
    """Recent decisions (newest first) as (event, outcome, details), for the shadow-model report."""
    d = FraudDecisionRecord
    stmt = select(d.institution_id, d.event_id, d.outcome, d.details)
    if since is not None:
        stmt = stmt.where(d.decided_at >= since)
    stmt = stmt.where(scope.readable(d.institution_id))
    rows = session.execute(stmt.order_by(d.decided_at.desc(), d.id.desc()).limit(limit))
    return [((i, e), o, dict(details or {})) for i, e, o, details in rows]
