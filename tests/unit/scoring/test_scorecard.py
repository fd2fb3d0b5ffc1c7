"""The scorecard's arithmetic, reasons and metrics, on small synthetic data."""

import numpy as np
import polars as pl
import pytest

from bayfin.scoring.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from bayfin.scoring.metrics import auc, ks, psi, score_edges
from bayfin.scoring.model import fit_model
from bayfin.scoring.scorecard import CompiledVariable, Scorecard


def synthetic(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n)
    data = {"credit_code": [f"{i:018d}" for i in range(n)]}
    for name in NUMERIC_FEATURES:
        data[name] = rng.normal(size=n)
    data["tax_grade"] = np.clip(np.round(2 - quality + rng.normal(0, 0.5, n)), 0, 4)
    data["log_tax_paid"] = 3 + quality + rng.normal(0, 0.5, n)
    data["industry_code"] = rng.choice(["C39", "F51", "K70"], size=n)
    data["city_code"] = rng.choice(["440100", "440600"], size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(2.5 + 1.5 * quality))).astype(np.int64)
    return pl.DataFrame(data), y


def test_auc_ks_and_psi_agree_with_hand_worked_values():
    y = np.array([0, 0, 1, 1])
    assert auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert auc(y, np.array([0.1, 0.2, 0.3, 0.4])) == 1.0
    assert ks(y, np.array([0.1, 0.2, 0.3, 0.4])) == 1.0
    x = np.random.default_rng(0).normal(size=5000)
    edges = score_edges(x)
    assert psi(x, x, edges) == pytest.approx(0.0, abs=1e-9)
    assert psi(x, x + 1.0, edges) > 0.25


def test_points_follow_pdo_doubling_the_odds_adds_pdo_points():
    var = CompiledVariable("v", False, splits=[0.0], woe=[-1.0, 1.0, 0.0], coef=-1.0)
    card = Scorecard([var], intercept=0.0, pdo=20.0, base_score=600.0, base_odds=50.0)
    scores, _ = card.score_points({"v": np.array([-1.0, 1.0, np.nan])})
    # logit difference between the two bins is 2 (coef × ΔWoE), i.e. odds × e²
    assert scores[1] - scores[0] == pytest.approx(20.0 / np.log(2) * 2.0)
    assert card.probability(np.array([card.offset]))[0] == pytest.approx(0.5)


def test_a_fitted_model_ranks_defaulters_lower_and_names_their_weak_points():
    features, y = synthetic()
    model = fit_model(features, y, challenger=False)
    frame = model.score_frame(features)
    assert auc(y, -frame["score"].to_numpy()) > 0.75
    worst = frame.sort("score").row(0, named=True)
    assert set(worst["reasons"]) & {"tax_grade", "log_tax_paid"}
    assert len(model.band_pd) == len(model.band_edges) + 1
    assert model.band_pd[0] > model.band_pd[-1]  # band 0 is the lowest scores


def test_categories_unseen_in_training_fall_into_the_missing_bin():
    features, y = synthetic(1500)
    model = fit_model(features, y, challenger=False)
    odd = features.head(1).with_columns(pl.lit("Z99").alias("industry_code"))
    assert model.score_frame(odd).height == 1
    assert set(CATEGORICAL_FEATURES) <= set(features.columns)
