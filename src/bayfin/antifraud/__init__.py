"""Real-time anti-fraud decision engine (网御, "net guard"): events, features, rules, decisions.

The public surface other modules (and the learning/backtest work built on it) use:
``FraudEvent`` (the validated event), ``FeatureComputer`` (one feature definition for online and
offline use), ``DecisionEngine`` and ``Decision``.
"""

from bayfin.antifraud.catalogue import Catalogue, TransactionType, load_catalogue
from bayfin.antifraud.engine import Decision, DecisionEngine
from bayfin.antifraud.events import FraudEvent
from bayfin.antifraud.features import FEATURE_DEFAULTS, FeatureComputer
from bayfin.antifraud.ruleset import Outcome
from bayfin.antifraud.state import InMemoryStateStore, RedisStateStore, StateStore

__all__ = [
    "FEATURE_DEFAULTS", "Catalogue", "Decision", "DecisionEngine", "FeatureComputer", "FraudEvent",
    "InMemoryStateStore", "Outcome", "RedisStateStore", "StateStore", "TransactionType",
    "load_catalogue",
]
