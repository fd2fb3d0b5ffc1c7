import json
import math

import numpy as np
import pytest

from bayfin.antifraud.engine.catalogue import load_catalogue
from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.features import FeatureComputer
from bayfin.antifraud.engine.ruleset import Outcome, RuleRegistry, load_ruleset
from bayfin.antifraud.engine.state import InMemoryStateStore
from bayfin.antifraud.learning.model import (
    CompiledModel,
    ModelRegistry,
    ModelScorer,
    average_precision,
    card_precision_at_k,
    known_compromised,
    prequential,
    roc_auc,
    train_model,
)
from tests.antifraud_events import event

HEADER = "name: t\nversion: '1'\nthresholds: {challenge: 30, review: 60, block: 90}\nwatch_score: 30\n"
NAMES = ["amount_yuan", "hour"]


def test_auc_and_average_precision_match_hand_computed_values():
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8])
    assert roc_auc(y, s) == pytest.approx(0.75)
    # ranked: .8 (tp) .4 (fp) .35 (tp) .1 → AP = 0.5*1 + 0.5*(2/3)
    assert average_precision(y, s) == pytest.approx(0.5 + 1 / 3)
    assert roc_auc(y, np.ones(4)) == pytest.approx(0.5)


def test_card_precision_counts_a_card_once_per_day_at_its_riskiest_transaction():
    day = np.array([0, 0, 0, 1])
    card = np.array([1, 1, 2, 1])
    y = np.array([0, 1, 0, 0])
    score = np.array([0.9, 0.1, 0.5, 0.2])
    # day 0: card 1 is fraudulent (one fraud tx) and top-1 ⇒ 1.0; day 1 ⇒ 0.0
    assert card_precision_at_k(day, card, y, score, k=1) == pytest.approx(0.5)


def test_a_card_caught_in_an_earlier_days_top_k_is_not_counted_again():
    # card 1 is fraudulent and riskiest on both days; card 2 is fraudulent on day 1 only
    day = np.array([0, 0, 1, 1])
    card = np.array([1, 2, 1, 2])
    y = np.array([1, 0, 1, 1])
    score = np.array([0.9, 0.1, 0.9, 0.5])
    # day 0: card 1 caught (1.0); day 1: card 1 is blocked already, card 2 is the top-1 (1.0)
    assert card_precision_at_k(day, card, y, score, k=1) == pytest.approx(1.0)
    # counted again, card 1 takes day 1's place too: no change here, but with card 2 clean ...
    y_clean2 = np.array([1, 0, 1, 0])
    assert card_precision_at_k(day, card, y_clean2, score, k=1) == pytest.approx(0.5)
    assert card_precision_at_k(day, card, y_clean2, score, k=1, remove_detected=False) == pytest.approx(1.0)


def test_a_fraud_makes_its_card_known_only_after_the_label_delay():
    day = np.array([0, 3, 4, 5, 5, 9])
    card = np.array(["a", "a", "a", "a", "b", "b"])
    y = np.array([1, 0, 0, 0, 1, 0])
    known = known_compromised(day, card, y, since_day=0, delay_days=3)
    # card a's fraud on day 0 is known from day 4 (0 < d - 3); card b's day-5 fraud from day 9
    assert known.tolist() == [False, False, True, True, False, True]
    # a fraud before since_day (here the fraud on day 0) does not count
    assert not known_compromised(day, card, y, since_day=1, delay_days=3)[:4].any()


def test_prequential_leaves_already_known_compromised_cards_out_of_the_test_block():
    x, y, day = _toy()
    card = np.arange(len(y)) % 1000  # each card once every 10 days
    seen: list[np.ndarray] = []
    folds, _ = prequential(x, y, day, ["big", "noise"], card=card, folds=2, rounds=10,
                           on_fold=lambda test, _s: seen.append(test))
    kept, _ = prequential(x, y, day, ["big", "noise"], card=card, folds=2, rounds=10, exclude_known=False)
    for fold, test, whole in zip(folds, seen, kept, strict=True):
        assert fold.known_excluded > 0 and fold.rows_test == whole.rows_test - fold.known_excluded
        assert int(test.sum()) == fold.rows_test
        t0 = fold.train_days[0]
        fraud_days = {c: [d for d, cc, yy in zip(day, card, y, strict=True) if cc == c and yy and d >= t0]
                      for c in set(card[test].tolist())}
        for d, c in zip(day[test], card[test], strict=True):  # no kept row's card had a fraud known by then
            assert not any(f < d - 7 for f in fraud_days[c])


def _toy(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (n, 2)).astype(np.float32)
    y = ((x[:, 0] > 70) & (rng.uniform(size=n) < 0.9)).astype(np.int8)
    day = np.arange(n) // (n // 40)
    return x, y, day


