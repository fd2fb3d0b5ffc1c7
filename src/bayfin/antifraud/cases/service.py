"""Analyst cases: REVIEW decisions and alerts become cases worked from a priority queue.

An analyst takes (or is assigned) a case, adds notes and the customer contact log, and decides:
release (not fraud), confirm fraud, or escalate. Confirmed and released outcomes are the labels
learning trains on; statistics give time to decision and the confirm rate per rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from bayfin.antifraud.cases import repository
from bayfin.antifraud.decisions.service import DecisionRecorded
from bayfin.antifraud.models import FraudCase, FraudCaseEntry
from bayfin.kernel.clock import utcnow
from bayfin.kernel.errors import Conflict
from bayfin.kernel.pagination import Key, PageRequest
from bayfin.kernel.tenancy import TenantScope

__all__ = ["CLOSED", "CaseAction", "add_entry", "assign", "case_priority", "case_statistics", "decide_case",
           "find_case", "get_case", "labels", "on_decision_recorded", "open_case", "open_decision_case",
           "open_pending_cases", "queue"]

CaseAction = Literal["release", "confirm", "escalate"]
CLOSED = ("released", "confirmed")
_STATUS = {"release": "released", "confirm": "confirmed", "escalate": "escalated"}


def case_priority(amount_fen: int, score: int) -> int:
    """Higher first: the rule/model score, plus 100 per tenfold of the amount in yuan (pure)."""
    return score + int(100 * math.log10(1 + max(amount_fen, 0) / 100))


def find_case(session: Session, event_id: str, institution_id: str | None) -> FraudCase | None:
    """The case of an institution's event (None: the platform's own stream), if one was opened; an
    event id is unique per institution, so another bank's case under the same id is not this one."""
    return repository.find_case(session, event_id, institution_id)


def open_case(session: Session, *, event_id: str, customer_id: str, amount_fen: int, score: int,
              rules: list[str], institution_id: str | None, source: str = "decision") -> FraudCase:
    """Open a case for an event (a second call for the same institution's event returns its case)."""
    existing = find_case(session, event_id, institution_id)
    if existing is not None:
        return existing
    case = FraudCase(event_id=event_id, source=source, customer_id=customer_id, institution_id=institution_id,
                     amount_fen=amount_fen, score=score, priority=case_priority(amount_fen, score),
                     rules=list(rules), status="open", opened_at=utcnow())
    return repository.add_case(session, case)


def open_decision_case(session: Session, row: dict[str, Any], source: str,
                       alerts: tuple[str, ...] = ()) -> FraudCase:
    """Open the case of a recorded decision row; its alerts go into the case history."""
    case = open_case(session, event_id=row["event_id"], customer_id=row["customer_id"],
                     amount_fen=row["amount_fen"], score=row["score"], rules=list(row["rules"]),
                     institution_id=row["institution_id"], source=source)
    if alerts and not history(session, case.id):
        add_entry(session, case, kind="alert", author="antifraud-engine", text=", ".join(alerts),
                  details={"alerts": list(alerts), "reason_codes": list(row["reason_codes"])})
    return case


def on_decision_recorded(session: Session, recorded: Sequence[DecisionRecorded]) -> None:
    """Open the case each recorded decision calls for, in the recording's transaction (subscribed to
    the decisions side's announcer at start-up)."""
    for item in recorded:
        if item.case is not None:
            open_decision_case(session, item.row, item.case.source, item.case.alerts)


def open_pending_cases(session: Session, limit: int = 10_000) -> int:
    """Open a case for every recorded REVIEW decision that has none yet; returns how many."""
    rows = repository.unopened_review_decisions(session, limit)
    for row in rows:
        open_case(session, event_id=row.event_id, customer_id=row.customer_id, amount_fen=row.amount_fen,
                  score=row.score, rules=list(row.rules), institution_id=row.institution_id)
    return len(rows)


