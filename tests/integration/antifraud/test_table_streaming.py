"""A bank's own table is trained fold window by fold window and scored in batches, never read whole."""

import json
from datetime import UTC, datetime, timedelta

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from bayfin.antifraud.learning.model import (
    average_precision,
    card_precision_at_k,
    prequential,
    roc_auc,
    train_model,
)
from bayfin.antifraud.learning.training import prequential_table, read_table, score_table, table_features
from bayfin.cli.main import app

START = datetime(2025, 1, 1, tzinfo=UTC)
FOLDS = {"start_day": 0, "train_days": 7, "delay_days": 7, "test_days": 7, "folds": 4, "rounds": 20}


def _history(n: int, days: int, seed: int = 0) -> pl.DataFrame:
    """Labelled card payments over ``days`` days, in no particular order (as an export may come)."""
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(5, 1, n)
    night = rng.integers(0, 2, n)
    fraud = ((amount > 400) & (night == 1) & (rng.uniform(size=n) < 0.8)).astype(int)
    seconds = rng.integers(0, days * 86_400, n)
    return pl.DataFrame({
        "ts": [START + timedelta(seconds=int(s)) for s in seconds],
        "seconds": int(START.timestamp()) + seconds,
        "amount": amount, "night": night, "hour": (seconds % 86_400) // 3600,
        "card": rng.integers(0, 150, n), "is_fraud": fraud, "note": ["x"] * n,
    })


def _write(frame: pl.DataFrame, path, time: str) -> None:
    other = "seconds" if time == "ts" else "ts"  # the other time column is not a feature either
    frame = frame.drop(other)
    if path.suffix == ".parquet":
        frame.write_parquet(path, row_group_size=500)  # many row groups, as a large export has
    else:
        frame.write_csv(path)


def _in_memory(path, time: str, card: str | None = "card"):
    whole = read_table(path, "is_fraud", time, card)
    return whole, prequential(whole.x, whole.y, whole.day, whole.names, card=whole.card, **FOLDS)


@pytest.mark.parametrize(("name", "time"), [("history.parquet", "seconds"), ("history.csv", "ts")],
                         ids=["parquet in row groups, time in seconds", "csv, time as datetime"])
def test_training_window_by_window_gives_the_folds_of_the_whole_table_in_memory(tmp_path, name, time):
    path = tmp_path / name
    _write(_history(6000, 40), path, time)
    whole, (expected, _model) = _in_memory(path, time)
    folds, booster, info = prequential_table(path, "is_fraud", time, "card", **FOLDS)
    assert len(folds) == len(expected) == 4 and booster is not None
    assert sum(f.known_excluded for f in folds) > 0  # the known-compromised cards are left out too
    for got, want in zip(folds, expected, strict=True):
        assert (got.train_days, got.test_days, got.rows_train, got.rows_test, got.known_excluded) == (
            want.train_days, want.test_days, want.rows_train, want.rows_test, want.known_excluded)
        assert got.auc == pytest.approx(want.auc)
        assert got.average_precision == pytest.approx(want.average_precision)
        assert got.card_precision_at_100 == pytest.approx(want.card_precision_at_100)
    assert info.rows == len(whole.y) and info.names == whole.names == ["amount", "night", "hour"]
    assert info.fraud_share == pytest.approx(float(np.mean(whole.y)))


def test_only_the_rows_of_each_fold_window_are_collected(tmp_path):
    path = tmp_path / "history.parquet"
    _write(_history(12_000, 120), path, "seconds")
    whole = read_table(path, "is_fraud", "seconds")
    collected: list[int] = []
    folds, _booster, _info = prequential_table(path, "is_fraud", "seconds", on_window=collected.append,
                                               **{**FOLDS, "folds": 3, "start_day": 30})
    assert len(folds) == 3
    # each window spans its 21 days (train, delay, test) out of 120: its rows, and no others
    assert collected == [int(((whole.day >= 30 + 7 * i) & (whole.day < 51 + 7 * i)).sum()) for i in range(3)]
    assert all(rows < len(whole.y) / 4 for rows in collected)


