"""Real-time anti-fraud decision engine (网御, "net guard"): events, features, rules, decisions.

The public surface other modules (and the learning/backtest work built on it) use:
``FraudEvent`` (the validated event), ``FeatureComputer`` (one feature definition for online and
offline use), ``DecisionEngine`` and ``Decision``.
"""

from bayfin.antifraud.engine.catalogue import Catalogue, TransactionType, load_catalogue
from bayfin.antifraud.engine.engine import Decision, DecisionEngine
from bayfin.antifraud.engine.events import FraudEvent
from bayfin.antifraud.engine.features import FEATURE_DEFAULTS, FeatureComputer
from bayfin.antifraud.engine.ruleset import Outcome
from bayfin.antifraud.engine.state import InMemoryStateStore, RedisStateStore, StateStore

__all__ = [
    "FEATURE_DEFAULTS", "Catalogue", "Decision", "DecisionEngine", "FeatureComputer", "FraudEvent",
    "InMemoryStateStore", "Outcome", "RedisStateStore", "StateStore", "TransactionType",
    "load_catalogue",
]
