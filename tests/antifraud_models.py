"""Small models on the engine's own features, shared by the shadow-model tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bayfin.antifraud.engine.catalogue import load_catalogue
from bayfin.antifraud.engine.features import FeatureComputer
from bayfin.antifraud.engine.ruleset import RuleRegistry, load_ruleset
from bayfin.antifraud.engine.state import InMemoryStateStore
from bayfin.antifraud.learning.model import ModelRegistry, train_model
from tests.antifraud_events import event

NAMES = ["amount_yuan", "hour"]
RULES_HEADER = "name: t\nversion: '1'\nthresholds: {challenge: 30, review: 60, block: 90}\nwatch_score: 30\n"


def booster_flagging_amounts_over(yuan: float) -> Any:
    """A LightGBM model that calls fraud every transfer above ``yuan`` (learnt from 600 events)."""
    events = [event(i, amount_fen=int(v), minutes=i * 30)
              for i, v in enumerate(np.random.default_rng(1).uniform(1_000, 2_000_000, 600))]
    feats = list(FeatureComputer(load_catalogue()).stream(events, InMemoryStateStore()))
    x = np.array([[f[n] for n in NAMES] for f in feats], dtype=np.float32)
    return train_model(x, (x[:, 0] > yuan).astype(np.int8), NAMES, rounds=30)


def registry_with_two_models(root: Path) -> ModelRegistry:
    """v1 flags only transfers above 19,000 yuan; v2 flags those above 5,000 yuan."""
    registry = ModelRegistry(root)
    registry.register(booster_flagging_amounts_over(19_000), {"auc": 0.9}, source="test")
    registry.register(booster_flagging_amounts_over(5_000), {"auc": 0.9}, source="test")
    return registry


def quiet_rules(root: Path) -> RuleRegistry:
    """A rule set whose one rule never fires: the model alone moves the score."""
    rules = root / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "ruleset.yaml").write_text(RULES_HEADER)
    (rules / "t.yaml").write_text("typology: test\nrules:\n"
                                  "  - {id: NIGHT, when: 'hour < 0', score: 10, reason: NEVER}\n")
    return RuleRegistry(load_ruleset(rules), rules)