def get_case(session: Session, case_id: int, scope: TenantScope, *, change: bool = False) -> FraudCase:
    """One case the scope reaches (to work on it when ``change``: its own institution's), or NotFound."""
    case = repository.get_case(session, case_id)
    owner = case.institution_id if case is not None else None
    found: FraudCase = scope.changeable(case, owner, "case") if change else scope.visible(case, owner, "case")
    return found


def queue(session: Session, *, status: str | None = "open", assignee: str | None = None,
          scope: TenantScope, limit: int = 50, page: PageRequest | None = None) -> list[FraudCase]:
    """Cases the scope reaches by priority (highest first), then oldest first; one page (one row
    beyond) when asked."""
    return repository.queue(session, status=status, assignee=assignee, scope=scope, limit=limit, page=page)


def queue_key(case: FraudCase) -> Key:
    """Where the queue continues after ``case`` (the keyset of :func:`queue`)."""
    return (-case.priority, case.opened_at, case.id)


def history(session: Session, case_id: int) -> list[FraudCaseEntry]:
    """A case's entries, oldest first."""
    return repository.history(session, case_id)


EntryKind = Literal["note", "contact", "assign", "decision", "alert"]


def add_entry(session: Session, case: FraudCase, *, kind: EntryKind,
              author: str, text: str = "", details: dict[str, Any] | None = None) -> FraudCaseEntry:
    """Append a note, a customer contact, an assignment or a decision to the case history."""
    entry = FraudCaseEntry(case_id=case.id, kind=kind, author=author, at=utcnow(), text=text[:2000],
                           details=details or {})
    return repository.add_entry(session, entry)


def assign(session: Session, case: FraudCase, assignee: str, *, actor: str) -> FraudCase:
    """Give an open or escalated case to an analyst."""
    if case.status in CLOSED:
        raise Conflict(f"case {case.id} is already {case.status}")
    case.assignee = assignee
    if case.status == "open":
        case.status = "assigned"
    add_entry(session, case, kind="assign", author=actor, details={"assignee": assignee})
    return case


def decide_case(session: Session, case: FraudCase, action: CaseAction, *, actor: str,
                note: str = "") -> FraudCase:
    """Release, confirm fraud or escalate; a closed case cannot be decided again."""
    if case.status in CLOSED:
        raise Conflict(f"case {case.id} is already {case.status}")
    case.status = _STATUS[action]
    if action != "escalate":
        case.decided_at = utcnow()
    add_entry(session, case, kind="decision", author=actor, text=note, details={"action": action})
    return case


def labels(session: Session) -> list[dict[str, Any]]:
    """Event ids with their analyst outcome (1 = confirmed fraud, 0 = released): labels for learning."""
    rows = repository.closed_cases(session, CLOSED)
    return [{"event_id": e, "is_fraud": int(s == "confirmed"), "labelled_at": at} for e, s, at in rows]


def case_statistics(session: Session, scope: TenantScope,
                    since: datetime | None = None) -> dict[str, Any]:
    """Counts by status, mean and median hours to decision, confirm rate per rule, over the scope's cases."""
    cases = repository.scoped_cases(session, scope, since)
    by_status: dict[str, int] = defaultdict(int)
    hours: list[float] = []
    per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # [decided, confirmed]
    for case in cases:
        by_status[case.status] += 1
        if case.status in CLOSED and case.decided_at is not None:
            hours.append((case.decided_at - case.opened_at).total_seconds() / 3600)
            for rule in case.rules:
                per_rule[rule][0] += 1
                per_rule[rule][1] += case.status == "confirmed"
    hours.sort()
    return {
        "cases": len(cases), "by_status": dict(by_status),
        "mean_hours_to_decision": round(sum(hours) / len(hours), 3) if hours else None,
        "median_hours_to_decision": round(hours[len(hours) // 2], 3) if hours else None,
        "confirm_rate_by_rule": {r: {"decided": d, "confirmed": c, "rate": round(c / d, 3)}
                                 for r, (d, c) in sorted(per_rule.items())},
    }


def count_open(session: Session) -> int:
    """Open and assigned cases waiting for a decision."""
    return repository.count_open(session)
