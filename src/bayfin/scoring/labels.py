"""Labels from the demo region's hidden ground truth: who defaults within a horizon after a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def labelled(
    features: pl.DataFrame, truth_csv: Path, as_of: date, horizon_months: int = 12
) -> tuple[pl.DataFrame, np.ndarray]:
    """Firms still performing on ``as_of`` and whether they default in the following ``horizon_months``."""
    truth = pl.read_csv(
        truth_csv, columns=["credit_code", "default_month"], schema_overrides={"default_month": pl.Utf8}
    )
    start, end = _month(as_of), _month(_add_months(as_of, horizon_months))
    dm = pl.col("default_month").fill_null("")
    joined = features.join(truth, on="credit_code", how="inner").filter((dm == "") | (dm >= start))
    y = ((dm != "") & (dm < end)).cast(pl.Int8)
    out = joined.with_columns(y.alias("_y"))
    return out.drop("default_month", "_y"), out["_y"].to_numpy().astype(np.int64)


def split_firms(codes: pl.Series, test_share: float, seed: int) -> np.ndarray:
    """A boolean mask of test firms, stable for a seed (firms are held out, not just months)."""
    rng = np.random.default_rng(seed)
    return rng.random(len(codes)) < test_share
