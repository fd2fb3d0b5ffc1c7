"""Benchmark: ISO 8583 authorizations (0100) per second and latency over TCP, ledger on PostgreSQL.

The switch runs as its own process (``bayfin sscard switch serve``) against the database
``bayfin_bench_sscard``; this script seeds funded cards, then drives it from asyncio acquirer
connections at several concurrency levels, lock-step (each connection waits for its answer). Every
connection signs on over the acquirer's link; one 0800 key exchange gives the working keys, and each
authorization carries its expiry, an ISO 9564 PIN block and a retail MAC the switch verifies (and
MACs its answer). The cost of those checks alone is measured too (software key store).
It prints throughput, p50/p99, the switch's peak memory, and side by side the same messages handled
in-process (no TCP) as a ratio, and the pilot's published volume (16,000 cross-border transactions).

    .venv/bin/python benchmarks/sscard.py [--cards 1000] [--seconds 15] [--levels 1,8,32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bayfin import migrations
from bayfin.bootstrap import build_platform
from bayfin.kernel.settings import Settings
from bayfin.sscard.accounts.ledger import check_ledger
from bayfin.sscard.domain import CardState
from bayfin.sscard.keys import KeyDelivery, SoftwareKeyStore, encrypt_pin_block, retail_mac
from bayfin.sscard.switch import iso
from bayfin.sscard.switch.acquirer import Acquirer, CardData, SwitchConnection
from bayfin.sscard.switch.links import Link, LinkSession
from bayfin.sscard.wiring import services

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB = "bayfin_bench_sscard"
URL = f"postgresql://postgres@127.0.0.1:5432/{DB}"
PILOT_CROSS_BORDER_TXNS = 16_000


def fresh_database() -> None:
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB}"'))
    admin.dispose()


ACQUIRER = "34400001"
PIN = "2468"


def seed(settings: Settings, cards: int) -> tuple[list[str], dict[str, CardData]]:
    platform = build_platform(settings)
    migrations.upgrade(platform.engine)
    svc = services(platform)
    pans = []
    card_data: dict[str, CardData] = {}
    with platform.unit_of_work() as uow:
        now = platform.clock.now()
        svc.cards.seed(uow.session, now)
        for i in range(cards):
            holder = svc.cards.register_cardholder(uow.session, name=f"持卡人{i}",
                                                   id_number=f"440106{i:011d}X", now=now)
            issued = svc.cards.issue_card(uow.session, cardholder_id=holder.id,
                                          bank_id=["ICBC", "BOC", "CGB", "CCB", "ABC"][i % 5], now=now,
                                          pin=PIN)
            svc.cards.change_state(uow.session, issued.card.id, CardState.active, now)
            svc.cards.deposit(uow.session, issued.card.id, 100_000_000, now)
            pans.append(issued.pan)
            card_data[issued.pan] = CardData(issued.card.expiry or "", PIN)
        uow.commit()
    platform.dispose()
    return pans, card_data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def drive(port: int, pans: list[str], connections: int, seconds: float,
                acq: Acquirer) -> tuple[int, list[float], dict[str, int]]:
    latencies: list[float] = []
    codes: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    async def one(i: int) -> None:
        rng = random.Random(i)
        conn = await SwitchConnection.open("127.0.0.1", port, acq)
        try:
            while time.perf_counter() < deadline:
                request = acq.request("0100", "purchase", rng.choice(pans), rng.randrange(100, 20_000), 344)
                t0 = time.perf_counter()
                reply = await conn.call(request, timeout=30)
                latencies.append(time.perf_counter() - t0)
                codes[reply["39"]] = codes.get(reply["39"], 0) + 1
        finally:
            await conn.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return len(latencies), latencies, codes


def in_process(settings: Settings, pans: list[str], count: int, zone_key: bytes,
               card_data: dict[str, CardData]) -> float:
    """The same authorizations handed straight to the processor: no TCP, no framing, one thread."""
    platform = build_platform(settings)
    processor = services(platform).processor(platform, {"34499999": zone_key})
    acq = Acquirer(acquirer_id="34499999", start_stan=900_000, zone_key=zone_key, cards=card_data)
    link = LinkSession(Link("34499999"))
    acq.sign_on_locally(processor, link)
    rng = random.Random(99)
    t0 = time.perf_counter()
    for _ in range(count):
        acq.call_locally(processor, link, acq.request("0100", "purchase", rng.choice(pans), 1_000, 344))
    elapsed = time.perf_counter() - t0
    platform.dispose()
    return count / elapsed


def security_cost(pans: list[str], count: int = 2_000) -> tuple[float, float]:
    """Microseconds per message for the switch's MAC verification plus response MAC, and for one
    PIN verification, in the software key store (the part an HSM would take over)."""
    store = SoftwareKeyStore({ACQUIRER: bytes(range(16))}, b"k" * 32)
    keys = KeyDelivery.from_field(store.exchange_working_keys(ACQUIRER).to_field()).unwrap(bytes(range(16)))
    acq = Acquirer(acquirer_id=ACQUIRER)
    message = iso.encode_for_mac(acq.request("0100", "purchase", pans[0], 1_000, 344))[:-8]
    mac = retail_mac(keys.tak, message)
    t0 = time.perf_counter()
    for _ in range(count):
        store.verify_mac(ACQUIRER, message, mac)
        store.generate_mac(ACQUIRER, message)
    mac_us = (time.perf_counter() - t0) / count * 1e6
    block = encrypt_pin_block(keys.tpk, PIN, pans[0])
    reference = store.pin_reference(pans[0], PIN)
    t0 = time.perf_counter()
    for _ in range(count):
        store.verify_pin(ACQUIRER, pans[0], block, reference)
    return mac_us, (time.perf_counter() - t0) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    env = dict(os.environ, BAYFIN_DATABASE_URL=URL, BAYFIN_DATA_DIR="var/bench-sscard",
               BAYFIN_DATABASE_POOL_SIZE=str(args.workers + 2))
    os.environ.update(env)
    settings = Settings()
    fresh_database()
    t0 = time.perf_counter()
    pans, card_data = seed(settings, args.cards)
    print(f"seeded {args.cards} funded cards in {time.perf_counter() - t0:.1f}s")

    port = free_port()
    zone_key = secrets.token_bytes(16)
    links = Path("var/bench-sscard/links.json")
    links.parent.mkdir(parents=True, exist_ok=True)
    links.write_text(json.dumps([{"acquirer": ACQUIRER, "port": port, "zone_key": zone_key.hex(),
                                  "max_connections": max(levels) + 1, "idle_timeout": 120}]))
    switch = subprocess.Popen([str(Path(sys.executable).parent / "bayfin"), "sscard", "switch", "serve",
                               "--links", str(links), "--workers", str(args.workers)], env=env,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert switch.stderr is not None
        for line in switch.stderr:  # wait for "listening on …" (warnings may come first)
            if "listening on" in line:
                break
        else:
            raise SystemExit("the switch exited before listening")
        rows = []
        for n, connections in enumerate(levels):
            acq = Acquirer(acquirer_id=ACQUIRER, start_stan=(n + 1) * 100_000, zone_key=zone_key,
                           cards=card_data)
            count, lat, codes = asyncio.run(drive(port, pans, connections, args.seconds, acq))
            lat.sort()
            rows.append((connections, count / args.seconds, statistics.median(lat) * 1000,
                         lat[int(len(lat) * 0.99) - 1] * 1000, codes))
        switch_peak = peak_rss_mib(switch.pid)
    finally:
        switch.terminate()
        switch.wait(timeout=30)

    direct = in_process(settings, pans, 500, zone_key, card_data)
    mac_us, pin_us = security_cost(pans)
    platform = build_platform(settings)
    with platform.session_factory() as session:
        report = check_ledger(session)
    platform.dispose()

    print(f"\nsscard switch — 0100 authorizations over TCP, ledger on PostgreSQL ({DB}), "
          f"{args.workers} DB worker threads, {args.seconds:.0f}s per level")
    print(f"{'connections':>11} {'auth/s':>9} {'p50 ms':>8} {'p99 ms':>8}  response codes")
    for connections, rate, p50, p99, codes in rows:
        print(f"{connections:>11} {rate:>9.0f} {p50:>8.2f} {p99:>8.2f}  {codes}")
    best = max(r[1] for r in rows)
    print(f"\npeak memory: switch process {switch_peak:.0f} MiB, "
          f"benchmark process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"peer (same messages in-process, no TCP, 1 thread): {direct:.0f} auth/s; "
          f"TCP best / in-process = {best / direct:.2f}")
    print(f"card security per authorization (software key store): MAC verify + response MAC "
          f"{mac_us:.0f} µs, PIN verify {pin_us:.0f} µs")
    print(f"pilot scale: {PILOT_CROSS_BORDER_TXNS} cross-border transactions (all-time) would take "
          f"{PILOT_CROSS_BORDER_TXNS / best:.0f}s at {best:.0f} auth/s")
    print(f"ledger after run: ok={report.ok} currency totals={report.currency_totals}")


if __name__ == "__main__":
    main()
