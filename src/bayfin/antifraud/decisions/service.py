"""Recording decisions: the database row of a decision, inline or through the batched writer, and
the announcement that a decision was recorded.

A recorded decision announces itself (:class:`DecisionRecorded`) to the listeners subscribed at
start-up (the cases side opens the case a held decision or an alert calls for). Listeners run in the
recording's own transaction, right after its rows are inserted and before the caller (the request,
the CLI, the worker or the batch writer) commits, so a decision and its case are committed, or
rolled back, together. This side never imports its listeners.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bayfin.antifraud.decisions import repository
from bayfin.antifraud.decisions.alerts import CaseSpec
from bayfin.antifraud.engine.engine import Decision
from bayfin.antifraud.models import FraudDecisionRecord
from bayfin.kernel.tenancy import TenantScope

__all__ = ["DecisionAnnouncer", "DecisionListener", "DecisionRecorded", "DecisionWriter", "decision_row",
           "decision_totals", "latest_decisions", "record_decision"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecisionRecorded:
    """A decision row was written; ``case`` is the case it calls for (None: no analyst needed)."""

    row: dict[str, Any]
    case: CaseSpec | None = None


#: Called with the recording's session and the decisions it just recorded, before that session commits.
DecisionListener = Callable[[Session, Sequence[DecisionRecorded]], None]


class DecisionAnnouncer:
    """The listeners of recorded decisions, subscribed at start-up (wiring)."""

    def __init__(self) -> None:
        self._listeners: list[DecisionListener] = []

    def subscribe(self, listener: DecisionListener) -> None:
        """Have ``listener`` told of every decision recorded from now on."""
        self._listeners.append(listener)

    def announce(self, session: Session, recorded: Sequence[DecisionRecorded]) -> None:
        """Tell every listener, in the order they subscribed, in the recording's transaction."""
        for listener in self._listeners:
            listener(session, recorded)


def decision_row(decision: Decision, institution_id: str | None, decided_at: datetime) -> dict[str, Any]:
    """The database row for a decision."""
    return {
        "event_id": decision.event_id, "occurred_at": datetime.fromtimestamp(decision.occurred_at, UTC),
        "decided_at": decided_at, "channel": decision.channel, "type": decision.type,
        "customer_id": decision.customer_id, "account_id": decision.account_id,
        "amount_fen": decision.amount_fen, "outcome": decision.outcome.name, "score": decision.score,
        "primary_typology": decision.primary_typology, "rules": [h.rule_id for h in decision.hits],
        "shadow_rules": [h.rule_id for h in decision.shadow_hits],
        "reason_codes": list(decision.reason_codes),
        "amount_protected_fen": decision.amount_protected_fen, "ruleset_version": decision.ruleset_version,
        "institution_id": institution_id, "elapsed_us": decision.elapsed_us,
        "details": _details(decision),
    }


def _details(decision: Decision) -> dict[str, Any]:
    details: dict[str, Any] = {"typologies": list(decision.typologies)}
    verdict = decision.model
    if verdict is not None:
        details["model"] = {"version": verdict.version, "probability": round(verdict.probability, 5),
                            "points": verdict.points}
        if verdict.shadow_probability is not None and decision.shadow_outcome is not None:
            details["shadow"] = {"version": verdict.shadow_version,
                                 "probability": round(verdict.shadow_probability, 5),
                                 "points": verdict.shadow_points, "outcome": decision.shadow_outcome.name}
    return details


def record_decision(session: Session, row: dict[str, Any], case: CaseSpec | None,
                    announcer: DecisionAnnouncer | None = None) -> None:
    """Insert a decision row and announce it (the cases side opens the case it calls for)."""
    repository.insert_decisions(session, [row])
    if announcer is not None:
        announcer.announce(session, [DecisionRecorded(row, case)])


class DecisionWriter:
    """Writes decision rows in batches on a background thread, off the request path.

    Nothing is dropped: a failed batch is retried (with a pause) until it is written, and ``close``
    drains the queue before returning. A crash of the whole process can lose what is still queued
    (at most about one batch interval); callers that cannot accept that use the inline mode.
    """

    def __init__(self, session_factory: Callable[[], Session], batch_size: int = 500,
                 interval: float = 0.2, announcer: DecisionAnnouncer | None = None) -> None:
        self._factory = session_factory
        self._announcer = announcer
        self._batch_size = batch_size
        self._interval = interval
        self._queue: queue.Queue[tuple[dict[str, Any], CaseSpec | None] | None] = queue.Queue()
        self.written = 0
        self.failures = 0
        self._thread = threading.Thread(target=self._run, name="fraud-decision-writer", daemon=True)
        self._thread.start()

    def submit(self, row: dict[str, Any], case: CaseSpec | None = None) -> None:
        """Queue one row (and the case it opens, if any)."""
        self._queue.put((row, case))

    def _write(self, items: list[tuple[dict[str, Any], CaseSpec | None]]) -> None:
        rows = [row for row, _case in items]
        while True:
            try:
                with self._factory() as session:
                    repository.insert_decisions(session, rows)
                    if self._announcer is not None:
                        self._announcer.announce(session, [DecisionRecorded(r, c) for r, c in items])
                    session.commit()
                self.written += len(rows)
                return
            except Exception:
                self.failures += 1
                log.exception("writing %d fraud decisions failed; retrying", len(rows))
                time.sleep(min(5.0, 0.2 * self.failures))

    def _run(self) -> None:
        stop = False
        while not stop:
            rows: list[tuple[dict[str, Any], CaseSpec | None]] = []
            try:
                item = self._queue.get(timeout=self._interval)
            except queue.Empty:
                continue
            deadline = time.monotonic() + self._interval
            while True:
                if item is None:
                    stop = True
                else:
                    rows.append(item)
                if stop or len(rows) >= self._batch_size:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            self._write(rows)
            for _ in range(len(rows) + (1 if stop else 0)):
                self._queue.task_done()

    def flush(self) -> None:
        """Block until every queued row is written."""
        self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()


def decision_totals(session: Session, scope: TenantScope, *, by: str = "typology",
                    since: datetime | None = None,
                    until: datetime | None = None) -> list[repository.DecisionTotal]:
    """Decisions and protected amounts per group (``by``: typology, outcome, rule or channel), in scope."""
    return repository.totals(session, by=by, since=since, until=until, scope=scope)


def latest_decisions(session: Session, scope: TenantScope, *, held_only: bool = False,
                     limit: int = 50) -> list[FraudDecisionRecord]:
    """The newest decisions in scope (only those held for review when ``held_only``)."""
    return repository.latest_decisions(session, scope, held_only=held_only, limit=limit)
