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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayfin.antifraud.decisions.service import decision_totals, latest_decisions
    from bayfin.antifraud.engine.engine import Decision
    from bayfin.antifraud.engine.events import FraudEvent
    from bayfin.antifraud.service import FraudService
    from bayfin.antifraud.wiring import FRAUD

__all__ = ["FRAUD", "Decision", "FraudEvent", "FraudService", "decision_totals", "latest_decisions"]

_SURFACE = {
    "FRAUD": "bayfin.antifraud.wiring",
    "Decision": "bayfin.antifraud.engine.engine",
    "FraudEvent": "bayfin.antifraud.engine.events",
    "FraudService": "bayfin.antifraud.service",
    "decision_totals": "bayfin.antifraud.decisions.service",
    "latest_decisions": "bayfin.antifraud.decisions.service",
}


def __getattr__(name: str) -> Any:
    """Resolve a surface name on first use (PEP 562)."""
    module = _SURFACE.get(name)
    if module is None:
        raise AttributeError(f"module 'bayfin.antifraud' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
