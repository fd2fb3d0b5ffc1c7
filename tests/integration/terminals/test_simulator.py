"""The simulated fleet over the real broker: every planted fault is found and healthy terminals stay quiet."""

from __future__ import annotations

import random
import threading
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import SystemClock
from bayfin.kernel.platform import Platform
from bayfin.simulation.terminals import simulator
from bayfin.terminals.models import Alarm, Terminal
from bayfin.terminals.wiring import ingest_worker, terminals_service

pytestmark = pytest.mark.mqtt


def test_the_same_seed_builds_the_same_fleet_with_each_fault_planted() -> None:
    now = SystemClock().now()
    one, two = simulator.build_fleet(300, 11, now), simulator.build_fleet(300, 11, now)
    assert [t.serial for t in one.terminals] == [t.serial for t in two.terminals]
    assert [(s.lat, s.lon) for s in one.sites] == [(s.lat, s.lon) for s in two.sites]
    assert {f: len(one.faulty(f)) for f in simulator.FAULTS} == {"moved": 3, "dead": 3, "after_hours": 3}


def test_planted_faults_raise_their_alarms_and_healthy_terminals_stay_quiet(
        platform: Platform, session_factory: sessionmaker[Session], mqtt_url: str) -> None:
    from datetime import timedelta

    service = terminals_service(platform)
    service.offline_timeout = timedelta(seconds=1.5)
    clock = SystemClock()
    seed = random.randrange(100, 10**6)
    fleet = simulator.build_fleet(40, seed, clock.now())
    with session_factory() as s:
        keys = simulator.register_fleet(s, service, fleet, clock.now())
        s.commit()
    worker = ingest_worker(service, session_factory, clock, mqtt_url,
                          client_id=f"ingest-{uuid.uuid4().hex[:8]}")
    try:
        sim = threading.Thread(target=simulator.run, args=(mqtt_url, fleet, keys),
                               kwargs={"seconds": 3.0, "rate": 60.0, "client_id": f"sim-{seed}"})
        sim.start()
        while sim.is_alive():
            worker.pump(expect=50, timeout=0.2)
        worker.pump(expect=1000, timeout=0.5)
        with session_factory() as s:
            service.sweep_offline(s, clock.now())
            s.commit()
    finally:
        worker.connection.client.loop_stop()
        worker.connection.client.disconnect()
    assert worker.stats.messages >= 200
    with session_factory() as s:
        serial_of = {row.id: row.serial for row in s.execute(select(Terminal.id, Terminal.serial))}
        found: dict[str, set[str]] = {}
        for alarm in s.scalars(select(Alarm).where(Alarm.terminal_id.is_not(None))).all():
            found.setdefault(serial_of[alarm.terminal_id], set()).add(alarm.rule)  # type: ignore[index]
    expected = {"moved": "geofence", "dead": "offline", "after_hours": "after_hours"}
    for fault, rule in expected.items():
        for serial in fleet.faulty(fault):
            assert rule in found.get(serial, set()), (fault, serial, found.get(serial))
    faulty = {t.serial for t in fleet.terminals if t.fault}
    assert {serial for serial in found if serial not in faulty} == set()
