"""Real-time anti-fraud (网御, "net guard"): events are decided by an engine of features, rules, lists
and an optional model; decisions are recorded and announce themselves; held decisions and alerts
become analyst cases, whose outcomes label the history learning trains on.

Sub-packages, lowest first: ``engine`` (pure decision engine), ``decisions`` (recording, totals),
``cases`` (analyst queue), ``learning`` (models, backtests, shadow model). The module's edges
(``service``, ``wiring``, ``endpoints``, ``cli``, ``worker``, ``demo``) sit above them.

What other modules may use (resolved lazily, so importing the package stays cheap):
``FraudEvent`` (the validated event) and ``Decision`` (the engine's answer) for the token service's
risk check; ``FraudService`` and its platform key ``FRAUD``; ``decision_totals`` and
``latest_decisions`` for the web console.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.antifraud.decisions.service import decision_totals, latest_decisions
    from bayfin.antifraud.engine.engine import Decision
    from bayfin.antifraud.engine.events import FraudEvent
    from bayfin.antifraud.service import FraudService
    from bayfin.antifraud.wiring import FRAUD

_EXPORTS: dict[str, str] = {
    "FRAUD": ".wiring",
    "Decision": ".engine.engine",
    "FraudEvent": ".engine.events",
    "FraudService": ".service",
    "decision_totals": ".decisions.service",
    "latest_decisions": ".decisions.service",
}

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)

__all__ = ["FRAUD", "Decision", "FraudEvent", "FraudService", "decision_totals", "latest_decisions"]
