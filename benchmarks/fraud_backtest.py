"""Backtest throughput and memory: the rule-driven feature subset against every feature, and the
vectorised pass against the engine's per-event FeatureComputer.

Simulates a bank history (``bayfin fraud simulate``'s profile), then runs each path in its own
process, so that each peak resident memory (``ru_maxrss``) is that path's alone:

- ``subset``: the features the candidate and live rule sets' active rules name
  (``rule_features``), read a column at a time from the day files (``event_scan``), compact
  columns, then the vectorised rule evaluation of both rule sets (``backtest``);
- ``full``: the same with every feature;
- ``per-event``: the engine's ``FeatureComputer`` over the first ``--per-event`` events.

Prints events/s, peak memory, whether both paths give the same report (they must), and a linear
extrapolation to a 30-million-event day.

    .venv/bin/python benchmarks/fraud_backtest.py --customers 150000 --days 10 --per-event 100000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bayfin.antifraud.engine.ruleset import load_ruleset
from bayfin.antifraud.learning.backtest import (
    backtest,
    event_scan,
    event_table,
    per_event_features,
    rule_features,
)
from bayfin.antifraud.learning.vectorised import vectorised_features
from bayfin.simulation.antifraud.simulator import simulate

DAY_EVENTS = 30e6


def peak_mib() -> float:
    """Peak resident memory of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_path(path: str, events: Path, rules: Path | None, live: Path | None,
             per_event: int) -> dict[str, Any]:
    """One path, in this process: its timings, peak memory and a digest of its report."""
    if path == "baseline":  # what the interpreter, the libraries and the rule sets hold with no events
        import polars as pl

        load_ruleset(rules), load_ruleset(live)
        pl.DataFrame({"x": [1, 2]}).group_by("x").len()
        return {"peak_mib": peak_mib()}
    if path == "per-event":
        sample = event_table(events, None)
        sample = sample.head(per_event) if per_event else sample
        started = time.perf_counter()
        per_event_features(sample)
        return {"events": sample.height, "features_s": time.perf_counter() - started, "peak_mib": peak_mib()}
    candidate, live_set = load_ruleset(rules), load_ruleset(live)
    only = rule_features(candidate, live_set) if path == "subset" else None
    started = time.perf_counter()
    marks: list[str] = []

    def mark(name: str) -> None:
        marks.append(f"{name} {time.perf_counter() - started:.1f} s")

    frame = vectorised_features(event_scan(events), only=only, compact=True, on_step=mark)
    features_s = time.perf_counter() - started
    started = time.perf_counter()
    report = backtest(frame, candidate, live_set)
    rules_s = time.perf_counter() - started
    digest = hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()[:16]
    overall = report["candidate"]
    return {"events": frame.height, "features": len(frame.columns) - 4,
            "frame_mib": frame.estimated_size("mb"), "features_s": features_s, "rules_s": rules_s,
            "marks": marks, "peak_mib": peak_mib(), "report": digest, "flagged": overall["flagged"],
            "recall": overall["recall"], "precision": overall["precision"], "rules": len(overall["rules"]),
            "live_rules": len(report["live"]["rules"])}


def in_child(path: str, args: argparse.Namespace, events: Path) -> dict[str, Any]:
    """Run one path in a fresh interpreter and return what it measured."""
    command = [sys.executable, __file__, "--child", path, "--events", str(events),
               "--per-event", str(args.per_event)]
    for flag, value in (("--rules", args.rules), ("--live", args.live)):
        if value is not None:
            command += [flag, str(value)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--per-event", type=int, default=0,
                        help="Time the per-event path on the first N events only (default 0: all; a "
                             "head sample flatters it, since states are still short at the start).")
    parser.add_argument("--rules", type=Path, default=None, help="Candidate rule set (default: shipped).")
    parser.add_argument("--live", type=Path, default=None, help="Live rule set (default: shipped).")
    parser.add_argument("--paths", default="subset,full,per-event", help="Which paths to run, in order.")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bayfin-bench-backtest")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--events", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_path(args.child, args.events, args.rules, args.live, args.per_event)))
        return
    events = args.workdir / f"sim-{args.customers}-{args.days}"
    if not events.exists():
        started = time.perf_counter()
        simulate(events, customers=args.customers, days=args.days, seed=5)
        print(f"simulated in {time.perf_counter() - started:.0f} s")
    results = {path: in_child(path, args, events) for path in ["baseline", *args.paths.split(",")]}
    base = results["baseline"]["peak_mib"]
    vectorised = [p for p in ("subset", "full") if p in results]
    n = results[vectorised[0]]["events"] if vectorised else results["per-event"]["events"]
    print(f"{n:,} events over {args.days} days ({args.customers:,} customers); machine: "
          f"{os.cpu_count()} cores shared with other jobs; each path in its own process")
    for path in vectorised:
        r = results[path]
        total = r["features_s"] + r["rules_s"]
        print(f"{path}: {r['features']} features, read + features {r['features_s']:.1f} s = "
              f"{n / r['features_s']:,.0f} events/s ({'; '.join(r['marks'])}); rules ({r['rules']} "
              f"candidate, {r['live_rules']} live, vectorised) {r['rules_s']:.1f} s; total "
              f"{n / total:,.0f} events/s; peak RSS {r['peak_mib']:,.0f} MiB; feature frame "
              f"{r['frame_mib']:,.0f} MiB")
        print(f"    30 M events, linear extrapolation: {DAY_EVENTS * total / n / 60:.0f} min, peak memory "
              f"about {(base + (r['peak_mib'] - base) * DAY_EVENTS / n) / 1024:,.1f} GiB (the peak above "
              f"the {base:,.0f} MiB held with no events, scaled)")
    if len(vectorised) == 2:
        same = results["subset"]["report"] == results["full"]["report"]
        print(f"subset and full reports identical: {'yes' if same else 'NO'} "
              f"(digest {results['full']['report']})")
    first = results[vectorised[0]] if vectorised else None
    if first is not None:
        print(f"flagged by the candidate: {first['flagged']:,}; recall {first['recall']}, "
              f"precision {first['precision']}")
    if "per-event" in results:
        r = results["per-event"]
        rate = r["events"] / r["features_s"]
        line = (f"per-event FeatureComputer: {r['events']:,} events in {r['features_s']:.1f} s = {rate:,.0f} "
                f"events/s (30 M: {DAY_EVENTS / rate / 3600:.1f} h); peak RSS {r['peak_mib']:,.0f} MiB")
        if first is not None:
            line += f"; vectorised features (subset or full, first path) / per-event = " \
                    f"{first['events'] / first['features_s'] / rate:.1f}x"
        print(line)


if __name__ == "__main__":
    main()
