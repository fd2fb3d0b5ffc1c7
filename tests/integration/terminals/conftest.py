"""Fixtures for terminal monitoring against the database and the real Mosquitto."""

from __future__ import annotations

import fcntl
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import FixedClock
from bayfin.kernel.platform import Platform
from bayfin.terminals.service import TerminalsService
from bayfin.terminals.wiring import terminals_service
from tests.services import require_service

#: Always-open hours for a hospital; a pharmacy opens 08:00-22:00 China time every day.
ALL_DAY = {str(day): [["00:00", "24:00"]] for day in range(1, 8)}
SHOP_HOURS = {str(day): [["08:00", "22:00"]] for day in range(1, 8)}
#: Ordinary pharmacy and hospital bills in fen: odd amounts, one payment each.
HONEST_BILLS = [3_470, 12_850, 6_020, 2_210, 8_990, 4_460, 15_530]
#: Wednesday 2026-11-25 10:00 China time: the pharmacy is open.
OPEN_TIME = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@dataclass
class Fleet:
    """A pharmacy and a hospital in Zhuhai, a profile and one registered terminal at the pharmacy."""

    service: TerminalsService
    serial: str
    terminal_id: str
    profile: str
    secret: str
    pharmacy: str
    hospital: str


@pytest.fixture
def clock() -> FixedClock:
    """The test's clock, at a time the pharmacy is open."""
    return FixedClock(OPEN_TIME)


@pytest.fixture
def fleet(platform: Platform, session_factory: sessionmaker[Session], clock: FixedClock) -> Fleet:
    """Sites, a profile and a terminal, committed."""
    service = terminals_service(platform)
    tag = uuid.uuid4().hex[:8]
    with platform.unit_of_work() as uow:
        pharmacy = service.create_site(
            uow.session, code=f"PH-{tag}", name="Gongbei pharmacy", kind="pharmacy",
            licence="YP-440402-1", lat=22.2220, lon=113.5440, geofence_m=150,
            opening_hours=SHOP_HOURS, now=clock.now())
        hospital = service.create_site(
            uow.session, code=f"HO-{tag}", name="Xiangzhou hospital", kind="hospital",
            licence="YL-440402-9", lat=22.2710, lon=113.5670, geofence_m=300,
            opening_hours=ALL_DAY, now=clock.now())
        _, secret = service.create_profile(uow.session, f"icbc-{tag}", "ICBC", clock.now())
        terminal = service.register_terminal(
            uow.session, serial=f"SN{tag}", model="PAX-A920", firmware="1.0.0",
            site_code=pharmacy.code, bank_id="ICBC", profile_key=f"icbc-{tag}")
        uow.commit()
    return Fleet(service, terminal.serial, terminal.id, f"icbc-{tag}", secret, pharmacy.code, hospital.code)


@pytest.fixture
def mqtt_url() -> Iterator[str]:
    """The running Mosquitto, held by one test at a time across xdist workers: every ingest worker
    subscribes to the shared provisioning topic, so two tests' workers would answer each other."""
    url = require_service("mqtt")
    with open(os.path.join(tempfile.gettempdir(), "bayfin-mqtt-tests.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield url
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def worker(platform: Platform, session_factory: sessionmaker[Session], clock: FixedClock, fleet: Fleet,
           mqtt_url: str) -> Iterator[object]:
    """An ingest worker subscribed to the broker, pumped by the test on its own thread; afterwards the
    test terminal's retained status is cleared, so the broker does not collect them run after run."""
    from bayfin.terminals.wiring import ingest_worker

    found = ingest_worker(terminals_service(platform), session_factory, clock, mqtt_url,
                         client_id=f"ingest-{uuid.uuid4().hex[:8]}")
    yield found
    found.connection.client.publish(f"bayfin/terminals/{fleet.serial}/status", b"", qos=1,
                         retain=True).wait_for_publish(5)
    found.connection.client.loop_stop()
    found.connection.client.disconnect()


class CardPayments:
    """Medical-insurance payments booked through the social-security-card module, as pharmacies and
    hospitals would book them."""

    def __init__(self, platform: Platform) -> None:
        from decimal import Decimal

        from bayfin.sscard.accounts.payments import MedicalPolicy, PaymentService
        from bayfin.sscard.wiring import services as sscard_services

        self.cards = sscard_services(platform).cards
        self.payments = PaymentService(self.cards, MedicalPolicy(Decimal("0.7"), 0, 10_000_000))
        self._seeded = False
        self._holders = 0

    def card(self, session: Session, now: datetime) -> str:
        """A new active electronic card with money on its account."""
        from bayfin.sscard.domain import CardState

        if not self._seeded:
            self.cards.seed(session, now)
            self._seeded = True
        self._holders += 1
        holder = self.cards.register_cardholder(
            session, name="李明", id_number=f"4404021980{uuid.uuid4().int % 10**8:08d}", now=now)
        issued = self.cards.issue_card(session, cardholder_id=holder.id, bank_id="ICBC", now=now).card
        self.cards.change_state(session, issued.id, CardState.active, now)
        self.cards.deposit(session, issued.id, 5_000_000, now)
        return self.cards.issue_ecard(session, physical_card_id=issued.id, channel_id="gov-01",
                                      now=now).card.id

    def pay(self, session: Session, card_id: str, total_minor: int, site_code: str, at: datetime) -> None:
        """Pay a bill at a site with the card's payment code."""
        code = self.payments.issue_qr(session, card_id, at)
        self.payments.pay_medical(session, code.payload, total_minor=total_minor, covered_minor=total_minor,
                                  provider=site_code, now=at)


@pytest.fixture
def card_payments(platform: Platform) -> CardPayments:
    """Books medical-insurance card payments through the card module."""
    return CardPayments(platform)
