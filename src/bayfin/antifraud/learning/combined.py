"""Rules + model, evaluated together on the handbook profile as the live engine combines them.

The live engine adds the model's points to the rule score (``ModelScorer.points``: 30/60/100 points
at probability 0.3/0.6/0.9) and takes the outcome of the total at the rule set's thresholds, never
below what a rule's own action demands. Here, for each prequential fold (the same folds as
``bayfin fraud train``), the model is trained on the handbook features and scores the test week;
the shipped rule set scores the same transactions, replayed as card-present purchases
(``terminal.card.pos_chip``) through the engine's feature definitions (the vectorised pass); and
three rankings are measured on the same rows with the field's metrics:

- model only: the probability;
- rules only: the rule score (ties are many: most rows score 0);
- rules + model: the engine's total score, ties broken by the probability (it never moves a row
  across a point, since points are whole numbers and the probability is below 1).

Decision figures (precision and recall of REVIEW-or-worse) are given for rules alone and combined.
Test blocks leave out the cards already known to be compromised, as the handbook does (see
``learning.known_compromised``). With ``engine_features`` the model learns from the handbook's
features and the engine's own numeric features of the same events side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bayfin.antifraud.engine.ruleset import Outcome, RuleSet, load_ruleset
from bayfin.antifraud.learning.backtest import rule_scores
from bayfin.antifraud.learning.model import (
    MODEL_BANDS,
    average_precision,
    card_precision_at_k,
    prequential,
    roc_auc,
    select_params,
)
from bayfin.antifraud.learning.training import handbook_features
from bayfin.antifraud.learning.vectorised import vectorised_features

__all__ = ["engine_feature_matrix", "evaluate_combined", "handbook_events"]

POS_TYPE = "terminal.card.pos_chip"


def handbook_events(transactions: Path, until_day: int | None = None) -> Any:
    """The handbook's transactions as engine events (flat rows), ordered like ``handbook_features``."""
    import polars as pl

    lf = pl.scan_parquet(transactions)
    if until_day is not None:
        lf = lf.filter(pl.col("TX_TIME_DAYS") < until_day)
    return lf.sort("TX_DATETIME", "TRANSACTION_ID").select(
        ("hb-" + pl.col("TRANSACTION_ID").cast(pl.Utf8)).alias("event_id"),
        pl.col("TX_DATETIME").alias("occurred_at"), pl.lit("terminal").alias("channel"),
        pl.lit(POS_TYPE).alias("type"), ("C" + pl.col("CUSTOMER_ID").cast(pl.Utf8)).alias("customer_id"),
        ("A" + pl.col("CUSTOMER_ID").cast(pl.Utf8)).alias("account_id"),
        pl.col("TX_AMOUNT_FEN").cast(pl.Int64).alias("amount_fen"),
        ("K" + pl.col("CUSTOMER_ID").cast(pl.Utf8)).alias("card_pan_hash"),
        pl.lit(True).alias("card_present"),
        ("T" + pl.col("TERMINAL_ID").cast(pl.Utf8)).alias("merchant_id"),
        (pl.col("TX_FRAUD") == 1).alias("is_fraud"), pl.col("TRANSACTION_ID"),
    ).collect()


def engine_feature_matrix(features: Any) -> tuple[np.ndarray, list[str]]:
    """The engine's numeric and boolean features of a ``vectorised_features`` frame as float32 columns."""
    import polars as pl

    names = [c for c, kind in features.schema.items()
             if not c.startswith("_") and (kind.is_numeric() or kind == pl.Boolean)]
    return features.select(pl.col(c).cast(pl.Float32) for c in names).to_numpy(), names


def _metrics(y: np.ndarray, day: np.ndarray, card: np.ndarray, score: np.ndarray) -> dict[str, float]:
    return {"auc": roc_auc(y, score), "average_precision": average_precision(y, score),
            "card_precision_at_100": card_precision_at_k(day, card, y, score)}


