"""Feature tables for learning: the handbook profile's transactions, and a bank's own labelled table.

Training and evaluating never read a bank's table (CSV or Parquet, every numeric column a feature)
whole. It is scanned lazily (``polars.scan_*``) and consumed by the streaming engine: the day
origin, the row count and the fraud share are streaming aggregations; ``prequential_table`` then
collects, for each prequential fold, only the rows of that fold's window (training block,
label-delay gap and test block), sorted by time, and ``score_table`` scores the table in batches of
rows. Each fold reads the file once more (``folds + 1`` passes in all). What must fit in memory is
one fold window's rows as float32 features, about twice over at the peak (``learning.prequential``
copies the window's training and test blocks out for LightGBM), and, when evaluating, four small
arrays over every row (score, label, day, card) but not the features.

``read_table`` still collects a whole table, for tables that fit; the handbook features are computed
in memory by design (their rolling windows need each customer's and terminal's history).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import polars as pl

    from bayfin.antifraud.learning.model import FoldResult

__all__ = ["FeatureTable", "ScoredTable", "TableInfo", "handbook_features", "prequential_table",
           "read_table", "score_table", "table_features"]

WINDOWS = (1, 7, 30)
DELAY_DAYS = 7


@dataclass
class FeatureTable:
    """Rows ready for training: features, labels, day number and (optionally) a card id."""

    x: np.ndarray
    y: np.ndarray
    day: np.ndarray
    names: list[str]
    card: np.ndarray | None = None
    ids: np.ndarray | None = None  # the rows' transaction ids, where the table has them


def handbook_features(transactions: Path, delay_days: int = DELAY_DAYS) -> FeatureTable:
    """The handbook's feature transformations (chapter 3.4) computed with polars rolling windows.

    Per customer, the count and mean amount over the last 1/7/30 days (this transaction included);
    per terminal, the count and fraud share over 1/7/30 days ending ``delay_days`` before the
    transaction, since the labels of the last week are not known yet.
    """
    import polars as pl

    lf = pl.scan_parquet(transactions).select(
        "TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_TIME_DAYS", "TX_FRAUD"
    ).sort("TX_DATETIME", "TRANSACTION_ID").with_columns(
        (pl.col("TX_DATETIME").dt.weekday() >= 6).cast(pl.Int8).alias("TX_DURING_WEEKEND"),
        (pl.col("TX_DATETIME").dt.hour() < 6).cast(pl.Int8).alias("TX_DURING_NIGHT"),
    )
    frame = lf.with_columns(pl.lit(1, pl.Int32).alias("_one")).collect()
    t = "TX_DATETIME"
    names = ["TX_AMOUNT", "TX_DURING_WEEKEND", "TX_DURING_NIGHT"]
    exprs = []
    for w in WINDOWS:
        span, late = f"{w}d", f"{delay_days + w}d"
        exprs += [
            pl.col("_one").rolling_sum_by(t, span).over("CUSTOMER_ID").alias(f"CUSTOMER_NB_TX_{w}D"),
            pl.col("TX_AMOUNT").rolling_mean_by(t, span).over("CUSTOMER_ID")
            .alias(f"CUSTOMER_AVG_AMOUNT_{w}D"),
            # the terminal window (t - delay - w, t - delay]: the sum to t minus the sum of the delay
            (pl.col("_one").rolling_sum_by(t, late) - pl.col("_one").rolling_sum_by(t, f"{delay_days}d"))
            .over("TERMINAL_ID").alias(f"TERMINAL_NB_TX_{w}D"),
            (pl.col("TX_FRAUD").cast(pl.Int32).rolling_sum_by(t, late)
             - pl.col("TX_FRAUD").cast(pl.Int32).rolling_sum_by(t, f"{delay_days}d"))
            .over("TERMINAL_ID").alias(f"_TERMINAL_FRAUD_{w}D"),
        ]
        names += [f"CUSTOMER_NB_TX_{w}D", f"CUSTOMER_AVG_AMOUNT_{w}D", f"TERMINAL_NB_TX_{w}D",
                  f"TERMINAL_RISK_{w}D"]
    frame = frame.with_columns(exprs).with_columns(
        (pl.col(f"_TERMINAL_FRAUD_{w}D") / pl.col(f"TERMINAL_NB_TX_{w}D")).fill_nan(0.0).fill_null(0.0)
        .alias(f"TERMINAL_RISK_{w}D") for w in WINDOWS)
    x = frame.select(names).cast(pl.Float32).to_numpy()
    return FeatureTable(x, frame["TX_FRAUD"].to_numpy().astype(np.int8),
                        frame["TX_TIME_DAYS"].to_numpy().astype(np.int64), names,
                        frame["CUSTOMER_ID"].to_numpy(), frame["TRANSACTION_ID"].to_numpy())


# ---------------------------------------------------------------- a bank's own labelled table

_DAY = "_day"  # the absolute day number of a row, added to the selected columns


def _scan(path: Path) -> pl.LazyFrame:
    import polars as pl

    if path.suffix.lower() in (".parquet", ".pq"):
        return pl.scan_parquet(path)
    return pl.scan_csv(path, infer_schema_length=10_000, try_parse_dates=True)


def _table_rows(path: Path, label: str, time: str, card: str | None) -> tuple[pl.LazyFrame, list[str]]:
    """The table's lazy rows as training reads them, and the feature names, from the schema alone.

    The one place that decides what a bank's table means, so reading it whole, in fold windows or in
    batches cannot drift apart: every numeric column but the label, time and card is a float32
    feature, the label is 0/1 (int8), and ``_day`` is the time's absolute day number (days since
    1970-01-01 for a datetime or a date, ``time // 86 400`` for a number).
    """
    import polars as pl

    lf = _scan(path)
    schema = lf.collect_schema()
    missing = [c for c in (label, time, *([card] if card else [])) if c not in schema]
    if missing:
        raise ValueError(f"column(s) not in the table: {', '.join(missing)}")
    numeric = [n for n, t in schema.items() if t.is_numeric() and n not in (label, time, card)]
    if not numeric:
        raise ValueError("the table has no numeric feature columns")
    kind = schema[time]
    if kind == pl.Utf8:
        day_expr = pl.col(time).str.to_datetime().dt.epoch("d")
    elif kind.is_temporal():
        day_expr = pl.col(time).cast(pl.Datetime("us")).dt.epoch("d")
    else:
        day_expr = (pl.col(time).cast(pl.Float64) // 86_400).cast(pl.Int64)
    extra = [pl.col(card)] if card else []
    rows = lf.select(pl.col(time), *(pl.col(n).cast(pl.Float32) for n in numeric),
                     pl.col(label).cast(pl.Int8), day_expr.cast(pl.Int64).alias(_DAY), *extra)
    return rows, numeric


def _in_time_order(rows: pl.LazyFrame, time: str) -> pl.LazyFrame:
    # a stable sort: rows of the same instant keep the file's order, so a fold window collected
    # alone holds its rows in the order they have in the whole sorted table, and LightGBM's
    # row-sampled training sees the same rows in the same order either way
    return rows.sort(time, maintain_order=True)


def _feature_table(frame: pl.DataFrame, names: list[str], label: str, card: str | None,
                   origin: int) -> FeatureTable:
    day = frame[_DAY].to_numpy().astype(np.int64) - origin
    return FeatureTable(frame.select(names).to_numpy(), frame[label].to_numpy(), day, names,
                        frame[card].to_numpy() if card else None)


def table_features(path: Path, label: str, time: str, card: str | None = None) -> list[str]:
    """The feature columns of a CSV/Parquet table, read from its schema (ValueError if columns lack)."""
    return _table_rows(path, label, time, card)[1]


def read_table(path: Path, label: str, time: str, card: str | None = None) -> FeatureTable:
    """Every numeric column of a CSV/Parquet table as features, ``label`` as 0/1, ordered by ``time``.

    ``time`` may be a datetime, a date or a number (seconds, or any increasing unit); its day number
    (day 0 = the earliest row) drives the prequential split. The whole table is collected: for a
    table that may not fit in memory use ``prequential_table`` or ``score_table``.
    """
    rows, names = _table_rows(path, label, time, card)
    frame = _in_time_order(rows, time).collect(engine="streaming")
    origin = int(frame[_DAY].min()) if frame.height else 0  # type: ignore[arg-type]
    return _feature_table(frame, names, label, card, origin)


@dataclass(frozen=True)
class TableInfo:
    """What a streamed table holds, from streaming aggregations: rows, fraud share, feature names."""

    rows: int
    fraud_share: float
    names: list[str]


def prequential_table(path: Path, label: str, time: str, card: str | None = None, *, start_day: int = 0,
                      train_days: int = 7, delay_days: int = 7, test_days: int = 7, folds: int = 4,
                      rounds: int = 200, params: dict[str, Any] | None = None,
                      on_window: Callable[[int], None] | None = None,
                      ) -> tuple[list[FoldResult], Any, TableInfo]:
    """``learning.prequential`` over a table too large for memory: one fold window collected at a time.

    Fold ``i`` trains on days ``[t0, t1)`` and tests on ``[s0, s1)`` (``t0 = start_day + i·test_days``,
    ``t1 = t0 + train_days``, ``s0 = t1 + delay_days``, ``s1 = s0 + test_days``, day 0 = the earliest
    row); only the rows of ``[t0, s1)`` are collected, and ``learning.prequential`` runs that single
    fold on them, so the folds, models and metrics are those of the whole table in memory (the
    known-compromised cards of a test block are found from ``t0`` on in both). Stops at the first fold
    without training labels or test rows. ``on_window(rows)`` is told each window's collected rows.
    """
    import polars as pl

    from bayfin.antifraud.learning.model import prequential

    rows, names = _table_rows(path, label, time, card)
    first, count, share = rows.select(pl.col(_DAY).min(), pl.len(), pl.col(label).cast(pl.Float64).mean()
                                      ).collect(engine="streaming").row(0)
    info = TableInfo(int(count), float("nan") if share is None else float(share), names)
    results: list[FoldResult] = []
    booster = None
    if first is None:
        return results, booster, info
    origin = int(first)
    for i in range(folds):
        t0 = start_day + i * test_days
        s1 = t0 + train_days + delay_days + test_days
        window = _in_time_order(rows.filter(pl.col(_DAY).is_between(origin + t0, origin + s1,
                                                                    closed="left")), time)
        frame = window.collect(engine="streaming")
        if on_window is not None:
            on_window(frame.height)
        ft = _feature_table(frame, names, label, card, origin)
        del frame  # the arrays are copies: keep one window in memory, not two
        fold, model = prequential(ft.x, ft.y, ft.day, names, card=ft.card, start_day=t0,
                                  train_days=train_days, delay_days=delay_days, test_days=test_days,
                                  folds=1, rounds=rounds, params=params)
        if not fold:
            break
        results += fold
        booster = model
    return results, booster, info


@dataclass
class ScoredTable:
    """A table's scores beside its labels, day numbers (absolute) and cards: no feature matrix."""

    score: np.ndarray
    y: np.ndarray
    day: np.ndarray
    card: np.ndarray | None = None


def score_table(path: Path, label: str, time: str, predict: Callable[[np.ndarray], Any],
                card: str | None = None, *, batch_rows: int = 100_000,
                on_batch: Callable[[int], None] | None = None) -> ScoredTable:
    """Score a CSV/Parquet table in batches of ``batch_rows`` rows with ``predict(features) -> scores``.

    Only one batch's features are in memory at a time; the scores, labels, days and cards of every
    row are kept, for the metrics. ``on_batch(rows)`` is told each batch's size.
    """
    rows, names = _table_rows(path, label, time, card)
    scores: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    days: list[np.ndarray] = []
    cards: list[np.ndarray] = []
    for batch in rows.collect_batches(chunk_size=batch_rows, engine="streaming"):
        if on_batch is not None:
            on_batch(batch.height)
        scores.append(np.asarray(predict(batch.select(names).to_numpy()), dtype=np.float64))
        labels.append(batch[label].to_numpy())
        days.append(batch[_DAY].to_numpy().astype(np.int64))
        if card:
            cards.append(batch[card].to_numpy())

    def joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    return ScoredTable(joined(scores, np.float64), joined(labels, np.int8), joined(days, np.int64),
                       joined(cards, object) if card else None)
