"""Every query of the analyst cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bayfin.antifraud.decisions.repository import EventKey
from bayfin.antifraud.models import FraudCase, FraudCaseEntry, FraudDecisionRecord
from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.kernel.tenancy import TenantScope, owned_by

__all__ = ["add_case", "add_entry", "case_outcomes", "closed_cases", "count_open", "find_case", "get_case",
           "history", "queue", "scoped_cases", "unopened_review_decisions"]

OPEN_STATUSES = ("open", "assigned", "escalated")


def find_case(session: Session, event_id: str, institution_id: str | None) -> FraudCase | None:
    """The case of an institution's event (None: the platform's own stream), if one was opened."""
    mine = owned_by(FraudCase.institution_id, institution_id)
    return session.scalars(select(FraudCase).where(FraudCase.event_id == event_id, mine)).first()


def add_case(session: Session, case: FraudCase) -> FraudCase:
    """Insert a new case (flushed, so it has its id)."""
    session.add(case)
    session.flush()
    return case


def add_entry(session: Session, entry: FraudCaseEntry) -> FraudCaseEntry:
    """Append an entry to a case history (flushed)."""
    session.add(entry)
    session.flush()
    return entry


def unopened_review_decisions(session: Session, limit: int) -> Sequence[FraudDecisionRecord]:
    """Recorded REVIEW decisions that have no case yet (at most ``limit``)."""
    taken = select(FraudCase.id).where(
        FraudCase.event_id == FraudDecisionRecord.event_id,
        FraudCase.institution_id.is_not_distinct_from(FraudDecisionRecord.institution_id)).exists()
    return session.scalars(select(FraudDecisionRecord).where(FraudDecisionRecord.outcome == "REVIEW", ~taken)
                           .limit(limit)).all()


def get_case(session: Session, case_id: int) -> FraudCase | None:
    """A case by id, whoever owns it (the service checks the caller's scope)."""
    return session.get(FraudCase, case_id)


def queue(session: Session, *, status: str | None, assignee: str | None, scope: TenantScope, limit: int,
          page: PageRequest | None) -> list[FraudCase]:
    """Cases the scope reaches by priority (highest first), then oldest first; one page (one row
    beyond) when asked."""
    q = select(FraudCase)
    if status is not None:
        q = q.where(FraudCase.status == status)
    if assignee is not None:
        q = q.where(FraudCase.assignee == assignee)
    q = q.where(scope.readable(FraudCase.institution_id))
    if page is not None:
        # the negated priority keeps the keyset in one direction: highest priority, oldest, lowest id
        return list(session.scalars(keyset(q, [-FraudCase.priority, FraudCase.opened_at, FraudCase.id],
                                           page)).all())
    return list(session.scalars(q.order_by(FraudCase.priority.desc(), FraudCase.opened_at, FraudCase.id)
                                .limit(limit)).all())


def history(session: Session, case_id: int) -> list[FraudCaseEntry]:
    """A case's entries, oldest first."""
    return list(session.scalars(select(FraudCaseEntry).where(FraudCaseEntry.case_id == case_id)
                                .order_by(FraudCaseEntry.id)).all())


def closed_cases(session: Session, closed: Sequence[str]) -> list[tuple[str, str, datetime | None]]:
    """(event id, status, decided at) of every closed case, in the order they were decided."""
    rows = session.execute(select(FraudCase.event_id, FraudCase.status, FraudCase.decided_at)
                           .where(FraudCase.status.in_(closed)).order_by(FraudCase.decided_at)).all()
    return [(e, s, at) for e, s, at in rows]


def scoped_cases(session: Session, scope: TenantScope, since: datetime | None = None) -> list[FraudCase]:
    """The scope's cases (opened since ``since``, when given)."""
    q = select(FraudCase).where(scope.readable(FraudCase.institution_id))
    if since is not None:
        q = q.where(FraudCase.opened_at >= since)
    return list(session.scalars(q).all())


def count_open(session: Session) -> int:
    """Open, assigned and escalated cases waiting for a decision."""
    return int(session.scalar(select(func.count()).select_from(FraudCase)
                              .where(FraudCase.status.in_(OPEN_STATUSES))) or 0)


def case_outcomes(session: Session, events: Sequence[EventKey], chunk: int = 1_000) -> dict[EventKey, int]:
    """Analyst outcomes of these events' closed cases: 1 = confirmed fraud, 0 = released (each event's
    own institution's case: another bank's case under the same event id is not its label)."""
    found: dict[EventKey, int] = {}
    for start in range(0, len(events), chunk):
        part = set(events[start:start + chunk])
        stmt = select(FraudCase.institution_id, FraudCase.event_id, FraudCase.status).where(
            FraudCase.event_id.in_(sorted({e for _i, e in part})),
            FraudCase.status.in_(("released", "confirmed")))
        found.update({(i, e): int(s == "confirmed") for i, e, s in session.execute(stmt) if (i, e) in part})
    return found
