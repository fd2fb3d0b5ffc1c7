"""Feature tables for learning: the handbook profile's transactions, and a bank's own labelled table.

Tables are read lazily (``polars.scan_*``) and only the needed columns are collected, as float32,
so a table much larger than its raw CSV text still fits; rows are sorted by time for the
time-ordered split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FeatureTable", "handbook_features", "read_table"]

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


def _scan(path: Path):  # type: ignore[no-untyped-def]
    import polars as pl

    if path.suffix.lower() in (".parquet", ".pq"):
        return pl.scan_parquet(path)
    return pl.scan_csv(path, infer_schema_length=10_000, try_parse_dates=True)


def read_table(path: Path, label: str, time: str, card: str | None = None) -> FeatureTable:
    """Every numeric column of a CSV/Parquet table as features, ``label`` as 0/1, ordered by ``time``.

    ``time`` may be a datetime, a date or a number (seconds, or any increasing unit); its day number
    drives the prequential split.
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
        day_expr = pl.col(time).str.to_datetime().dt.epoch("d").alias("_day")
    elif kind.is_temporal():
        day_expr = (pl.col(time).cast(pl.Datetime("us")).dt.epoch("d")).alias("_day")
    else:
        day_expr = (pl.col(time).cast(pl.Float64) // 86_400).cast(pl.Int64).alias("_day")
    cols = [pl.col(n).cast(pl.Float32) for n in numeric]
    extra = [pl.col(card)] if card else []
    # streaming engine: the scan is consumed in batches and only float32 columns are kept
    frame = lf.select(pl.col(time), *cols, pl.col(label).cast(pl.Int8), day_expr, *extra).sort(time).collect(
        engine="streaming")
    day = frame["_day"].to_numpy()
    return FeatureTable(frame.select(numeric).to_numpy(), frame[label].to_numpy(), day - day.min(), numeric,
                        frame[card].to_numpy() if card else None)
