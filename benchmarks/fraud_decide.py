"""Anti-fraud decision benchmark: in-process latency, HTTP at fixed arrival rates, replay throughput,
and the rule language against hand-written Python, `rule-engine` and `zen-engine`.

    .venv/bin/python benchmarks/fraud_decide.py            # full run (about 10 minutes)
    .venv/bin/python benchmarks/fraud_decide.py --quick    # a smoke run

HTTP: the API runs in a second process (`bayfin fraud serve`, one uvicorn worker, in-memory state,
decisions written in batches to PostgreSQL database bayfin_bench_antifraud); this process sends
requests open-loop at a fixed rate over keep-alive loopback connections and measures each latency
from the request's *scheduled* time, so a slow server cannot hide queueing (no coordinated omission).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import gc
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))

from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.eventfile import event_data_from_row, event_from_row, read_rows
from bayfin.antifraud.engine.features import FEATURE_DEFAULTS, NULLABLE
from bayfin.antifraud.engine.rulelang import compile_group
from bayfin.antifraud.engine.ruleset import RuleRegistry, load_ruleset
from bayfin.antifraud.learning.replay import replay
from bayfin.simulation.antifraud.simulator import simulate

VENV_BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "bayfin_bench_antifraud"
TAZAMA = "Tazama targets 3,000 tx/s at 35 ms and reached ~2,500 tx/s only on 40 cloud nodes"


def pct(values: list[float], q: float) -> float:
    """The q-quantile of values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def peak_mb() -> float:
    """Peak resident memory of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulated(workdir: Path, customers: int, days: int, seed: int) -> list[dict[str, Any]]:
    """Rows of a simulated stream (written once under workdir)."""
    out = workdir / f"sim-{customers}-{days}-{seed}"
    if not out.exists():
        simulate(out, customers=customers, days=days, seed=seed)
    return list(read_rows(out))


# ---------------------------------------------------------------------------------------------- 1
def in_process(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Latency of DecisionEngine.decide with all rules and features, events already validated."""
    ruleset = load_ruleset()
    ruleset.warm()
    engine = DecisionEngine(RuleRegistry(ruleset))
    events = [event_from_row(r) for r in rows]
    gc.collect()
    wall, cpu = [], []
    for event in events:
        w, c = time.perf_counter_ns(), time.thread_time_ns()
        engine.decide(event)
        cpu.append(time.thread_time_ns() - c)
        wall.append(time.perf_counter_ns() - w)
    started = time.perf_counter()
    validated = [event_from_row(r) for r in rows[:20000]]
    validate_us = (time.perf_counter() - started) / len(validated) * 1e6
    return {
        "events": len(events),
        "rules": len(ruleset.rules),
        "wall_p50_us": pct(wall, 0.5) / 1e3,
        "wall_p99_us": pct(wall, 0.99) / 1e3,
        "wall_p999_us": pct(wall, 0.999) / 1e3,
        "cpu_p50_us": pct(cpu, 0.5) / 1e3,
        "cpu_p99_us": pct(cpu, 0.99) / 1e3,
        "mean_us": sum(wall) / len(wall) / 1e3,
        "validate_us": validate_us,
        "peak_mb": peak_mb(),
    }


# ---------------------------------------------------------------------------------------------- 2
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reset_database() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + BENCH_DB


