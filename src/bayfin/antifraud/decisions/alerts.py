"""Alerts: decisions that need an analyst although the engine did not hold them for review.

A REVIEW decision always becomes a case. Besides it, a decision raises an alert (and so a case with
the alert as its source) when it blocks a large amount, when it matched a block or watch list, or
when the shadow model disagrees strongly with the live one (a sign the new model sees something the
live one misses, or is broken). Other systems post their own alerts through ``POST /v1/fraud/cases``.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bayfin.antifraud.engine.engine import Decision
from bayfin.antifraud.engine.ruleset import Outcome

__all__ = ["ALERT_SOURCES", "AlertPolicy", "CaseSpec", "alerts_for", "case_for"]

#: Case sources: a REVIEW decision, the engine's own alerts, and alerts posted by another system.
ALERT_SOURCES = ("block_amount", "watchlist", "shadow", "alert")


@dataclass(frozen=True)
class AlertPolicy:
    """When a decision that is not REVIEW still opens a case."""

    block_amount_fen: int = 5_000_000  # a BLOCK of 50,000 yuan or more is looked at by a person
    shadow_disagreement: float = 0.5  # |live − shadow probability| at or above this is an alert


@dataclass(frozen=True)
class CaseSpec:
    """What a case opened for a decision holds."""

    source: str
    alerts: tuple[str, ...]

    def as_details(self) -> dict[str, Any]:
        """The alert entry's details (no customer data: sources only)."""
        return {"alerts": list(self.alerts)}


def alerts_for(decision: Decision, policy: AlertPolicy) -> tuple[str, ...]:
    """The alert sources this decision raises (empty when none)."""
    found: list[str] = []
    if decision.outcome is Outcome.BLOCK and decision.amount_fen >= policy.block_amount_fen:
        found.append("block_amount")
    if any(c.startswith(("LIST_BLOCK_", "LIST_WATCH_")) for c in decision.reason_codes):
        found.append("watchlist")
    verdict = decision.model
    if (verdict is not None and verdict.shadow_probability is not None
            and abs(verdict.probability - verdict.shadow_probability) >= policy.shadow_disagreement):
        found.append("shadow")
    return tuple(found)


def case_for(decision: Decision, policy: AlertPolicy) -> CaseSpec | None:
    """The case a decision opens: REVIEW decisions and alerts do; everything else does not."""
    alerts = alerts_for(decision, policy)
    if decision.outcome is Outcome.REVIEW:
        return CaseSpec("decision", alerts)
    if alerts:
        return CaseSpec(alerts[0], alerts)
    return None
