"""Every compliance rule on the database: planted faults raise alarms, healthy terminals stay quiet."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import FixedClock
from bayfin.terminals import domain as d
from bayfin.terminals import medical
from bayfin.terminals import repository as repo
from bayfin.terminals.models import Alarm
from bayfin.terminals.service import TerminalsService, encode_signed
from tests.integration.terminals.conftest import HONEST_BILLS, CardPayments, Fleet

AT_SHOP = {"lat": 22.2221, "lon": 113.5441, "accuracy_m": 10, "source": "gps"}
AT_HOSPITAL = {"lat": 22.2711, "lon": 113.5671, "accuracy_m": 15, "source": "wifi"}


class Terminal:
    """Drives one provisioned terminal through the service, as the ingest worker would."""

    def __init__(self, fleet: Fleet, session_factory: sessionmaker[Session], clock: FixedClock) -> None:
        self.fleet, self.factory, self.clock = fleet, session_factory, clock
        with session_factory() as s:
            nonce = uuid.uuid4().hex
            sig = d.sign(fleet.secret, f"{fleet.serial}:{nonce}")
            result = fleet.service.provision(s, {"serial": fleet.serial, "profile": fleet.profile,
                                                 "nonce": nonce, "signature": sig}, clock.now())
            s.commit()
        assert result.accepted and result.device_key
        self.key = result.device_key
        self.counter = self.seq = 0

    @property
    def service(self) -> TerminalsService:
        return self.fleet.service

    def send(self, *, txns: int = 0, position: dict[str, Any] | None = None, booked_at: str | None = None,
             **extra: Any) -> list[Alarm]:
        self.counter += txns
        self.seq += 1
        body: dict[str, Any] = {"ts": self.clock.now().timestamp(), "seq": self.seq,
                                "txn_counter": self.counter, **extra}
        if txns:
            body["txn"] = {"count": txns, "site": booked_at or self.fleet.pharmacy}
        if position is not None:
            body["position"] = position
        with self.factory() as s:
            raised = self.service.ingest(s, self.fleet.serial, encode_signed(self.key, body),
                                         self.clock.now())
            s.commit()
        return raised

    def alarms(self) -> dict[str, Alarm]:
        with self.factory() as s:
            rows = s.scalars(select(Alarm).where(Alarm.terminal_id == self.fleet.terminal_id,
                                                 Alarm.cleared.is_(False))).all()
            return {a.rule: a for a in rows}


@pytest.fixture
def term(fleet: Fleet, session_factory: sessionmaker[Session], clock: FixedClock) -> Terminal:
    return Terminal(fleet, session_factory, clock)


def healthy_day(term: Terminal, hours: int = 3) -> None:
    """A normal shop: a heartbeat a minute, a sale every few minutes, always at its counter."""
    for minute in range(hours * 60):
        term.clock.advance(minutes=1)
        term.send(txns=1 if minute % 4 == 0 else 0, position=AT_SHOP if minute % 10 == 0 else None)


def test_a_healthy_terminal_raises_nothing_over_hours_of_telemetry(term: Terminal) -> None:
    healthy_day(term)
    assert term.alarms() == {}


def test_silence_beyond_the_timeout_raises_offline_and_the_next_heartbeat_clears_it(term: Terminal) -> None:
    term.send()
    with term.factory() as s:
        term.clock.advance(seconds=179)
        assert term.service.sweep_offline(s, term.clock.now()) == []
        term.clock.advance(seconds=2)
        raised = term.service.sweep_offline(s, term.clock.now())
        s.commit()
    assert [a.rule for a in raised] == ["offline"] and raised[0].evidence["silent_s"] == 181
    with term.factory() as s:  # a second sweep does not duplicate the alarm
        assert term.service.sweep_offline(s, term.clock.now()) == []
    term.send()
    assert "offline" not in term.alarms()


def test_a_fix_outside_the_fence_raises_geofence_but_a_coarse_cell_fix_does_not(term: Terminal) -> None:
    coarse = {"lat": 22.2260, "lon": 113.5440, "accuracy_m": 800, "source": "cell"}  # 440 m away, ±800 m
    term.send(position=coarse)
    assert "geofence" not in term.alarms()
    moved = {"lat": 22.3500, "lon": 113.5900, "accuracy_m": 30, "source": "gps"}
    term.send(position=moved)
    alarm = term.alarms()["geofence"]
    assert alarm.evidence["distance_m"] > 14_000 and alarm.severity == "CRITICAL"
    term.send(position=AT_SHOP)
    assert "geofence" not in term.alarms()


def test_sales_after_closing_time_raise_after_hours(term: Terminal) -> None:
    term.send(txns=2)
    assert "after_hours" not in term.alarms()
    term.clock.advance(hours=13)  # 23:00 China time, the pharmacy closed at 22:00
    term.send(txns=1)
    alarm = term.alarms()["after_hours"]
    assert alarm.evidence == {"transactions": 1, "local_time": "Wed 23:00"}


def test_sales_booked_for_the_pharmacy_from_a_terminal_seen_at_the_hospital_raise_cross_site(
        term: Terminal) -> None:
    term.send(txns=1, position=AT_HOSPITAL)
    alarm = term.alarms()["cross_site"]
    assert alarm.evidence["booked_site"] == term.fleet.pharmacy
    assert alarm.evidence["seen_at_site"] == term.fleet.hospital


def test_a_sale_without_a_fix_is_placed_by_the_last_fix_the_terminal_reported(term: Terminal) -> None:
    term.send(position=AT_HOSPITAL)
    assert "cross_site" not in term.alarms()  # no sale yet: only the geofence alarm
    term.clock.advance(minutes=1)
    term.send(txns=2)
    alarm = term.alarms()["cross_site"]
    assert (alarm.evidence["seen_at_site"], alarm.evidence["transactions"]) == (term.fleet.hospital, 2)


def test_sales_booked_under_another_sites_name_at_the_terminals_own_counter_raise_cross_site(
        term: Terminal) -> None:
    term.send(txns=1, position=AT_SHOP)
    assert "cross_site" not in term.alarms()
    term.send(txns=1, booked_at=term.fleet.hospital)
    alarm = term.alarms()["cross_site"]
    assert (alarm.evidence["booked_site"], alarm.evidence["seen_at_site"]) == (term.fleet.hospital,
                                                                              term.fleet.pharmacy)


def test_a_sale_from_a_terminal_that_never_reported_a_fix_raises_no_cross_site(term: Terminal) -> None:
    term.send(txns=3, booked_at=term.fleet.hospital)
    assert term.alarms() == {}


def test_a_malformed_sale_count_is_ignored_without_losing_the_heartbeat(term: Terminal) -> None:
    term.send(position=AT_SHOP, txn={"count": "lots"})
    with term.factory() as s:
        assert repo.terminal_by_serial(s, term.fleet.serial).last_accuracy_m == 10  # type: ignore[union-attr]
    assert term.alarms() == {}


def test_a_burst_far_above_the_baseline_raises_a_spike(term: Terminal) -> None:
    healthy_day(term, hours=1)
    assert "txn_spike" not in term.alarms()
    term.clock.advance(minutes=1)
    term.send(txns=12)  # 720 an hour against a baseline of about 15
    alarm = term.alarms()["txn_spike"]
    assert alarm.evidence["rate_per_hour"] == 720


def test_tamper_flags_raise_a_critical_alarm(term: Terminal) -> None:
    term.send(tamper=["case_open"])
    assert term.alarms()["tamper"].severity == "CRITICAL"


def test_round_medical_payments_at_a_pharmacy_raise_non_medical_and_ordinary_bills_do_not(
        fleet: Fleet, session: Session, card_payments: CardPayments, clock: FixedClock) -> None:
    now = clock.now()
    honest, abuser = card_payments.card(session, now), card_payments.card(session, now)
    for i, total in enumerate(HONEST_BILLS):
        card_payments.pay(session, honest, total, fleet.hospital, now + timedelta(minutes=5 * i))
    for i in range(7):
        card_payments.pay(session, abuser, 20_000 if i % 2 else 50_000, fleet.pharmacy,
                          now + timedelta(minutes=5 * i))
    raised = medical.scan_since(session, now - timedelta(hours=1), now + timedelta(hours=1))
    session.flush()
    pharmacy = repo.site_by_code(session, fleet.pharmacy)
    assert [(a.rule, a.site_id) for a in raised] == [("non_medical", pharmacy.id)]  # type: ignore[union-attr]
    assert raised[0].evidence["round_amount_share"] == 1.0
    assert len(raised[0].evidence["txn_ids"]) == 7


def test_alarms_move_through_the_four_states(term: Terminal) -> None:
    term.send(tamper=["pinpad_removed"])
    alarm = term.alarms()["tamper"]
    state = d.alarm_status(cleared=alarm.cleared, acknowledged=alarm.acknowledged)
    assert state == d.AlarmStatus.active_unack
    with term.factory() as s:
        term.service.acknowledge(s, alarm.id, "ops-1", term.clock.now())
        acked = term.service.clear(s, alarm.id, term.clock.now())
        s.commit()
    assert d.alarm_status(cleared=acked.cleared, acknowledged=acked.acknowledged) == d.AlarmStatus.cleared_ack


def test_a_replayed_heartbeat_cannot_keep_a_silent_terminal_alive(term: Terminal) -> None:
    captured = encode_signed(term.key, {"ts": term.clock.now().timestamp(), "seq": 1})
    with term.factory() as s:  # an eavesdropper keeps a copy of a genuine heartbeat
        term.service.ingest(s, term.fleet.serial, captured, term.clock.now())
        s.commit()
    term.clock.advance(seconds=100)
    term.send()  # the terminal's last real heartbeat
    for _ in range(3):
        term.clock.advance(seconds=100)
        with term.factory() as s:
            assert term.service.ingest(s, term.fleet.serial, captured, term.clock.now()) == []
            s.commit()
    with term.factory() as s:
        raised = term.service.sweep_offline(s, term.clock.now())
        s.commit()
        refused = [e.data["reason"] for e in repo.refused_events(s) if e.serial == term.fleet.serial]
    assert [a.rule for a in raised] == ["offline"] and raised[0].evidence["silent_s"] == 300
    assert refused == ["replay"] * 3


def test_a_device_whose_clock_went_back_recovers_by_provisioning_again(term: Terminal) -> None:
    term.send()
    term.clock.advance(hours=-1)  # its real-time clock was reset
    term.send(txns=1)
    with term.factory() as s:
        assert repo.terminal_by_serial(s, term.fleet.serial).txn_counter == 0  # type: ignore[union-attr]
    fresh = Terminal(term.fleet, term.factory, term.clock)  # provisions again: a new key
    fresh.counter = term.counter
    fresh.send()
    with term.factory() as s:
        assert repo.terminal_by_serial(s, term.fleet.serial).txn_counter == 1  # type: ignore[union-attr]
