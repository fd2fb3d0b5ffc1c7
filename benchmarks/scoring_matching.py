"""Scoring and matching benchmark: batch score, online score p99, matching p99, vs optbinning.

Uses a generated feature table of N enterprises (default 800,000; the hub is not loaded at that size
here), the same columns the hub features produce. The scorecard is fitted on a 50,000-row sample; the
peer is optbinning's ``Scorecard`` fitted on the same sample, timed on ``Scorecard.score`` over the
same table.

    .venv/bin/python benchmarks/scoring_matching.py --n 800000 [--hub-data-dir DIR --as-of 2025-01-01]

``--hub-data-dir`` names a data dir whose hub holds an ingested region (``bayfin demo generate`` then
``bayfin hub ingest-all``): the online score is then also timed including the hub read.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import resource
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl

from bayfin.financing.book import ProductBook
from bayfin.financing.matching import Demand, Firm, Product, ProductType, match
from bayfin.scoring.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from bayfin.scoring.model import ScoringModel, fit_model


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


def online_with_hub_read(data_dir: str, model: ScoringModel, as_of: date) -> None:
    """p50/p99 of one firm's score including ``enterprise_record`` and its features, on an ingested hub."""
    os.environ["BAYFIN_DATA_DIR"] = data_dir
    from sqlalchemy import select

    from bayfin.cli.context import open_platform
    from bayfin.creditdata.models import FACT_MODELS
    from bayfin.scoring.service import ScoringService

    service = ScoringService(Path(data_dir))
    service._model = model  # the benchmark's model: same feature columns, scores are not the point here
    with open_platform() as platform, platform.session_factory() as session:
        reg = FACT_MODELS["registration"]
        codes = list(session.scalars(select(reg.credit_code).distinct().limit(1000)))
        for code in codes:  # warm SQLite's page cache once, so neither path below pays for cold reads
            service.feature_values(session, code, as_of)
        paths = {
            "plain-Python features": lambda c: service.score(session, c, as_of),
            "polars features (before)": lambda c: model.explain(service.features_of(session, c, as_of)),
        }
        lat: dict[str, list[float]] = {label: [] for label in paths}
        cpu: dict[str, list[float]] = {label: [] for label in paths}
        for code in codes:  # the two paths alternate firm by firm, so a load swing hits both alike
            for label, score in paths.items():
                t, c = time.perf_counter(), time.thread_time()
                score(code)
                lat[label].append(time.perf_counter() - t)
                cpu[label].append(time.thread_time() - c)
        db = platform.settings.database_url.split(":")[0]
        for label, samples in lat.items():
            print(f"online score of one firm incl. hub read ({db}, {label}, {len(codes)} firms): "
                  f"p50 {pct(samples, 50):.2f} ms, p99 {pct(samples, 99):.2f} ms "
                  f"(CPU p50 {pct(cpu[label], 50):.2f} ms, p99 {pct(cpu[label], 99):.2f} ms)")  # fmt: skip


def main() -> None:
    """Run the three measurements and print them."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=800_000)
    ap.add_argument("--products", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--hub-data-dir", help="A data dir with an ingested hub (SQLite): also time the hub read")
    ap.add_argument("--as-of", default="2025-01-01", help="Date of the hub read")
    args = ap.parse_args()
    features, y = table(args.n, args.seed)
    sample = features.head(50_000)
    t = time.perf_counter()
    model = fit_model(sample, y[:50_000], challenger=True)
    print(f"fit on 50,000 rows (scorecard + LightGBM challenger): {time.perf_counter() - t:.1f} s")

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

    # Three rounds, the three scorers in turn each round; the best of each counts (others' jobs on
    # the shared cores only ever add time).
    runs: dict[str, list[float]] = {"ours": [], "ours score only": [], "optbinning": []}
    for _ in range(3):
        t = time.perf_counter()
        scored = model.score_frame(features)
        runs["ours"].append(time.perf_counter() - t)
        t = time.perf_counter()
        model.scorecard.score(model.columns(features))
        runs["ours score only"].append(time.perf_counter() - t)
        t = time.perf_counter()
        peer.score(frame)
        runs["optbinning"].append(time.perf_counter() - t)
    ours, ours_score_only, theirs = (min(runs[k]) for k in ("ours", "ours score only", "optbinning"))
    print("rounds (s): " + "; ".join(f"{k} {', '.join(f'{v:.2f}' for v in vs)}" for k, vs in runs.items()))
    print(f"batch score (with reasons, bands, PD) of {args.n:,}: {ours:.2f} s, {args.n / ours:,.0f}/s")
    print(f"batch score only (no reasons) of {args.n:,}: {ours_score_only:.2f} s")
    print(f"optbinning Scorecard.score of {args.n:,}: {theirs:.2f} s (score only, no reasons)")
    print(f"ratio optbinning score-only / bayfin with reasons: {theirs / ours:.2f}x")
    print(f"ratio optbinning score-only / bayfin score-only: {theirs / ours_score_only:.2f}x")

    rows = [features.row(i, named=True) for i in range(2000)]
    # A server holds no 800k-row frames: freeze what the batch part left, so the cyclic GC does not
    # walk it during the online timings (gc.freeze, as servers do after start-up).
    gc.collect()
    gc.freeze()
    card_only = dataclasses.replace(model, challenger=None)
    for label, scorer in (("scorecard", card_only), ("scorecard + challenger pred_contrib", model)):
        lat, cpu = [], []
        for values in rows:
            t, c = time.perf_counter(), time.thread_time()
            scorer.explain_one(values)
            lat.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
        # Wall time includes waiting for a core on a shared machine; this thread's CPU time does not.
        print(f"online score of one firm, features given, {label}: p50 {pct(lat, 50):.3f} ms, "
              f"p99 {pct(lat, 99):.3f} ms "
              f"(CPU p50 {pct(cpu, 50):.3f} ms, p99 {pct(cpu, 99):.3f} ms)")  # fmt: skip
    if args.hub_data_dir:
        online_with_hub_read(args.hub_data_dir, model, date.fromisoformat(args.as_of))

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
