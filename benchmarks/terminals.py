"""Benchmark: terminal telemetry ingestion over MQTT (Mosquitto) into PostgreSQL, with the rules.

Phase 1 (sustained): the simulated fleet (default 2,000 terminals, planted faults: moved, dead,
after-hours) publishes at 10× its normal rate (one message per terminal every 3 s instead of 30 s)
from a separate process, while another process books round-sum medical-insurance card payments at
three pharmacies through the card module; the ingest worker consumes, stores and evaluates every rule
(the non-medical scan every 10 s). Beside it, a counting-only paho subscriber in its own process
receives the same load. Prints messages/s sustained and the ratio to the bare subscriber, the
backlog, alarm latency from the event's own timestamp (publication, or the card payment) to the
alarm's commit (p50/p99, per rule), planted faults found, healthy ones alarmed, and peak memory.
Phase 2 (ceiling): a flood of the same signed messages, consumed once by a bare paho-mqtt subscriber
(counting only) and once by the ingest worker; the ratio is ingest / bare subscriber.

    .venv/bin/python benchmarks/terminals.py [--terminals 2000] [--seconds 60] [--flood 40000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, func, select, text, update

from bayfin import migrations
from bayfin.bootstrap import build_platform
from bayfin.integrations.mqtt_terminals import make_client
from bayfin.kernel.settings import Settings
from bayfin.simulation.terminals import simulator
from bayfin.sscard.accounts.payments import MedicalPolicy, PaymentService
from bayfin.sscard.domain import CardState
from bayfin.sscard.wiring import services as sscard_services
from bayfin.terminals.ingest import IngestWorker
from bayfin.terminals.models import Alarm, Site, Terminal
from bayfin.terminals.service import TOPIC_ROOT, encode_signed
from bayfin.terminals.wiring import ingest_worker, terminals_service

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB = "bayfin_bench_terminals"
URL = f"postgresql://postgres@127.0.0.1:5432/{DB}"
MQTT = "mqtt://127.0.0.1:1883"


def bench_settings() -> Settings:
    """The benchmark's settings (the same in every process)."""
    return Settings(environment="test", database_url=URL, mqtt_url=MQTT, log_level="WARNING",
                    audit_key="bench-audit-key-0123456789abcdef0123456789", audit_seal_interval=0)


def _book_round_bills(site_codes: list[str], bills: int, pause: float) -> None:
    """In its own process: at each planted pharmacy, one medical-insurance card pays round sums, one
    bill every ``pause`` seconds, through the card module (the non-medical-purchase pattern)."""
    platform = build_platform(bench_settings())
    cards = sscard_services(platform).cards
    payments = PaymentService(cards, MedicalPolicy(Decimal("0.7"), 0, 100_000_000))
    card_of = {}
    with platform.unit_of_work() as uow:
        now = platform.clock.now()
        cards.seed(uow.session, now)
        for n, code in enumerate(site_codes):
            holder = cards.register_cardholder(uow.session, name="李明", id_number=f"44040219800101{n:04d}",
                                               now=now)
            issued = cards.issue_card(uow.session, cardholder_id=holder.id, bank_id="ICBC", now=now).card
            cards.change_state(uow.session, issued.id, CardState.active, now)
            cards.deposit(uow.session, issued.id, 50_000_000, now)
            card_of[code] = cards.issue_ecard(uow.session, physical_card_id=issued.id, channel_id="gov-01",
                                              now=now).card.id
        uow.commit()
    for _ in range(bills):
        time.sleep(pause)
        with platform.unit_of_work() as uow:
            for code, card_id in card_of.items():
                now = platform.clock.now()
                qr = payments.issue_qr(uow.session, card_id, now)
                payments.pay_medical(uow.session, qr.payload, total_minor=30_000, covered_minor=30_000,
                                     provider=code, now=now)
            uow.commit()
    platform.dispose()


def fresh_database() -> None:
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB}"'))
    admin.dispose()


def rss_mb() -> float:
    """Current resident memory of this process."""
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _simulate(fleet: simulator.Fleet, keys: dict[str, str], seconds: float, rate: float) -> None:
    simulator.run(MQTT, fleet, keys, seconds=seconds, rate=rate, client_id="bench-sim")


