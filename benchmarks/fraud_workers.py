"""Throughput of `bayfin fraud worker` with 1 and with 2 worker processes (NATS JetStream + Redis).

For each worker count: a fresh PostgreSQL database (``bayfin_bench_workers``, migrated), an empty
Redis database (13) for the shared feature state, and a fresh JetStream stream; N simulated events
are published first, then k ``bayfin fraud worker --state redis`` processes are started and the
clock runs from their launch until all N decisions are committed in PostgreSQL (polled every 0.2 s).
The rate is also given from the first stored decision on, so that worker start-up (imports, rule
compilation, a few seconds) does not hide the scaling.

    .venv/bin/python benchmarks/fraud_workers.py --events 10000 --workers 1,2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bayfin.antifraud.engine.eventfile import event_data_from_row, read_rows
from bayfin.simulation.antifraud.simulator import simulate

VENV_BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "bayfin_bench_workers"
REDIS = "redis://127.0.0.1:6379/13"
NATS = "nats://127.0.0.1:4222"
STREAM, SUBJECT, DURABLE = "BENCH_FRAUD_EVENTS", "bench.fraud.events", "bench-deciders"


def events(workdir: Path, n: int) -> list[bytes]:
    """N simulated events as the JSON documents a channel publishes, in time order."""
    out = workdir / f"sim-{n}"
    if not out.exists():
        simulate(out, customers=max(200, n // 2), days=1, seed=7)
    docs = []
    for row in read_rows(out):
        docs.append(json.dumps(event_data_from_row(row), default=str).encode())
        if len(docs) == n:
            break
    return docs


def reset_database() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + BENCH_DB


def count(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM fraud_decisions").fetchone()[0])  # type: ignore[index]


async def publish(docs: list[bytes]) -> None:
    import nats
    from nats.js.errors import NotFoundError

    from bayfin.antifraud.worker import WorkerConfig
    from bayfin.integrations.nats_fraud_stream import ensure_stream

    nc = await nats.connect(NATS)
    js = nc.jetstream()
    with contextlib.suppress(NotFoundError):
        await js.delete_stream(STREAM)  # the durable consumer goes with it
    await ensure_stream(js, WorkerConfig(nats_url=NATS, stream=STREAM, subject=SUBJECT, durable=DURABLE))
    for start in range(0, len(docs), 500):
        await asyncio.gather(*(js.publish(SUBJECT, d) for d in docs[start:start + 500]))
    await nc.drain()


def run(workdir: Path, docs: list[bytes], k: int) -> dict[str, Any]:
    """Publish, start k workers, time until every decision is stored."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    url = reset_database()
    env = {**os.environ, "BAYFIN_DATA_DIR": str(workdir / "var"), "BAYFIN_DATABASE_URL": url,
           "BAYFIN_REDIS_URL": REDIS, "BAYFIN_LOG_LEVEL": "WARNING"}
    subprocess.run([str(VENV_BIN / "bayfin"), "db", "upgrade"], env=env, check=True, capture_output=True)
    asyncio.run(publish(docs))
    n = len(docs)
    started = time.perf_counter()
    command = [str(VENV_BIN / "bayfin"), "fraud", "worker", "--state", "redis", "--nats", NATS,
               "--stream", STREAM, "--subject", SUBJECT, "--durable", DURABLE]
    procs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(k)]
    first = None
    stored = 0
    try:
        while stored < n:
            time.sleep(0.2)
            stored = count(url)
            if first is None and stored:
                first = time.perf_counter()
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker exited early")
        done = time.perf_counter()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    assert first is not None
    return {"workers": k, "events": n, "stored": count(url), "seconds_from_launch": round(done - started, 1),
            "events_per_s_from_launch": round(n / (done - started)),
            "seconds_from_first_decision": round(done - first, 1),
            "events_per_s_from_first_decision": round(n / (done - first))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bayfin-bench-workers")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    docs = events(args.workdir, args.events)
    print(f"{len(docs)} events; machine: {os.cpu_count()} cores shared with other jobs")
    results = [run(args.workdir, docs, int(k)) for k in args.workers.split(",")]
    for r in results:
        print(json.dumps(r))
    if len(results) > 1:
        base = results[0]["events_per_s_from_first_decision"]
        for r in results[1:]:
            print(f"{r['workers']} workers / {results[0]['workers']}: "
                  f"{r['events_per_s_from_first_decision'] / base:.2f}x")


if __name__ == "__main__":
    main()
