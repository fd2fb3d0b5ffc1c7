from dataclasses import replace

import pytest

from bayfin.antifraud.decisions.alerts import AlertPolicy, alerts_for, case_for
from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.ruleset import Outcome
from bayfin.antifraud.learning.shadow import ModelWatcher
from tests.antifraud_events import event
from tests.antifraud_models import quiet_rules, registry_with_two_models


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return registry_with_two_models(tmp_path_factory.mktemp("models"))


def _engine(tmp_path, registry):
    engine = DecisionEngine(quiet_rules(tmp_path))
    watcher = ModelWatcher(registry, engine, reload_seconds=0)
    return engine, watcher


def test_the_shadow_model_is_scored_on_every_event_but_never_changes_the_decision(tmp_path, models):
    models.promote(1)
    models.set_shadow(None)
    engine, watcher = _engine(tmp_path, models)
    watcher.check()
    alone = engine.decide(event(1, amount_fen=1_500_000))
    models.set_shadow(2)
    watcher.check()
    shadowed = engine.decide(event(2, amount_fen=1_500_000, minutes=5))
    assert alone.model is not None and alone.model.shadow_probability is None and alone.shadow_outcome is None
    assert shadowed.outcome is alone.outcome is Outcome.ALLOW
    assert shadowed.model is not None and shadowed.model.shadow_probability > 0.9
    assert shadowed.shadow_outcome is Outcome.BLOCK  # what v2 would have done in v1's place


def test_the_watcher_loads_live_and_shadow_models_only_when_the_registry_changes(tmp_path, models):
    models.set_shadow(None)
    models.promote(1)
    engine, watcher = _engine(tmp_path, models)
    assert watcher.check() and engine.model is not None and engine.model.version == 1
    assert not watcher.check()  # nothing changed: nothing reloaded
    models.set_shadow(2)
    assert watcher.check() and engine.model.shadow_version == 2
    assert watcher.promote_shadow() == 2
    assert engine.model.version == 2 and engine.model.shadow is None
    models.set_shadow(None)
    with pytest.raises(LookupError):
        watcher.promote_shadow()


def test_a_large_block_a_watch_list_hit_and_a_shadow_disagreement_each_raise_an_alert(tmp_path, models):
    models.promote(1)
    models.set_shadow(2)
    engine, watcher = _engine(tmp_path, models)
    watcher.check()
    policy = AlertPolicy(block_amount_fen=1_000_000, shadow_disagreement=0.5)
    disagreed = engine.decide(event(1, amount_fen=1_500_000))
    assert alerts_for(disagreed, policy) == ("shadow",)
    assert case_for(disagreed, policy).source == "shadow"
    quiet = engine.decide(event(2, amount_fen=50_000, minutes=3))
    assert alerts_for(quiet, policy) == () and case_for(quiet, policy) is None
    blocked = replace(quiet, outcome=Outcome.BLOCK, amount_fen=2_000_000)
    assert alerts_for(blocked, policy) == ("block_amount",)
    watched = replace(quiet, reason_codes=("LIST_WATCH_DEVICE",))
    assert alerts_for(watched, policy) == ("watchlist",)
    held = replace(disagreed, outcome=Outcome.REVIEW)
    spec = case_for(held, policy)
    assert spec.source == "decision" and spec.alerts == ("shadow",)  # a held decision keeps its alerts