def _flood(keys: dict[str, str], count: int) -> None:
    """Publish ``count`` signed heartbeats as fast as paho allows."""
    client = make_client(MQTT, f"bench-flood-{os.getpid()}")
    serials = list(keys)
    for i in range(count):
        serial = serials[i % len(serials)]
        info = client.publish(f"{TOPIC_ROOT}/{serial}/telemetry",
                              encode_signed(keys[serial], {"ts": time.time(), "seq": i, "txn_counter": i}),
                              qos=1)
        if i % 1000 == 999:
            info.wait_for_publish(30)
    client.loop_stop()
    client.disconnect()


class Tally:
    """What a bare paho subscriber does with each message: count it and note the time."""

    def __init__(self, until: int | None = None) -> None:
        self.got = 0
        self.first = self.last = 0.0
        self.until = until
        self.done = threading.Event()

    def __call__(self, _c: Any, _u: Any, _m: Any) -> None:
        self.got += 1
        self.last = time.monotonic()
        if self.got == 1:
            self.first = self.last
        if self.until is not None and self.got >= self.until:
            self.done.set()

    def rate(self) -> float:
        """Messages per second between the first and the last."""
        return self.got / max(self.last - self.first, 1e-9)


def _count_received(seconds: float, result: Any) -> None:
    """In its own process: count the telemetry messages received in ``seconds``."""
    tally = Tally()
    client = make_client(MQTT, "bench-bare-live", subscriptions=(f"{TOPIC_ROOT}/+/telemetry",),
                         on_message=tally)
    time.sleep(seconds)
    client.loop_stop()
    client.disconnect()
    result.put((tally.got, tally.rate()))


def bare_subscriber(keys: dict[str, str], count: int) -> tuple[float, int]:
    """Messages/s a counting-only paho subscriber receives from the flood, and how many it never
    saw (it stops waiting 5 s after the last one arrived)."""
    tally = Tally(until=count)
    client = make_client(MQTT, "bench-bare", subscriptions=(f"{TOPIC_ROOT}/+/telemetry",),
                         on_message=tally)
    proc = multiprocessing.Process(target=_flood, args=(keys, count))
    started = time.monotonic()
    proc.start()
    while not tally.done.wait(timeout=0.5):
        if time.monotonic() - max(tally.last, started) > 5 and not proc.is_alive():
            break
    proc.join()
    client.loop_stop()
    client.disconnect()
    return tally.rate(), count - tally.got


