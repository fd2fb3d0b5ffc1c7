"""Replay an event file through the engine: decisions, throughput, and how well they match labels."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.eventfile import event_from_row, read_rows
from bayfin.antifraud.engine.ruleset import Outcome


@dataclass
class ReplayReport:
    """What a replay did and how its decisions compare with the labels in the file."""

    events: int = 0
    rejected: int = 0
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=lambda: {o.name: 0 for o in Outcome})
    labelled_fraud: int = 0
    caught: int = 0  # labelled fraud decided REVIEW or BLOCK
    flagged: int = 0  # all REVIEW or BLOCK decisions
    challenged_fraud: int = 0
    amount_protected_fen: int = 0
    by_scenario: dict[str, list[int]] = field(default_factory=dict)  # scenario -> [events, caught]
    first_errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        """Events decided per second of wall time."""
        return self.events / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "events": self.events, "rejected": self.rejected, "seconds": round(self.seconds, 2),
            "events_per_second": round(self.per_second), "outcomes": self.outcomes,
            "labelled_fraud": self.labelled_fraud, "fraud_caught": self.caught,
            "fraud_challenged": self.challenged_fraud,
            "recall": round(self.caught / self.labelled_fraud, 4) if self.labelled_fraud else None,
            "precision": round(self.caught / self.flagged, 4) if self.flagged else None,
            "amount_protected_fen": self.amount_protected_fen,
            "by_scenario": {k: {"events": v[0], "caught": v[1]} for k, v in sorted(self.by_scenario.items())},
            "first_errors": self.first_errors,
        }


def replay(path: Path, engine: DecisionEngine, *, limit: int | None = None,
           on_decision: Callable[[Any], None] | None = None,
           progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Decide every event under ``path`` in time order; a malformed row is counted and skipped."""
    report = ReplayReport()
    started = time.perf_counter()
    for row in read_rows(path):
        if limit is not None and report.events + report.rejected >= limit:
            break
        try:
            event = event_from_row(row)
        except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            report.rejected += 1
            if len(report.first_errors) < 5:
                problems = str(exc).splitlines()[0]
                if isinstance(exc, ValidationError):
                    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                         for e in exc.errors())
                report.first_errors.append(f"{row.get('event_id')}: {problems}")
            continue
        decision = engine.decide(event)
        report.events += 1
        report.outcomes[decision.outcome.name] += 1
        report.amount_protected_fen += decision.amount_protected_fen
        flagged = decision.outcome >= Outcome.REVIEW
        report.flagged += flagged
        if row.get("is_fraud"):
            report.labelled_fraud += 1
            report.caught += flagged
            report.challenged_fraud += decision.outcome is Outcome.CHALLENGE
            counts = report.by_scenario.setdefault(row.get("scenario") or "unknown", [0, 0])
            counts[0] += 1
            counts[1] += flagged
        if on_decision is not None:
            on_decision(decision)
        if progress is not None and report.events % 5000 == 0:
            progress(5000)
    report.seconds = time.perf_counter() - started
    if progress is not None:
        progress(report.events % 5000)
    return report
