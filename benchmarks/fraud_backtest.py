"""Backtest throughput: the vectorised feature pass against the engine's per-event FeatureComputer.

Simulates a bank history (``bayfin fraud simulate``'s profile), then times: reading and ordering the
events; the vectorised feature pass over all of them; the per-event pass over the first
``--per-event`` events (default: all of them); and the vectorised rule evaluation of the
shipped 207-rule set against itself (``backtest``). Prints events/s, peak memory, and a linear
extrapolation to a 30-million-event day.

    .venv/bin/python benchmarks/fraud_backtest.py --customers 30000 --days 10
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from bayfin.antifraud.backtest import backtest, per_event_features
from bayfin.antifraud.eventfile import read_frame
from bayfin.antifraud.ruleset import load_ruleset
from bayfin.antifraud.simulator import simulate
from bayfin.antifraud.vectorised import vectorised_features


def peak_mb() -> float:
    """Peak resident memory of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--per-event", type=int, default=0,
                        help="Time the per-event path on the first N events only (default: all; a "
                             "head sample flatters it, since states are still short at the start).")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bayfin-bench-backtest")
    args = parser.parse_args()
    events = args.workdir / f"sim-{args.customers}-{args.days}"
    if not events.exists():
        started = time.perf_counter()
        simulate(events, customers=args.customers, days=args.days, seed=5)
        print(f"simulated in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    table = read_frame(events).sort("occurred_at", maintain_order=True)
    read_s = time.perf_counter() - started
    n = table.height
    started = time.perf_counter()
    marks: list[str] = []

    def mark(name: str) -> None:
        marks.append(f"{name} {time.perf_counter() - started:.1f} s")

    frame = vectorised_features(table, on_step=mark)
    vector_s = time.perf_counter() - started
    sample = table.head(args.per_event) if args.per_event else table
    started = time.perf_counter()
    per_event_features(sample)
    per_event_s = time.perf_counter() - started
    rules = load_ruleset()
    started = time.perf_counter()
    report = backtest(frame, rules, rules)
    rules_s = time.perf_counter() - started
    vector_rate, per_event_rate = n / vector_s, sample.height / per_event_s
    print(f"{n:,} events over {args.days} days ({args.customers:,} customers); machine: {os.cpu_count()} "
          f"cores shared with other jobs")
    print(f"read + order: {read_s:.1f} s")
    print(f"vectorised features: {vector_s:.1f} s = {vector_rate:,.0f} events/s ({'; '.join(marks)})")
    print(f"per-event FeatureComputer: {sample.height:,} events in {per_event_s:.1f} s = "
          f"{per_event_rate:,.0f} events/s; vectorised / per-event = {vector_rate / per_event_rate:.1f}x")
    print(f"rules (207, candidate and live, vectorised): {rules_s:.1f} s = {n / rules_s:,.0f} events/s")
    print(f"flagged by the shipped rules: {report['candidate']['flagged']:,}; "
          f"recall {report['candidate']['recall']}, precision {report['candidate']['precision']}")
    per_30m = 30e6 * (vector_s + rules_s + read_s) / n
    print(f"30 M events, linear extrapolation: {per_30m / 60:.0f} min vectorised "
          f"(per-event: {30e6 / per_event_rate / 3600:.1f} h); peak memory {peak_mb():,.0f} MiB "
          f"for {n:,} events (about {peak_mb() / n * 30e6 / 1024:,.0f} GiB at 30 M)")


if __name__ == "__main__":
    main()
