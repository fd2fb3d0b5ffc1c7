"""Labels from the demo region's hidden ground truth: who defaults within a horizon after a date."""

from __future__ import annotations

import zlib
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


def held_out(codes: pl.Series, test_share: float, seed: int) -> np.ndarray:
    """Boolean mask of test firms: a hash of the code and seed, so a firm is on the same side on any date."""
    cut = int(test_share * 10_000)
    return np.array([zlib.crc32(f"{seed}:{c}".encode()) % 10_000 < cut for c in codes.to_list()], dtype=bool)