def _decisions(y: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    caught = int((flagged & y).sum())
    return {"flagged": int(flagged.sum()), "caught": caught,
            "precision": round(caught / int(flagged.sum()), 4) if flagged.any() else None,
            "recall": round(caught / int(y.sum()), 4) if y.any() else None}


def evaluate_combined(handbook: Path, *, ruleset: RuleSet | None = None, start_day: int = 115,
                      train_days: int = 7, delay_days: int = 7, test_days: int = 7, folds: int = 4,
                      rounds: int = 200, engine_features: bool = False, select: bool = False,
                      scorer_bands: tuple[tuple[float, int], ...] | None = None) -> dict[str, Any]:
    """Per fold and mean: model only, rules only and rules + model (the engine's total) on the same rows.

    With ``select`` the model's hyper-parameters are first chosen on validation folds before the
    test folds (``learning.select_params``)."""
    ruleset = ruleset or load_ruleset()
    table = handbook_features(handbook / "transactions.parquet", delay_days)
    last_day = start_day + (folds - 1) * test_days + train_days + delay_days + test_days
    selection: dict[str, Any] | None = None
    events = handbook_events(handbook / "transactions.parquet", until_day=last_day)
    features = vectorised_features(events.drop("TRANSACTION_ID"))
    rows = events.height
    assert table.ids is not None and np.array_equal(table.ids[:rows], events["TRANSACTION_ID"].to_numpy())
    rule_score_s, rule_outcome_s = rule_scores(features, ruleset)
    rule_score = rule_score_s.to_numpy().astype(np.int64)
    rule_outcome = rule_outcome_s.to_numpy().astype(np.int64)
    x, names = table.x[:rows], list(table.names)
    if engine_features:
        engine_x, engine_names = engine_feature_matrix(features)
        x, names = np.hstack([x, engine_x]), names + [f"engine.{n}" for n in engine_names]
    y_all, day_all = table.y[:rows], table.day[:rows]
    card_all = table.card[:rows] if table.card is not None else None
    params = None
    if select:
        params, trials = select_params(x, y_all, day_all, names, card=card_all, start_day=start_day,
                                       train_days=train_days, delay_days=delay_days, test_days=test_days,
                                       folds=folds, rounds=rounds)
        tuned = sorted({k for t in trials for k in t["params"]})
        selection = {"chosen": {k: params[k] for k in tuned if k in params}, "trials": trials}
    bands = scorer_bands or MODEL_BANDS
    thresholds = ruleset.thresholds
    per_fold: list[dict[str, Any]] = []

    def fold(test: np.ndarray, probability: np.ndarray) -> None:
        y = y_all[test].astype(bool)
        day, card = day_all[test], card_all[test] if card_all is not None else day_all[test]
        points = np.select([probability >= floor for floor, _pts in bands],
                           [np.full(len(probability), pts) for _f, pts in bands], 0)
        total = rule_score[test] + points
        outcome = np.maximum(rule_outcome[test], np.select(
            [total >= thresholds.block, total >= thresholds.review, total >= thresholds.challenge],
            [np.full(len(total), v) for v in (3, 2, 1)], 0))
        days = (int(day.min()), int(day.max()) + 1)
        per_fold.append({
            "test_days": list(days), "rows": int(test.sum()), "fraud": int(y.sum()),
            "model": _metrics(y, day, card, probability),
            "rules": _metrics(y, day, card, rule_score[test].astype(np.float64)),
            "combined": _metrics(y, day, card, total + probability),
            "rules_decisions": _decisions(y, rule_outcome[test] >= int(Outcome.REVIEW)),
            "combined_decisions": _decisions(y, outcome >= int(Outcome.REVIEW)),
            "rule_hits": int((rule_score[test] > 0).sum()),
        })

    results, _booster = prequential(x, y_all, day_all, names, card=card_all, start_day=start_day,
                train_days=train_days, delay_days=delay_days, test_days=test_days, folds=folds, rounds=rounds,
                params=params, on_fold=fold)
    for f, result in zip(per_fold, results, strict=True):
        f["known_excluded"] = result.known_excluded
    mean: dict[str, Any] = {}
    for kind in ("model", "rules", "combined"):
        mean[kind] = {m: round(float(np.mean([f[kind][m] for f in per_fold])), 4) for m in per_fold[0][kind]}
        mean[kind].update({f"{m}_std": round(float(np.std([f[kind][m] for f in per_fold])), 4)
                           for m in per_fold[0][kind]})
    for f in per_fold:
        for kind in ("model", "rules", "combined"):
            f[kind] = {m: round(v, 4) for m, v in f[kind].items()}
    return {"ruleset": ruleset.version, "rules": len(ruleset.rules), "bands": [list(b) for b in bands],
            "features": len(names), "train_days": train_days, "rows_replayed": rows, "selection": selection,
            "folds": per_fold, "mean": mean}
