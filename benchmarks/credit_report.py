"""Benchmark: credit reports over HTTP against PostgreSQL with a generated region loaded, consent check
and audit write included, at 50 concurrent clients; beside it the same machine's PostgreSQL ceiling for a
comparable single-row read (``pgbench -S``), as a ratio.

    .venv/bin/python benchmarks/credit_report.py                       # copies bayfin_bench_hub
    .venv/bin/python benchmarks/credit_report.py --source-db bayfin_bench_hub --clients 50 --seconds 20

The hub data comes from ``benchmarks/hub_ingest.py``'s PostgreSQL database (``bayfin_bench_hub``),
copied to ``bayfin_bench_report`` with ``CREATE DATABASE … TEMPLATE`` so the original stays untouched.
The API runs as ``bayfin api serve`` in its own processes; the load comes from wrk when it is
installed (C, so the two cores go to the API and PostgreSQL), otherwise from httpx in this process.
The CPU each side spent per report is printed, so a run shows where the cores went.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432/"
DATA_DIR = Path("var/bench/report")


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def prepare(source_db: str, db: str, firms: int) -> tuple[str, list[tuple[str, str]]]:
    """Copy the hub database, migrate it, and give BENCH-BANK live periodic consents on ``firms`` firms."""
    from sqlalchemy import text

    from bayfin import migrations
    from bayfin.bootstrap import build_platform
    from bayfin.consent import domain as d
    from bayfin.consent.service import ConsentRequestData, ConsentService
    from bayfin.kernel.security import Principal
    from bayfin.kernel.settings import Settings

    _admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{db}" TEMPLATE "{source_db}"')
    url = PG_BASE + db
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    platform = build_platform(Settings(database_url=url, data_dir=DATA_DIR, audit_seal_interval=0))
    _renew_stale_audit_tables(platform.engine)
    migrations.upgrade(platform.engine)
    with platform.session_factory() as s:
        total = s.scalar(text("SELECT count(DISTINCT credit_code) FROM hub_registration"))
        codes = list(s.scalars(text("SELECT c FROM (SELECT DISTINCT credit_code AS c FROM "
                                    "hub_tax_payment) t ORDER BY md5(c) LIMIT :n"), {"n": firms}))
    bank = Principal("bench-officer", "BENCH-BANK", "institution")
    pairs = []
    with platform.unit_of_work() as uow:
        service = ConsentService(uow.session, platform.audit, platform.clock, platform.tokens.keys)
        for code in codes:
            consent = service.request(bank, ConsentRequestData(
                credit_code=code, purpose=d.Purpose.credit_review, purpose_text="benchmark",
                categories=frozenset({d.DataCategory.registration, d.DataCategory.tax,
                                      d.DataCategory.social_security, d.DataCategory.courts}),
                access_mode=d.AccessMode.periodic, frequency=d.Frequency(d.PeriodUnit.day, 100000),
                data_from=date(2020, 1, 1), data_to=date(2026, 12, 31), validity_days=30,
                data_life=d.Frequency(d.PeriodUnit.month, 1)))
            service.approve(Principal("owner", code, "enterprise"), consent.id)
            pairs.append((code, consent.id))
        uow.commit()
    platform.audit.seal_all(platform.session_factory)
    platform.dispose()
    print(f"database {db}: {total:,} registered enterprises; {len(pairs):,} firms under consent")
    return url, pairs


def _renew_stale_audit_tables(engine: object) -> None:
    """A hub database loaded before the audit log gained its sequencer has the older, pre-release
    audit tables; drop them (a benchmark copy only) so the kernel migration builds the current ones."""
    from sqlalchemy import inspect, text

    from bayfin.kernel.audit import AuditEntry, AuditHead

    columns = {c["name"] for c in inspect(engine).get_columns("audit_log")}  # type: ignore[arg-type]
    if "id" in columns:
        return
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DROP TABLE audit_log, audit_head"))
        AuditEntry.__table__.create(conn)
        AuditHead.__table__.create(conn)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BAYFIN_DATABASE_URL": url, "BAYFIN_DATA_DIR": str(DATA_DIR),
           "BAYFIN_RATE_PER_SECOND": "1000000", "BAYFIN_RATE_BURST": "1000000",
           "BAYFIN_LOG_LEVEL": "WARNING", "BAYFIN_DATABASE_POOL_SIZE": "30"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "bayfin"), "api", "serve", "--port",
                               str(port), "--workers", str(workers)], env=env)
    import httpx

    for _ in range(120):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit("the API did not start")


def token() -> str:
    from bayfin.kernel.security import FileKeyStore, JwtTokens, Principal
    from bayfin.kernel.settings import Settings

    settings = Settings(data_dir=DATA_DIR)
    assert settings.jwks_file is not None
    tokens = JwtTokens(FileKeyStore(settings.jwks_file), settings.issuer, 3600)
    return tokens.issue(Principal("bench-officer", "BENCH-BANK", "institution",
                                  scopes=frozenset({"credit:read"})), ttl_seconds=3600)


async def load(port: int, pairs: list[tuple[str, str]], clients: int, seconds: float,
               bearer: str) -> tuple[list[float], dict[int, int], float]:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 headers={"Authorization": f"Bearer {bearer}"}, timeout=30) as http:
        stop = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < stop:
                code, consent = rng.choice(pairs)
                started = time.perf_counter()
                r = await http.get(f"/v1/credit-reports/{code}", params={"consent_id": consent})
                latencies.append(time.perf_counter() - started)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed


_WRK_SCRIPT = """
local targets = {%s}
local auth = {["Authorization"] = "Bearer %s"}
request = function()
  return wrk.format("GET", targets[math.random(#targets)], auth)
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.errors.status,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), summary.duration))
end
"""


def load_wrk(port: int, pairs: list[tuple[str, str]], clients: int, seconds: float,
             bearer: str) -> tuple[dict[str, float], dict[int, int], float, float]:
    """The same load from wrk (C, two threads), which leaves the cores to the API: latency quantiles
    (seconds), statuses, elapsed seconds and wrk's own CPU seconds."""
    import resource

    targets = ",".join(f'"/v1/credit-reports/{code}?consent_id={consent}"' for code, consent in pairs)
    script = DATA_DIR / "reports.lua"
    script.write_text(_WRK_SCRIPT % (targets, bearer))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{int(seconds)}s", "--timeout", "30s",
                          "-s", str(script), f"http://127.0.0.1:{port}"], check=True, capture_output=True,
                         text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^WRK (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
    if match is None:
        raise SystemExit(f"wrk gave no summary:\n{out}")
    requests, bad, p50, p99, p999, micros = map(int, match.groups())
    quantiles = {"p50": p50 / 1e6, "p99": p99 / 1e6, "p99.9": p999 / 1e6}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return quantiles, {200: requests - bad, **({0: bad} if bad else {})}, micros / 1e6, cpu


def pgbench_ceiling(clients: int, seconds: int) -> float | None:
    """Select-only pgbench tps on this machine (scale 10), or None without pgbench."""
    if not shutil.which("pgbench"):
        return None
    _admin('DROP DATABASE IF EXISTS "bayfin_bench_pgbench" WITH (FORCE)')
    _admin('CREATE DATABASE "bayfin_bench_pgbench"')
    conn = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["pgbench", *conn, "-i", "-s", "10", "-q", "bayfin_bench_pgbench"], check=True,
                   capture_output=True)
    out = subprocess.run(["pgbench", *conn, "-S", "-n", "-c", str(clients), "-j", "2", "-T",
                          str(seconds), "bayfin_bench_pgbench"], check=True, capture_output=True,
                         text=True).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    return float(match.group(1)) if match else None


