"""The non-medical-purchase rule run by the ingest worker over the card module's new payments."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import FixedClock
from bayfin.kernel.platform import Platform
from bayfin.terminals import medical
from bayfin.terminals import repository as repo
from bayfin.terminals.models import Alarm
from bayfin.terminals.wiring import ingest_worker, terminals_service
from tests.integration.terminals.conftest import HONEST_BILLS, CardPayments, Fleet


def site_alarms(session: Session, site_code: str) -> list[Alarm]:
    site = repo.site_by_code(session, site_code)
    assert site is not None
    return list(session.scalars(select(Alarm).where(Alarm.site_id == site.id)).all())


def book(session: Session, card_payments: CardPayments, card: str, totals: list[int], site: str,
         clock: FixedClock) -> None:
    for total in totals:
        clock.advance(minutes=5)
        card_payments.pay(session, card, total, site, clock.now())


def test_a_scan_raises_a_site_alarm_for_round_bills_once_and_leaves_honest_bills_alone(
        fleet: Fleet, session: Session, card_payments: CardPayments, clock: FixedClock) -> None:
    honest, abuser = card_payments.card(session, clock.now()), card_payments.card(session, clock.now())
    book(session, card_payments, honest, HONEST_BILLS, fleet.hospital, clock)
    book(session, card_payments, abuser, [50_000, 20_000] * 3 + [50_000], fleet.pharmacy, clock)
    raised = medical.scan_increment(session, clock.now())
    session.flush()
    assert [a.evidence["payments"] for a in raised] == [7]
    assert [a.rule for a in site_alarms(session, fleet.pharmacy)] == ["non_medical"]
    assert site_alarms(session, fleet.hospital) == []
    assert medical.scan_increment(session, clock.now()) == []  # nothing new, nothing raised


def test_new_payments_refresh_the_active_alarm_instead_of_raising_another(
        fleet: Fleet, session: Session, card_payments: CardPayments, clock: FixedClock) -> None:
    abuser = card_payments.card(session, clock.now())
    book(session, card_payments, abuser, [30_000] * 6, fleet.pharmacy, clock)
    first = medical.scan_increment(session, clock.now())
    session.flush()
    book(session, card_payments, abuser, [40_000], fleet.pharmacy, clock)
    again = medical.scan_increment(session, clock.now())
    session.flush()
    assert again == first and again[0].evidence["payments"] == 7 and again[0].evidence["repeats"] == 1
    assert len(site_alarms(session, fleet.pharmacy)) == 1


def test_after_an_operator_clears_it_only_later_payments_are_judged(
        fleet: Fleet, session: Session, card_payments: CardPayments, clock: FixedClock) -> None:
    abuser = card_payments.card(session, clock.now())
    book(session, card_payments, abuser, [30_000] * 6, fleet.pharmacy, clock)
    [alarm] = medical.scan_increment(session, clock.now())
    session.flush()
    fleet.service.clear(session, alarm.id, clock.now())
    book(session, card_payments, abuser, [30_000], fleet.pharmacy, clock)
    assert medical.scan_increment(session, clock.now()) == []  # one new bill is no pattern
    book(session, card_payments, abuser, [10_000] * 5, fleet.pharmacy, clock)
    [second] = medical.scan_increment(session, clock.now())
    session.flush()
    assert second.id != alarm.id and second.evidence["payments"] == 6


def test_payments_older_than_the_window_are_not_judged_with_new_ones(
        fleet: Fleet, session: Session, card_payments: CardPayments, clock: FixedClock) -> None:
    abuser = card_payments.card(session, clock.now())
    book(session, card_payments, abuser, [30_000] * 3, fleet.pharmacy, clock)
    assert medical.scan_increment(session, clock.now()) == []
    clock.advance(days=2)
    book(session, card_payments, abuser, [30_000] * 3, fleet.pharmacy, clock)
    assert medical.scan_increment(session, clock.now()) == []


@pytest.mark.mqtt
def test_the_running_ingest_worker_finds_the_pattern_among_telemetry_without_being_asked(
        platform: Platform, session_factory: sessionmaker[Session], fleet: Fleet,
        card_payments: CardPayments, clock: FixedClock, mqtt_url: str) -> None:
    worker = ingest_worker(terminals_service(platform), session_factory, clock, mqtt_url,
                          medical_every=0.0, client_id=f"ingest-{uuid.uuid4().hex[:8]}")
    try:
        worker.tick()
        with session_factory() as s:
            abuser = card_payments.card(s, clock.now())
            book(s, card_payments, abuser, [20_000] * 7, fleet.pharmacy, clock)
            s.commit()
        worker.tick()
        worker.tick()
        with session_factory() as s:
            alarms = site_alarms(s, fleet.pharmacy)
        assert [(a.rule, a.evidence["payments"]) for a in alarms] == [("non_medical", 7)]
        assert worker.stats.latencies("non_medical") == [0.0]  # the fixed clock stands still
    finally:
        worker.connection.client.loop_stop()
        worker.connection.client.disconnect()
