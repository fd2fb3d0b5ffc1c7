"""Scoring and matching benchmark: batch score, online score p99, matching p99, vs optbinning.

Uses a generated feature table of N enterprises (default 800,000; the hub is not loaded at that size
here), the same columns the hub features produce. The scorecard is fitted on a 50,000-row sample; the
peer is optbinning's ``Scorecard`` fitted on the same sample, timed on ``Scorecard.score`` over the
same table.

    .venv/bin/python benchmarks/scoring_matching.py --n 800000
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from decimal import Decimal

import numpy as np
import polars as pl

from bayfin.financing.book import ProductBook
from bayfin.financing.matching import Demand, Firm, Product, ProductType, match
from bayfin.scoring.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from bayfin.scoring.model import fit_model


def table(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """A feature table shaped like the hub's, with defaults driven by a latent quality."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    cols: dict[str, object] = {"credit_code": [f"9144{i:014d}" for i in range(n)]}
    for j, name in enumerate(NUMERIC_FEATURES):
        weight = 0.8 if j % 3 == 0 else 0.2
        cols[name] = weight * q + rng.normal(size=n)
    cols["industry_code"] = rng.choice([f"C{i}" for i in range(13, 40)], size=n)
    cols["city_code"] = rng.choice([f"44{i:04d}" for i in range(20)], size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(3.0 + 1.2 * q))).astype(np.int64)
    return pl.DataFrame(cols), y


def to_pandas(frame: pl.DataFrame) -> object:
    """A pandas frame without pyarrow (column by column through numpy)."""
    import pandas as pd

    return pd.DataFrame({c: frame[c].to_numpy() for c in frame.columns})


def pct(samples: list[float], p: float) -> float:
    """Percentile in milliseconds."""
    return float(np.percentile(np.asarray(samples) * 1000.0, p))


def main() -> None:
    """Run the three measurements and print them."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=800_000)
    ap.add_argument("--products", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    features, y = table(args.n, args.seed)
    sample = features.head(50_000)
    t = time.perf_counter()
    model = fit_model(sample, y[:50_000], challenger=False)
    print(f"fit on 50,000 rows: {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    scored = model.score_frame(features)
    ours = time.perf_counter() - t
    print(f"batch score (with reasons, bands, PD) of {args.n:,}: {ours:.2f} s, {args.n / ours:,.0f}/s")

    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    names = [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES]
    peer = Scorecard(
        BinningProcess(names, categorical_variables=list(CATEGORICAL_FEATURES)),
        LogisticRegression(),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    )
    peer.fit(to_pandas(sample.select(names)), y[:50_000])
    frame = to_pandas(features.select(names))
    t = time.perf_counter()
    peer.score(frame)
    theirs = time.perf_counter() - t
    print(f"optbinning Scorecard.score of {args.n:,}: {theirs:.2f} s (score only, no reasons)")
    print(f"ratio optbinning / bayfin: {theirs / ours:.1f}x")

    lat = []
    for i in range(2000):
        one = features.slice(i, 1)
        t = time.perf_counter()
        model.explain(one)
        lat.append(time.perf_counter() - t)
    print(f"online score of one firm (features given): p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms")

    rng = np.random.default_rng(args.seed)
    products = [
        Product(f"p{i}", f"BANK-{i % 40}", list(ProductType)[i % 5],
                int(rng.integers(1, 50)) * 10_000_00, int(rng.integers(50, 500)) * 10_000_00, 3,
                int(rng.integers(12, 61)), Decimal("0.035"),
                Decimal(str(round(0.04 + rng.random() * 0.1, 4))),
                cities=frozenset({f"44{int(c):04d}" for c in rng.integers(0, 20, size=3)})
                if i % 2 else frozenset(),
                min_score=int(rng.integers(500, 700)) if i % 3 else None,
                collateral_required=bool(i % 7 == 0))
        for i in range(args.products)
    ]  # fmt: skip
    t = time.perf_counter()
    book = ProductBook(products)
    print(f"product book of {args.products:,} products built in {(time.perf_counter() - t) * 1e3:.0f} ms")
    lat, ref = [], []
    today = date(2025, 3, 1)
    cases = []
    for i in range(500):
        firm = Firm(f"f{i}", f"44{i % 20:04d}", "C39", Decimal(3), "B", int(rng.integers(450, 750)), False)
        demand = Demand(
            f"d{i}", firm.credit_code, int(rng.integers(10, 300)) * 10_000_00, 12, "wc", bool(i % 2)
        )
        cases.append((demand, firm))
    found = []
    for demand, firm in cases:
        t = time.perf_counter()
        found.append(book.match(demand, firm, today, top_k=20))
        lat.append(time.perf_counter() - t)
    for (demand, firm), got in list(zip(cases, found, strict=True))[::5]:  # the slow reference loop
        t = time.perf_counter()
        expected = match(demand, firm, products, today)
        ref.append(time.perf_counter() - t)
        top = [m for m in expected if m.eligible][:20] + [m for m in expected if not m.eligible][:20]
        assert got == top, "the product book disagrees with the reference matcher"
    print(
        f"matching one demand against {args.products:,} products (ProductBook, top 20 + near misses): "
        f"p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms"
    )
    print(
        f"reference Python loop (matching.match, all results): p50 {pct(ref, 50):.2f} ms, "
        f"p99 {pct(ref, 99):.2f} ms; ratio reference / book at p99: {pct(ref, 99) / pct(lat, 99):.0f}x"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MiB; scored rows: {scored.height:,}")


if __name__ == "__main__":
    main()
