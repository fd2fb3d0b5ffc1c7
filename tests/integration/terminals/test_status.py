"""Signed status messages and last wills: only the terminal itself can say it went offline, once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import FixedClock
from bayfin.simulation.terminals.device import status_message
from bayfin.terminals import domain as d
from bayfin.terminals.models import Alarm, Event
from tests.integration.terminals.conftest import Fleet


class Status:
    """Feeds status messages for the fleet's terminal straight to the service, as the worker would."""

    def __init__(self, fleet: Fleet, session_factory: sessionmaker[Session], clock: FixedClock) -> None:
        self.fleet, self.factory, self.clock = fleet, session_factory, clock
        with session_factory() as s:
            nonce = "0123456789"
            result = fleet.service.provision(s, {
                "serial": fleet.serial, "profile": fleet.profile, "nonce": nonce,
                "signature": d.sign(fleet.secret, f"{fleet.serial}:{nonce}")}, clock.now())
            s.commit()
        assert result.device_key is not None
        self.key = result.device_key

    def send(self, payload: bytes) -> list[Alarm]:
        with self.factory() as s:
            raised = self.fleet.service.status(s, self.fleet.serial, payload, self.clock.now())
            s.commit()
        return raised

    def connect(self, nonce: str, at: float) -> bytes:
        """Announce a connection whose last will carries ``nonce``; returns that signed will."""
        will = status_message(self.key, "offline", nonce=nonce, at=at)
        assert self.send(status_message(self.key, "online", nonce=nonce, at=at + 0.01)) == []
        return will

    def offline_alarms(self) -> list[Alarm]:
        with self.factory() as s:
            return list(s.scalars(select(Alarm).where(Alarm.terminal_id == self.fleet.terminal_id,
                                                      Alarm.rule == "offline")).all())

    def refusals(self) -> list[str]:
        with self.factory() as s:
            return [e.data["reason"] for e in s.scalars(
                select(Event).where(Event.terminal_id == self.fleet.terminal_id,
                                    Event.kind == "refused_status").order_by(Event.id)).all()]

    def clear_all(self) -> None:
        with self.factory() as s:
            for alarm in s.scalars(select(Alarm).where(Alarm.terminal_id == self.fleet.terminal_id)).all():
                self.fleet.service.clear(s, alarm.id, self.clock.now())
            s.commit()


@pytest.fixture
def status(fleet: Fleet, session_factory: sessionmaker[Session], clock: FixedClock) -> Status:
    return Status(fleet, session_factory, clock)


def test_the_signed_last_will_armed_at_connect_raises_one_offline_alarm(status: Status) -> None:
    will = status.connect("a1b2c3d4e5f60708", time.time())
    raised = status.send(will)
    assert [(a.rule, a.evidence["reason"]) for a in raised] == [("offline", "last_will")]
    assert status.send(will) == []  # the broker's redelivery or retained copy changes nothing
    assert len(status.offline_alarms()) == 1 and status.refusals() == []


def test_an_unsigned_or_forged_offline_raises_no_alarm_and_is_reported(status: Status) -> None:
    status.connect("a1b2c3d4e5f60708", time.time())
    assert status.send(b"") == []  # the broker clearing a retained status is no claim
    assert status.send(b"offline") == []
    forged = status_message("f" * 64, "offline", nonce="a1b2c3d4e5f60708")
    assert status.send(forged) == []
    assert status.offline_alarms() == []
    assert status.refusals() == ["unsigned", "bad_signature"]


def test_a_captured_last_will_replayed_later_is_refused(status: Status) -> None:
    started = time.time()
    old_will = status.connect("a1b2c3d4e5f60708", started)
    status.send(old_will)
    status.clear_all()
    status.connect("1122334455667788", started + 60)  # the device is back with a new will
    assert status.send(old_will) == []
    assert [a.cleared for a in status.offline_alarms()] == [True]
    assert status.refusals() == ["replay"]


def test_a_replayed_old_online_cannot_re_arm_an_old_last_will(status: Status) -> None:
    started = time.time()
    old_online = status_message(status.key, "online", nonce="a1b2c3d4e5f60708", at=started)
    old_will = status_message(status.key, "offline", nonce="a1b2c3d4e5f60708", at=started)
    status.send(old_online)
    status.connect("1122334455667788", started + 60)
    assert status.send(old_online) == []
    assert status.send(old_will) == []
    assert status.offline_alarms() == []
    assert status.refusals() == ["replay", "replay"]


def test_a_clean_close_disarms_the_last_will(status: Status) -> None:
    started = time.time()
    will = status.connect("a1b2c3d4e5f60708", started)
    status.send(status_message(status.key, "closed", at=started + 30))
    assert status.send(will) == []
    assert status.offline_alarms() == [] and status.refusals() == ["replay"]
