"""Provisioning, telemetry, last will and commands over the real Mosquitto, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import FixedClock
from bayfin.kernel.platform import Platform
from bayfin.simulation.terminals.device import Device, provision, provisioning_request
from bayfin.terminals import repository as repo
from bayfin.terminals.ingest import IngestWorker
from bayfin.terminals.models import Alarm, Command, Event, Terminal
from bayfin.terminals.wiring import ingest_worker
from tests.integration.terminals.conftest import Fleet

pytestmark = pytest.mark.mqtt


def pump_until(worker: IngestWorker, check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Process messages until ``check`` returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.pump(expect=1, timeout=0.2)
        found = check()
        if found:
            return found
    raise AssertionError("condition not reached in time")


def provision_via_worker(worker: IngestWorker, url: str, fleet: Fleet,
                         secret: str | None = None) -> dict[str, Any]:
    """Run the device's provisioning request while the test pumps the worker."""
    import threading

    answer: dict[str, Any] = {}

    def device_side() -> None:
        answer.update(provision(url, fleet.serial, fleet.profile, secret or fleet.secret, timeout=10))

    thread = threading.Thread(target=device_side)
    thread.start()
    deadline = time.monotonic() + 10
    while thread.is_alive() and time.monotonic() < deadline:
        worker.pump(expect=1, timeout=0.2)
    thread.join(timeout=1)
    return answer


def alarms_of(session_factory: sessionmaker[Session], terminal_id: str) -> list[Alarm]:
    with session_factory() as s:
        return list(s.scalars(select(Alarm).where(Alarm.terminal_id == terminal_id)).all())


def test_a_terminal_with_the_profile_secret_gets_its_own_key_and_its_telemetry_is_stored(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, session_factory: sessionmaker[Session]) -> None:
    answer = provision_via_worker(worker, mqtt_url, fleet)
    assert answer["accepted"] is True and len(answer["device_key"]) == 64
    device = Device(mqtt_url, fleet.serial, answer["device_key"])
    try:
        device.telemetry({"ts": time.time(), "firmware": "1.0.1", "txn_counter": 10,
                          "position": {"lat": 22.2221, "lon": 113.5441, "accuracy_m": 8, "source": "gps"}})

        def stored() -> Terminal | None:
            with session_factory() as s:
                t = repo.terminal_by_serial(s, fleet.serial)
                return t if t is not None and t.txn_counter == 10 else None

        terminal = pump_until(worker, stored)
        assert terminal.firmware == "1.0.1" and terminal.last_accuracy_m == 8
        assert alarms_of(session_factory, fleet.terminal_id) == []  # a healthy terminal stays quiet
    finally:
        device.close()


def test_a_wrong_secret_or_an_unknown_serial_is_refused_and_reported(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, session_factory: sessionmaker[Session]) -> None:
    answer = provision_via_worker(worker, mqtt_url, fleet, secret="0" * 64)
    assert answer == {"accepted": False, "reason": "bad_signature", "device_key": None, "terminal_id": None}
    worker.connection.client.publish("bayfin/provision/request",
                          provisioning_request("SN-NOBODY-" + fleet.serial, fleet.profile, fleet.secret))

    def refused() -> list[Event]:
        with session_factory() as s:
            rows = [e for e in repo.refused_events(s) if fleet.serial in e.serial]
            return rows if len(rows) == 2 else []

    reasons = sorted(e.data["reason"] for e in pump_until(worker, refused))
    assert reasons == ["bad_signature", "unknown_device"]


def test_telemetry_signed_with_another_key_is_refused(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, session_factory: sessionmaker[Session]) -> None:
    provision_via_worker(worker, mqtt_url, fleet)
    impostor = Device(mqtt_url, fleet.serial, "f" * 64)
    try:
        impostor.telemetry({"ts": time.time(), "txn_counter": 99})

        def refused() -> list[Event]:
            with session_factory() as s:
                return [e for e in repo.refused_events(s) if e.serial == fleet.serial
                        and e.kind == "refused_telemetry"]

        assert pump_until(worker, refused)[0].data["reason"] == "bad_signature"
        with session_factory() as s:
            assert repo.terminal_by_serial(s, fleet.serial).txn_counter is None  # type: ignore[union-attr]
    finally:
        impostor.close()