def ingest_flood(worker: IngestWorker, keys: dict[str, str], count: int) -> tuple[float, int]:
    """Messages/s the ingest worker processes from the same flood (received → stored → rules), and
    how many it never saw (the broker drops QoS 1 messages beyond a slow client's queue limit)."""
    before = worker.stats.messages
    proc = multiprocessing.Process(target=_flood, args=(keys, count))
    start = last_progress = time.monotonic()
    seen = 0
    proc.start()
    while seen < count and time.monotonic() - last_progress < 5:
        time.sleep(0.05)
        if worker.stats.messages - before > seen:
            seen, last_progress = worker.stats.messages - before, time.monotonic()
    proc.join()
    return seen / (last_progress - start), count - seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--terminals", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--flood", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    fresh_database()
    platform = build_platform(bench_settings())
    migrations.upgrade(platform.engine)
    service = terminals_service(platform)
    # Three missed reports at 10x rate (one every 3 s): short enough for dead terminals to be found
    # within the run, long enough that healthy ones never trip it.
    service.offline_timeout = timedelta(seconds=10)
    fleet = simulator.build_fleet(args.terminals, args.seed, platform.clock.now())
    t0 = time.monotonic()
    with platform.unit_of_work() as uow:
        keys = simulator.register_fleet(uow.session, service, fleet, platform.clock.now())
        uow.commit()
    print(f"registered {len(fleet.sites)} sites, {len(fleet.terminals)} terminals "
          f"in {time.monotonic() - t0:.1f}s")

    # Registration takes longer than the offline timeout: the fleet comes online as the run starts.
    with platform.unit_of_work() as uow:
        uow.session.execute(update(Terminal).values(last_seen=platform.clock.now()))
        uow.commit()
    rss_before = rss_mb()
    worker = ingest_worker(service, platform.session_factory, platform.clock, MQTT).start()
    offered = args.terminals * args.rate / simulator.NORMAL_INTERVAL_S
    sim = multiprocessing.Process(target=_simulate, args=(fleet, keys, args.seconds, args.rate))
    # The ceiling under the same load: a counting-only paho subscriber on the same broker, in its own
    # process, receiving the same simulated fleet's messages at the same time.
    bare_result: multiprocessing.Queue[tuple[int, float]] = multiprocessing.Queue()
    bare = multiprocessing.Process(target=_count_received, args=(args.seconds + 2, bare_result))
    # Planted card abuse: three healthy pharmacies where a card pays round sums every 5 s; the
    # worker's periodic scan (every 10 s) must find each once it has six such bills.
    abused = [site.code for site in fleet.sites if site.kind == "pharmacy"][:3]
    abuse = multiprocessing.Process(target=_book_round_bills, args=(abused, 8, 5.0))
    bare.start()
    time.sleep(1.0)
    start = time.monotonic()
    sim.start()
    abuse.start()
    peak_rss, max_backlog = rss_before, 0
    while sim.is_alive():
        time.sleep(0.5)
        peak_rss, max_backlog = max(peak_rss, rss_mb()), max(max_backlog, worker.pending())
    published_window = time.monotonic() - start
    # Every terminal falls silent when the simulation stops: alarms about later events are not the run's.
    sim_end = platform.clock.now()
    processed_in_window = worker.stats.messages
    bare_got, bare_live = bare_result.get(timeout=60)
    bare.join()
    abuse.join()
    while worker.pending() and time.monotonic() - start < args.seconds + 120:
        time.sleep(0.2)
    latencies = worker.stats.latencies(until=sim_end)
    with platform.unit_of_work() as uow:
        serial_of = {r.id: r.serial for r in uow.session.execute(select(Terminal.id, Terminal.serial))}
        in_run = Alarm.event_at <= sim_end
        by_rule = {r.rule: r.n for r in uow.session.execute(
            select(Alarm.rule, func.count().label("n")).where(in_run).group_by(Alarm.rule))}
        alarmed = {serial_of[a] for a in uow.session.scalars(select(Alarm.terminal_id).where(in_run)) if a}
        code_of = {r.id: r.code for r in uow.session.execute(select(Site.id, Site.code))}
        abused_found = {code_of[a] for a in uow.session.scalars(
            select(Alarm.site_id).where(in_run, Alarm.rule == "non_medical")) if a}
    faulty = {t.serial for t in fleet.terminals if t.fault}
    print(f"\nphase 1: {args.terminals} terminals at {args.rate:g}x normal rate for {args.seconds:g}s "
          f"(offered {offered:.0f} msg/s)")
    ingest_live = processed_in_window / published_window
    print(f"  processed during the run : {ingest_live:8.0f} msg/s sustained")
    print(f"  bare paho subscriber     : {bare_live:8.0f} msg/s received ({bare_got} messages)  "
          f"ratio ingest / bare {ingest_live / bare_live:.2f}")
    print(f"  total processed          : {worker.stats.messages}  max backlog {max_backlog}")
    print(f"  alarm latency event→alarm: p50 {pct(latencies, 0.5) * 1000:.0f} ms  "
          f"p99 {pct(latencies, 0.99) * 1000:.0f} ms  (n={len(latencies)}, offline alarms count from "
          f"last_seen+timeout)")
    for rule in sorted(by_rule):
        values = worker.stats.latencies(rule, until=sim_end)
        print(f"    {rule:12s} p50 {pct(values, 0.5) * 1000:6.0f} ms  "
              f"p99 {pct(values, 0.99) * 1000:6.0f} ms  "
              f"n={len(values)}")
    print(f"  alarms by rule           : {by_rule}")
    print(f"  planted faults found     : {len(faulty & alarmed)}/{len(faulty)} terminals, "
          f"{len(abused_found & set(abused))}/{len(abused)} card-abuse sites;  healthy terminals "
          f"alarmed: {len(alarmed - faulty)}, healthy sites: {len(abused_found - set(abused))}")
    print(f"  memory (ingest process)  : {rss_before:.0f} MB before, peak {peak_rss:.0f} MB "
          f"(ru_maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")

    ingest_rate, lost = ingest_flood(worker, keys, args.flood)
    worker.close()
    bare_rate, bare_lost = bare_subscriber(keys, args.flood)
    print(f"\nphase 2: flood of {args.flood} signed messages")
    print(f"  ingest worker (store + rules): {ingest_rate:8.0f} msg/s  (not received: {lost})")
    print(f"  bare paho subscriber (count) : {bare_rate:8.0f} msg/s  (not received: {bare_lost})")
    print(f"  ratio ingest / bare          : {ingest_rate / bare_rate:.2f}")
    platform.dispose()


if __name__ == "__main__":
    main()