def test_training_stops_at_the_first_fold_the_table_has_no_test_days_for(tmp_path):
    path = tmp_path / "history.parquet"
    _write(_history(3000, 28), path, "seconds")
    collected: list[int] = []
    folds, _booster, _info = prequential_table(path, "is_fraud", "seconds", on_window=collected.append,
                                               **{**FOLDS, "folds": 10})
    _whole, (expected, _model) = _in_memory(path, "seconds", card=None)
    assert len(folds) == len(expected) == 2  # days 14–20 and 21–27 are tested, 28–34 is beyond the end
    assert len(collected) == 3


def test_scoring_in_batches_gives_the_figures_of_scoring_the_whole_table(tmp_path):
    path = tmp_path / "history.csv"
    _write(_history(4000, 30), path, "ts")
    whole = read_table(path, "is_fraud", "ts", "card")
    booster = train_model(whole.x, whole.y, whole.names, rounds=20)
    batches: list[int] = []
    scored = score_table(path, "is_fraud", "ts", booster.predict, "card", batch_rows=500,
                         on_batch=batches.append)
    assert len(batches) == 8 and max(batches) == 500  # never more than one batch of features at a time
    score = booster.predict(whole.x)
    assert np.sort(scored.score) == pytest.approx(np.sort(score))
    assert roc_auc(scored.y, scored.score) == pytest.approx(roc_auc(whole.y, score))
    assert average_precision(scored.y, scored.score) == pytest.approx(average_precision(whole.y, score))
    assert card_precision_at_k(scored.day, scored.card, scored.y, scored.score) == pytest.approx(
        card_precision_at_k(whole.day, whole.card, whole.y, score))


def test_a_parquet_table_trains_and_evaluates_from_the_command_line_as_in_memory(tmp_path):
    path = tmp_path / "history.parquet"
    _write(_history(6000, 40), path, "seconds")
    registry = tmp_path / "models"
    runner = CliRunner()
    common = ["--table", str(path), "--label", "is_fraud", "--time", "seconds", "--card", "card",
              "--registry", str(registry)]
    r = runner.invoke(app, ["fraud", "train", *common, "--rounds", "20", "--json"])
    assert r.exit_code == 0, r.output
    trained = json.loads(r.output)
    whole, (expected, _model) = _in_memory(path, "seconds")
    assert {"folds", "auc", "average_precision", "card_precision_at_100", "rows", "fraud_share", "features",
            "seconds", "per_fold", "version"} <= trained.keys()
    assert trained["rows"] == len(whole.y) and trained["features"] == 3
    assert [f["auc"] for f in trained["per_fold"]] == [round(f.auc, 4) for f in expected]
    assert runner.invoke(app, ["fraud", "models", "promote", "1", "--registry", str(registry)]).exit_code == 0
    r = runner.invoke(app, ["fraud", "evaluate", *common, "--json"])
    assert r.exit_code == 0, r.output
    evaluated = json.loads(r.output)
    score = lgb.Booster(model_file=str(registry / "v1" / "model.txt")).predict(whole.x)
    assert evaluated["rows"] == len(whole.y)
    assert evaluated["auc"] == round(roc_auc(whole.y, score), 4)
    assert evaluated["average_precision"] == round(average_precision(whole.y, score), 4)


def test_a_table_whose_features_differ_from_the_model_is_refused(tmp_path):
    path = tmp_path / "history.parquet"
    _write(_history(3000, 30), path, "seconds")
    registry = tmp_path / "models"
    runner = CliRunner()
    common = ["--label", "is_fraud", "--time", "seconds", "--registry", str(registry)]
    assert runner.invoke(app, ["fraud", "train", "--table", str(path), *common, "--folds", "1",
                               "--rounds", "5"]).exit_code == 0
    assert runner.invoke(app, ["fraud", "models", "promote", "1", "--registry", str(registry)]).exit_code == 0
    other = tmp_path / "other.parquet"
    pl.read_parquet(path).with_columns(pl.lit(1.0).alias("velocity")).write_parquet(other)
    assert table_features(other, "is_fraud", "seconds") == ["amount", "night", "hour", "card", "velocity"]
    r = runner.invoke(app, ["fraud", "evaluate", "--table", str(other), *common])
    assert r.exit_code == 2 and "differ" in r.output
    r = runner.invoke(app, ["fraud", "evaluate", "--table", str(other), *common, "--card", "chargeback"])
    assert r.exit_code == 2 and "chargeback" in r.output