def test_an_abrupt_disconnect_raises_an_offline_alarm_from_the_last_will(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, session_factory: sessionmaker[Session]) -> None:
    answer = provision_via_worker(worker, mqtt_url, fleet)
    device = Device(mqtt_url, fleet.serial, answer["device_key"])
    device.drop()

    def offline() -> list[Alarm]:
        return [a for a in alarms_of(session_factory, fleet.terminal_id) if a.rule == "offline"]

    # Mosquitto notices a dead socket at once when it is closed; the last will follows.
    alarm = pump_until(worker, offline, timeout=15)[0]
    assert alarm.evidence["reason"] == "last_will" and not alarm.cleared


def test_a_command_is_published_after_commit_and_acknowledged_by_the_device(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, platform: Platform,
        session_factory: sessionmaker[Session], clock: FixedClock) -> None:
    answer = provision_via_worker(worker, mqtt_url, fleet)
    device = Device(mqtt_url, fleet.serial, answer["device_key"])
    service = fleet.service
    try:
        with platform.unit_of_work() as uow:
            cmd = service.send_command(uow, fleet.terminal_id, "lock", {}, "ops-1", clock.now())
            time.sleep(0.3)
            assert device.commands == []  # nothing leaves before the commit
            uow.commit()
        assert device.received.wait(5) and device.locked

        def acknowledged() -> Command | None:
            with session_factory() as s:
                row = repo.command(s, cmd.id)
                return row if row is not None and row.state == "acknowledged" else None

        pump_until(worker, acknowledged)
        with session_factory() as s:
            assert repo.terminal(s, fleet.terminal_id).locked is True  # type: ignore[union-attr]
    finally:
        device.close()


def test_a_rolled_back_command_never_reaches_the_device(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, platform: Platform,
        session_factory: sessionmaker[Session], clock: FixedClock) -> None:
    answer = provision_via_worker(worker, mqtt_url, fleet)
    device = Device(mqtt_url, fleet.serial, answer["device_key"])
    service = fleet.service
    try:
        with platform.unit_of_work() as uow:
            cmd = service.send_command(uow, fleet.terminal_id, "configure", {"volume": 3}, "ops-1",
                                       clock.now())
            uow.rollback()
        assert not device.received.wait(1.0)
        with session_factory() as s:
            assert repo.command(s, cmd.id) is None
    finally:
        device.close()


def test_commands_are_signed_for_the_device(fleet: Fleet, platform: Platform, clock: FixedClock) -> None:
    sent: list[tuple[str, bytes]] = []
    fleet.service.publisher = type("P", (), {"publish": lambda self, t, p, qos=1: sent.append((t, p))})()
    with platform.unit_of_work() as uow:
        fleet.service.send_command(uow, fleet.terminal_id, "unlock", {}, "ops-1", clock.now())
        uow.commit()
    topic, payload = sent[0]
    assert topic.endswith(f"{fleet.serial}/commands")
    assert json.loads(payload[65:])["action"] == "unlock"


def test_a_moved_terminal_selling_after_hours_raises_both_alarms_over_the_broker(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, session_factory: sessionmaker[Session],
        clock: FixedClock) -> None:
    answer = provision_via_worker(worker, mqtt_url, fleet)
    device = Device(mqtt_url, fleet.serial, answer["device_key"])
    try:
        clock.advance(hours=13)  # 23:00 China time
        device.telemetry({"ts": clock.now().timestamp(), "txn_counter": 1, "txn": {"count": 1},
                          "position": {"lat": 22.30, "lon": 113.60, "accuracy_m": 20, "source": "gps"}})

        def both() -> set[str]:
            rules = {a.rule for a in alarms_of(session_factory, fleet.terminal_id)}
            return rules if {"geofence", "after_hours"} <= rules else set()

        assert pump_until(worker, both) == {"geofence", "after_hours"}
    finally:
        device.close()