class Server:
    """`bayfin fraud serve` in a child process."""

    def __init__(self, workdir: Path, workers: int = 1, state: str = "memory") -> None:
        self.port = _free_port()
        self.env = {
            **os.environ,
            "BAYFIN_DATA_DIR": str(workdir / "var"),
            "BAYFIN_DATABASE_URL": _reset_database(),
            "BAYFIN_LOG_LEVEL": "WARNING",
            "BAYFIN_FRAUD_BATCH_SIZE": os.environ.get("BAYFIN_FRAUD_BATCH_SIZE", "1000"),
        }
        if state == "redis":
            self.env["BAYFIN_REDIS_URL"] = "redis://127.0.0.1:6379/14"
        subprocess.run(
            [str(VENV_BIN / "bayfin"), "db", "upgrade"], env=self.env, check=True, capture_output=True
        )
        self.token = self._token()
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "bayfin"),
                "fraud",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--state",
                state,
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    if b"200" in s.recv(100):
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("the API did not start")

    def _token(self) -> str:
        from bayfin.kernel.security import FileKeyStore, JwtTokens, Principal
        from bayfin.kernel.settings import Settings

        data_dir = Path(self.env["BAYFIN_DATA_DIR"])
        settings = Settings(data_dir=data_dir, database_url=self.env["BAYFIN_DATABASE_URL"])
        assert settings.jwks_file is not None
        tokens = JwtTokens(FileKeyStore(settings.jwks_file), settings.issuer, 86400)
        return tokens.issue(
            Principal(
                subject="bench",
                organization_id="bank-bench",
                organization_type="institution",
                scopes=frozenset({"fraud:decide"}),
            ),
            ttl_seconds=86400,
        )

    def count_recorded(self) -> int:
        import psycopg

        with psycopg.connect(self.env["BAYFIN_DATABASE_URL"]) as conn:
            return int(conn.execute("SELECT count(*) FROM fraud_decisions").fetchone()[0])  # type: ignore[index]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def _open_loop(
    port: int, requests: list[bytes], rate: float, connections: int, grace: float = 5.0
) -> dict[str, Any]:
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    latencies: list[float] = []
    errors = 0

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            item = await queue.get()
            if item is None:
                break
            scheduled, payload = item
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
            latencies.append(time.perf_counter() - scheduled)
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    start = time.perf_counter() + 0.2
    for k, payload in enumerate(requests):
        at = start + k / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((at, payload))
    sent_until = time.perf_counter()
    for _ in workers:
        queue.put_nowait(None)
    _done, pending = await asyncio.wait(workers, timeout=grace + len(requests) / rate)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    lost = len(requests) - len(latencies)
    ms = [x * 1000 for x in latencies] + [float("inf")] * lost  # unanswered count as infinitely slow
    return {
        "rate": rate,
        "sent": len(requests),
        "answered": len(latencies),
        "errors": errors + lost,
        "achieved_per_s": len(latencies) / elapsed,
        "schedule_lag_s": sent_until - start - len(requests) / rate,
        "p50_ms": pct(ms, 0.5),
        "p99_ms": pct(ms, 0.99),
        "p999_ms": pct(ms, 0.999),
    }