def rss_mib(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the API processes, PostgreSQL's processes and this load generator."""
    import psutil

    def used(procs: list[psutil.Process]) -> float:
        total = 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
            except psutil.Error:  # a process that ended in between
                continue
            total += times.user + times.system
        return total

    server = psutil.Process(server_pid)
    postgres = [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]
    return {"API": used([server, *server.children(recursive=True)]), "PostgreSQL": used(postgres),
            "load generator": used([psutil.Process()])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-db", default="bayfin_bench_hub")
    parser.add_argument("--db", default="bayfin_bench_report")
    parser.add_argument("--firms", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--driver", choices=["wrk", "httpx"], default=None,
                        help="load generator: wrk (default when installed; Debian package wrk) or httpx, "
                             "which spends about as much CPU per report as the API itself")
    args = parser.parse_args()
    driver = args.driver or ("wrk" if shutil.which("wrk") else "httpx")

    url, pairs = prepare(args.source_db, args.db, args.firms)
    port = free_port()
    server = start_server(url, port, args.workers)
    try:
        bearer = token()
        asyncio.run(load(port, pairs, args.clients, 3, bearer))  # warm-up
        before = cpu_seconds(server.pid)
        clients, seconds = args.clients, args.seconds
        if driver == "wrk":
            quantiles, statuses, elapsed, generator = load_wrk(port, pairs, clients, seconds, bearer)
        else:
            latencies, statuses, elapsed = asyncio.run(load(port, pairs, clients, seconds, bearer))
            qs = statistics.quantiles(latencies, n=1000)
            quantiles = {"p50": qs[499], "p99": qs[989], "p99.9": qs[998]}
        spent = {k: v - before[k] for k, v in cpu_seconds(server.pid).items()}
        if driver == "wrk":
            spent["load generator"] = generator
        memory = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = statuses.get(200, 0)
    rate = ok / elapsed
    print(f"\ncredit reports over HTTP ({args.workers} API workers, {args.clients} clients from {driver}, "
          f"{elapsed:.1f} s): {sum(statuses.values()):,} requests, statuses {dict(sorted(statuses.items()))}")
    print(f"  throughput     {rate:,.0f} reports/s")
    print("  latency        " + "   ".join(f"{k} {v * 1000:.1f} ms" for k, v in quantiles.items()))
    print(f"  server memory  {memory:,.0f} MiB (all worker processes)")
    if ok:
        print("  CPU per report " + ", ".join(f"{k} {1000 * v / ok:.1f} ms" for k, v in spent.items())
              + " (where the two cores went)")
    ceiling = pgbench_ceiling(args.clients, 10)
    if ceiling:
        print(f"  pgbench -S     {ceiling:,.0f} tps (one indexed single-row SELECT per transaction)")
        print(f"  ratio          {rate / ceiling:.3f} of the PostgreSQL single-row read ceiling")


if __name__ == "__main__":
    main()