def test_an_offline_forged_by_another_client_raises_nothing_but_the_real_last_will_does(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet, session_factory: sessionmaker[Session]) -> None:
    from bayfin.integrations.mqtt_terminals import make_client
    from bayfin.simulation.terminals.device import status_message

    answer = provision_via_worker(worker, mqtt_url, fleet)
    device = Device(mqtt_url, fleet.serial, answer["device_key"])
    intruder = make_client(mqtt_url, f"intruder-{fleet.serial}")
    topic = f"bayfin/terminals/{fleet.serial}/status"
    try:
        intruder.publish(topic, b"offline", qos=1).wait_for_publish(5)
        intruder.publish(topic, status_message("0" * 64, "offline", nonce=device.will_nonce),
                         qos=1).wait_for_publish(5)

        def refused() -> list[str]:
            with session_factory() as s:
                rows = s.scalars(select(Event).where(Event.terminal_id == fleet.terminal_id,
                                                     Event.kind == "refused_status")).all()
                return sorted(e.data["reason"] for e in rows) if len(rows) == 2 else []

        assert pump_until(worker, refused) == ["bad_signature", "unsigned"]
        assert [a for a in alarms_of(session_factory, fleet.terminal_id) if a.rule == "offline"] == []
        device.drop()

        def offline() -> list[Alarm]:
            return [a for a in alarms_of(session_factory, fleet.terminal_id) if a.rule == "offline"]

        assert pump_until(worker, offline, timeout=15)[0].evidence["reason"] == "last_will"
    finally:
        intruder.loop_stop()
        intruder.disconnect()


def test_a_heartbeat_waiting_behind_a_backlog_is_not_taken_for_silence(
        platform: Platform, mqtt_url: str, fleet: Fleet, session_factory: sessionmaker[Session],
        clock: FixedClock) -> None:
    import uuid
    from datetime import timedelta

    from bayfin.terminals import domain as d

    slow = ingest_worker(fleet.service, session_factory, clock, mqtt_url, batch=1, sweep_every=0.0,
                        client_id=f"ingest-{uuid.uuid4().hex[:8]}")
    with session_factory() as s:
        claim = {"serial": fleet.serial, "profile": fleet.profile, "nonce": "0123456789",
                 "signature": d.sign(fleet.secret, f"{fleet.serial}:0123456789")}
        key = fleet.service.provision(s, claim, clock.now()).device_key
        s.commit()
    assert key is not None
    slow.pump(expect=10**6, timeout=1.0)  # retained statuses of earlier runs' terminals
    device = Device(mqtt_url, fleet.serial, key)
    try:
        device.telemetry({"ts": clock.now().timestamp()})

        def seen() -> bool:
            with session_factory() as s:
                found = repo.terminal(s, fleet.terminal_id)
                return found is not None and found.telemetry_at is not None

        pump_until(slow, seen)
        clock.advance(seconds=170)
        device.client.publish(f"bayfin/terminals/NOBODY-{fleet.serial}/telemetry", b"x", qos=1)
        device.telemetry({"ts": clock.now().timestamp()}).wait_for_publish(5)
        deadline = time.monotonic() + 10
        while slow.pending() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        clock.advance(seconds=100)  # the heartbeat is 100 s old when the worker reaches it

        def heartbeat_applied() -> bool:
            with session_factory() as s:
                found = repo.terminal(s, fleet.terminal_id)
                return found is not None and found.telemetry_at == clock.now() - timedelta(seconds=100)

        while not heartbeat_applied() and time.monotonic() < deadline:
            slow.tick()  # first the stranger's message, one at a time, with a sweep after each
            assert alarms_of(session_factory, fleet.terminal_id) == []
        assert heartbeat_applied()
        slow.tick()  # an idle turn sweeps as of now: 100 s of silence is within the timeout
        assert alarms_of(session_factory, fleet.terminal_id) == []
    finally:
        device.close()
        slow.connection.client.loop_stop()
        slow.connection.client.disconnect()


def test_a_client_listening_on_the_answer_topic_never_sees_the_device_key(
        worker: IngestWorker, mqtt_url: str, fleet: Fleet) -> None:
    import queue

    from bayfin.integrations.mqtt_terminals import make_client

    overheard: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    eavesdropper = make_client(mqtt_url, f"eavesdropper-{fleet.serial}",
                               subscriptions=("bayfin/provision/+/response",),
                               on_message=lambda _c, _u, m: overheard.put(bytes(m.payload)))
    try:
        answer = provision_via_worker(worker, mqtt_url, fleet)
        heard = json.loads(overheard.get(timeout=5))
    finally:
        eavesdropper.loop_stop()
        eavesdropper.disconnect()
    assert answer["accepted"] is True and len(answer["device_key"]) == 64
    assert answer["device_key"] not in json.dumps(heard) and "device_key" not in heard
    assert fleet.service.device_key(fleet_terminal(fleet, worker)) == answer["device_key"]


def fleet_terminal(fleet: Fleet, worker: IngestWorker) -> Terminal:
    with worker.session_factory() as s:
        found = repo.terminal(s, fleet.terminal_id)
        assert found is not None
        return found