def http_rates(
    workdir: Path,
    rows: list[dict[str, Any]],
    rates: list[int],
    seconds: float,
    workers: int = 1,
    state: str = "memory",
) -> dict[str, Any]:
    """Open-loop runs at each rate against a served API; then refine the highest rate under 35 ms."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    server = Server(workdir, workers=workers, state=state)
    results = []
    cursor = 0
    try:

        def batch(rate: float, tag: str) -> list[bytes]:
            nonlocal cursor
            count = int(rate * seconds)
            out = []
            for k in range(count):
                data = event_data_from_row(rows[(cursor + k) % len(rows)])
                data["event_id"] = f"{tag}-{k}"
                data["occurred_at"] = data["occurred_at"].isoformat()
                body = orjson.dumps(data)
                out.append(
                    b"POST /v1/fraud/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + server.token.encode()
                    + b"\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
            cursor += count
            return out

        asyncio.run(_open_loop(server.port, batch(200, "warm"), 200, 16))
        for rate in rates:
            result = asyncio.run(_open_loop(server.port, batch(rate, f"r{rate}"), rate, 256))
            results.append(result)
            print(
                f"  {rate:>5}/s: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                f"p99.9 {result['p999_ms']:.1f} ms, answered {result['achieved_per_s']:.0f}/s, "
                f"errors {result['errors']}",
                flush=True,
            )
        ok = [r["rate"] for r in results if r["p99_ms"] < 35 and r["errors"] == 0]
        bad = [r["rate"] for r in results if r["rate"] not in ok]
        low, high = (
            (max(ok) if ok else 0),
            (min((b for b in bad if b > (max(ok) if ok else 0)), default=None)),
        )
        for _ in range(2):  # refine between the last passing and the first failing rate
            if high is None or high - low <= 250:
                break
            mid = (low + high) // 2
            result = asyncio.run(_open_loop(server.port, batch(mid, f"r{mid}"), mid, 256))
            results.append(result)
            print(
                f"  {mid:>5}/s: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms (refining)",
                flush=True,
            )
            if result["p99_ms"] < 35 and result["errors"] == 0:
                low = mid
            else:
                high = mid
        time.sleep(1.5)  # let the writer flush its last batch
        recorded = server.count_recorded()
    finally:
        server.stop()
    sent = sum(r["sent"] for r in results) + int(200 * seconds)
    return {
        "runs": results,
        "best_rate_p99_under_35ms": low,
        "recorded": recorded,
        "sent": sent,
        "workers": workers,
        "state": state,
    }


# ---------------------------------------------------------------------------------------------- 3
def replay_throughput(workdir: Path, customers: int) -> dict[str, Any]:
    """Replay one simulated day from Parquet (validation, features, rules), then extrapolate to 30 M."""
    out = workdir / f"day-{customers}"
    if not out.exists():
        simulate(out, customers=customers, days=1, seed=42)
    ruleset = load_ruleset()
    ruleset.warm()
    report = replay(out, DecisionEngine(RuleRegistry(ruleset)))
    rate = report.per_second
    return {
        "customers": customers,
        "events": report.events,
        "seconds": report.seconds,
        "per_second": rate,
        "minutes_for_30m_one_process": 30_000_000 / rate / 60,
        "minutes_for_30m_two_processes": 30_000_000 / rate / 60 / 2,
        "recall": report.as_dict()["recall"],
        "precision": report.as_dict()["precision"],
    }


# ---------------------------------------------------------------------------------------------- 4
def _dialect(node: ast.AST) -> str:
    """A condition of our language in the common syntax of rule-engine and zen (null, true, false)."""
    if isinstance(node, ast.Expression):
        return _dialect(node.body)
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return "(" + joiner.join(_dialect(v) for v in node.values) + ")"
    if isinstance(node, ast.UnaryOp):
        return ("not " if isinstance(node.op, ast.Not) else "-") + "(" + _dialect(node.operand) + ")"
    if isinstance(node, ast.Compare):
        symbols = {
            ast.Eq: "==",
            ast.NotEq: "!=",
            ast.Lt: "<",
            ast.LtE: "<=",
            ast.Gt: ">",
            ast.GtE: ">=",
            ast.In: "in",
            ast.NotIn: "not in",
        }
        operands = [node.left, *node.comparators]
        parts = [
            f"{_dialect(a)} {symbols[type(op)]} {_dialect(b)}"
            for a, op, b in zip(operands, node.ops, operands[1:], strict=False)
        ]
        guards = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in NULLABLE})
        return "(" + " and ".join([f"{g} != null" for g in guards] + parts) + ")"
    if isinstance(node, ast.BinOp):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}
        return f"({_dialect(node.left)} {ops[type(node.op)]} {_dialect(node.right)})"
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        if node.value is None:
            return "null"
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, str):
            return '"' + node.value + '"'
        return repr(node.value)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return "[" + ", ".join(_dialect(e) for e in node.elts) + "]"
    raise ValueError(f"no translation for {type(node).__name__}")


def engines(rows: list[dict[str, Any]], samples: int) -> dict[str, Any]:
    """The same conditions on the same feature mappings: ours, hand-written, rule-engine, zen-engine."""
    import fraud_rules_by_hand as by_hand
    import rule_engine
    import zen

    ruleset = load_ruleset()
    engine = DecisionEngine(RuleRegistry(ruleset))
    features = [engine.decide(event_from_row(r)).features for r in rows[:samples]]
    rules = {r.id: r for r in ruleset.rules}

    def timed(label: str, evaluate: Any, ids: list[str], repeat: int = 1) -> dict[str, Any]:
        counts = dict.fromkeys(ids, 0)
        for f in features:  # hit counts, once
            for index in evaluate(f):
                counts[ids[index]] += 1
        best = float("inf")
        for _ in range(repeat):  # the best of several timed passes: the machine is shared
            started = time.perf_counter()
            for f in features:
                evaluate(f)
            best = min(best, time.perf_counter() - started)
        return {"engine": label, "us_per_event": best / len(features) * 1e6, "hits": counts}

    def per_rule(functions: list[Any]) -> Any:
        return lambda f: [i for i, fn in enumerate(functions) if fn(f)]

    results: dict[str, Any] = {"events": len(features)}
    for label, ids in (("subset", list(by_hand.RULE_IDS)), ("all", [r.id for r in ruleset.rules])):
        group = compile_group(label, [(i, rules[i].condition_text) for i in ids], FEATURE_DEFAULTS, NULLABLE)
        texts = [_dialect(ast.parse(" ".join(rules[i].condition_text.split()), mode="eval")) for i in ids]
        re_rules = [rule_engine.Rule(t) for t in texts]
        zen_rules = [zen.compile_expression(t) for t in texts]
        used = [sorted(rules[i].features) for i in ids]
        runs = [
            timed("bayfin compiled group", group, ids, 7),
            timed("bayfin per-rule functions", per_rule([rules[i].condition for i in ids]), ids, 7),
        ]
        if label == "subset":
            runs.insert(0, timed("hand-written Python", by_hand.evaluate, ids, 7))
        runs.append(timed("rule-engine", per_rule([r.matches for r in re_rules]), ids))

        def zen_all(
            f: dict[str, Any], compiled: list[Any] = zen_rules, names: list[list[str]] = used
        ) -> list[int]:
            # each expression gets only the features it reads: the cheapest way to hand zen its context
            return [i for i, z in enumerate(compiled) if z.evaluate({k: f[k] for k in names[i]})]

        runs.append(timed("zen-engine", zen_all, ids))
        reference = runs[0]["hits"]
        for run in runs:
            run["hits_equal"] = run["hits"] == reference
            run["total_hits"] = sum(run.pop("hits").values())
        results[label] = {"rules": len(ids), "runs": runs}
    return results


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    """Run every part and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--only-http", action="store_true", help="run the HTTP part alone")
    parser.add_argument(
        "--rates", default="500,1000,2000,4000", help="arrival rates per second, comma-separated"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each HTTP rate")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for the HTTP part")
    parser.add_argument("--state", default="memory", help="memory or redis for the HTTP part")
    args = parser.parse_args()
    quick = args.quick
    workdir = Path(tempfile.mkdtemp(prefix="bayfin-fraud-bench-"))
    try:
        rows = simulated(workdir, 1000 if quick else 5000, 3, 7)
        print(f"simulated {len(rows)} events")
        if not args.only_http:
            print("\n== 1. in-process decision latency (all rules and features)")
            r = in_process(rows)
            print(
                f"  {r['events']} events, {r['rules']} rules: wall p50 {r['wall_p50_us']:.0f} µs, "
                f"p99 {r['wall_p99_us']:.0f} µs, p99.9 {r['wall_p999_us']:.0f} µs, "
                f"mean {r['mean_us']:.0f} µs; "
                f"CPU p50 {r['cpu_p50_us']:.0f} µs, p99 {r['cpu_p99_us']:.0f} µs (goal p99 < 1000 µs); "
                f"validation {r['validate_us']:.0f} µs/event; peak RSS {r['peak_mb']:.0f} MiB"
            )
        if not args.skip_http:
            print(
                f"\n== 2. HTTP, open loop from a second process "
                f"({args.workers} worker(s), {args.state} state)"
            )
            h = http_rates(
                workdir,
                rows,
                [100, 200] if quick else [int(x) for x in args.rates.split(",")],
                2 if quick else args.seconds,
                args.workers,
                args.state,
            )
            print(
                f"  highest rate with p99 < 35 ms: {h['best_rate_p99_under_35ms']}/s (goal ≥ 3,000/s); "
                f"{TAZAMA}; decisions recorded {h['recorded']} of {h['sent']} sent"
            )
        if args.only_http:
            return
        print("\n== 3. replay throughput of a simulated day (one process)")
        p = replay_throughput(workdir, 2000 if quick else 20000)
        print(
            f"  {p['events']} events in {p['seconds']:.1f} s = {p['per_second']:.0f} events/s; 30 M events "
            f"would take {p['minutes_for_30m_one_process']:.0f} min in one process, "
            f"{p['minutes_for_30m_two_processes']:.0f} min on two (goal < 10 min; extrapolated); "
            f"recall {p['recall']}, precision {p['precision']}"
        )
        print("\n== 4. the same conditions on the same events, by engine")
        e = engines(rows, 2000 if quick else 10000)
        for label in ("subset", "all"):
            base = e[label]["runs"][0]["us_per_event"]
            print(f"  {e[label]['rules']} rules, {e['events']} events:")
            for run in e[label]["runs"]:
                print(
                    f"    {run['engine']:<28} {run['us_per_event']:>9.1f} µs/event"
                    f"  ×{run['us_per_event'] / base:>6.2f}"
                    f"  hits {run['total_hits']:>6}  equal {run['hits_equal']}"
                )
        print(f"\npeak RSS {peak_mb():.0f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