def test_the_compiled_model_scores_exactly_as_lightgbm_and_explains_with_its_splits():
    x, y, _ = _toy()
    x[::7, 1] = np.nan  # missing values follow the default direction
    booster = train_model(x, y, ["big", "noise"], rounds=30)
    model = CompiledModel.from_booster(booster)
    expected = booster.predict(x[:200])
    got = [model.predict([None if math.isnan(v) else v for v in row]) for row in x[:200]]
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    probability, top = model.explain({"big": 95.0, "noise": 10.0})
    assert probability > 0.5 and top[0][0] == "big"
    contrib = booster.predict(np.array([[95.0, 10.0]]), pred_contrib=True)[0]
    assert contrib[0] > abs(contrib[1])  # LightGBM's SHAP agrees that "big" drives the score


def test_prequential_folds_leave_the_label_delay_between_training_and_test():
    x, y, day = _toy()
    folds, booster = prequential(x, y, day, ["big", "noise"], train_days=7, delay_days=7, test_days=7,
                                 folds=3, rounds=20)
    assert len(folds) == 3 and booster is not None
    for f in folds:
        assert f.test_days[0] - f.train_days[1] == 7
        assert f.auc > 0.85
    assert folds[1].train_days[0] == folds[0].train_days[0] + 7


def test_a_registered_model_is_live_only_after_promotion_and_can_be_shadowed(tmp_path):
    x, y, _ = _toy()
    reg = ModelRegistry(tmp_path)
    v1 = reg.register(train_model(x, y, ["big", "noise"], rounds=5), {"auc": 0.9}, source="toy")
    v2 = reg.register(train_model(x, y, ["big", "noise"], rounds=10), {"auc": 0.91}, source="toy")
    assert (v1, v2) == (1, 2) and reg.live() is None
    reg.promote(v1)
    reg.set_shadow(v2)
    assert [v["status"] for v in reg.versions()] == ["live", "shadow"]
    assert reg.live() is not None and reg.shadow() is not None
    with pytest.raises(ValueError):
        reg.remove(v1)
    reg.promote(v2)
    assert [v["status"] for v in reg.versions()] == ["registered", "live"]
    with pytest.raises(KeyError):
        reg.promote(9)
    assert json.loads((tmp_path / "v2" / "meta.json").read_text())["features"] == ["big", "noise"]


def _engine_features(events):
    return list(FeatureComputer(load_catalogue()).stream(events, InMemoryStateStore()))


def test_offline_features_equal_the_features_the_engine_decides_on(tmp_path):
    events = [event(i, amount_fen=10_000 * (i + 1), minutes=i * 7) for i in range(30)]
    offline = _engine_features(events)
    engine = _engine(tmp_path, None)
    online = [engine.decide(e).features for e in events]
    assert offline == online


def _engine(tmp_path, scorer):
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "ruleset.yaml").write_text(HEADER)
    (rules / "t.yaml").write_text("typology: test\nrules:\n"
                                  "  - {id: NIGHT, when: 'hour < 0', score: 10, reason: NEVER}\n")
    return DecisionEngine(RuleRegistry(load_ruleset(rules), rules), model=scorer)


def _scorer_on_engine_features():
    events = [event(i, amount_fen=int(v), minutes=i * 30)
              for i, v in enumerate(np.random.default_rng(1).uniform(1_000, 2_000_000, 600))]
    feats = _engine_features(events)
    x = np.array([[f[n] for n in NAMES] for f in feats], dtype=np.float32)
    y = (x[:, 0] > 15_000).astype(np.int8)
    return ModelScorer(CompiledModel.from_booster(train_model(x, y, NAMES, rounds=30)), version=1)


def test_the_model_score_raises_the_decision_and_names_its_top_features(tmp_path):
    engine = _engine(tmp_path, _scorer_on_engine_features())
    small = engine.decide(event(1, amount_fen=100_000))
    big = engine.decide(event(2, amount_fen=1_900_000, minutes=5))
    assert small.outcome is Outcome.ALLOW and "MODEL_HIGH_RISK" not in small.reason_codes
    assert big.outcome >= Outcome.REVIEW and "MODEL_HIGH_RISK" in big.reason_codes
    shown = big.as_dict()["model"]
    assert shown["version"] == 1 and shown["top_features"][0]["feature"] == "amount_yuan"


def test_a_failing_model_leaves_the_decision_to_the_rules(tmp_path):
    scorer = _scorer_on_engine_features()
    scorer.live.feature_names = ["amount_yuan", "channel"]  # a text feature cannot be scored
    d = _engine(tmp_path, scorer).decide(event(3, amount_fen=1_900_000))
    assert d.model is None and d.model_failed and d.outcome is Outcome.ALLOW
