"""Model learning and single-event inference on the handbook profile.

Simulates (or reuses) the handbook data, computes the handbook features, runs the prequential
evaluation (4 weekly folds, 7-day label delay) and times one-event scoring: LightGBM's own
``Booster.predict`` on one row (the peer) against the compiled evaluator, with and without the
per-feature contributions.

    .venv/bin/python benchmarks/fraud_model.py --data /tmp/handbook --customers 5000
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from bayfin.antifraud.learning.model import CompiledModel, prequential, summarize
from bayfin.antifraud.learning.training import handbook_features
from bayfin.simulation.antifraud.handbook import simulate_handbook


def _time_us(fn, rows) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    took = []
    for row in rows:
        t = time.perf_counter_ns()
        fn(row)
        took.append((time.perf_counter_ns() - t) / 1000)
    return float(np.percentile(took, 50)), float(np.percentile(took, 99))


def main() -> None:
    """Run and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("/tmp/bayfin_handbook"))
    ap.add_argument("--customers", type=int, default=5000)
    ap.add_argument("--start-day", type=int, default=115)
    ap.add_argument("--rows", type=int, default=3000, help="single-event timings")
    args = ap.parse_args()
    if not (args.data / "transactions.parquet").exists():
        t = time.perf_counter()
        summary = simulate_handbook(args.data, customers=args.customers, terminals=2 * args.customers)
        print(json.dumps(summary), f"simulated in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    ft = handbook_features(args.data / "transactions.parquet")
    print(f"features: {ft.x.shape[0]:,} rows × {ft.x.shape[1]} in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    folds, booster = prequential(ft.x, ft.y, ft.day, ft.names, card=ft.card, start_day=args.start_day)
    for f in folds:
        print(json.dumps(f.as_dict()))
    print("mean over folds:", json.dumps(summarize(folds)), f"({time.perf_counter() - t:.1f}s)")
    print("published baselines (Le Borgne et al.): AUC ≈ 0.87, AP 0.61–0.69, card precision@100 0.29–0.30")
    model = CompiledModel.from_booster(booster)
    rows = ft.x[-args.rows:]
    lists = [list(map(float, r)) for r in rows]
    peer = _time_us(lambda r: booster.predict(r.reshape(1, -1), num_threads=1), rows)
    peer_contrib = _time_us(
        lambda r: booster.predict(r.reshape(1, -1), pred_contrib=True, num_threads=1), rows)
    ours = _time_us(model.predict, lists)
    ours_explain = _time_us(model.explain, lists)
    print(f"trees: {len(model.roots)}, nodes: {len(model.feature)}")
    print(f"one event, Booster.predict:               p50 {peer[0]:8.1f} µs  p99 {peer[1]:8.1f} µs")
    print(f"one event, Booster.predict(pred_contrib): p50 {peer_contrib[0]:8.1f} µs"
          f"  p99 {peer_contrib[1]:8.1f} µs")
    print(f"one event, compiled predict:              p50 {ours[0]:8.1f} µs  p99 {ours[1]:8.1f} µs"
          f"  ({peer[0] / ours[0]:.1f}× faster than the peer)")
    print(f"one event, compiled explain (top 3):      p50 {ours_explain[0]:8.1f} µs"
          f"  p99 {ours_explain[1]:8.1f} µs"
          f"  ({peer_contrib[0] / ours_explain[0]:.1f}× faster than pred_contrib)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
