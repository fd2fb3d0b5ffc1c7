"""Fixtures for the switch: a seeded ledger with funded cards, on committed rows (cleaned up after)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import make_session_factory, transaction
from bayfin.sscard import models as m
from bayfin.sscard.accounts.cards import CardService
from bayfin.sscard.accounts.ledger import AccountDirectory, check_ledger
from bayfin.sscard.domain import CardState, luhn_complete
from bayfin.sscard.keys import SoftwareKeyStore
from bayfin.sscard.switch import iso
from bayfin.sscard.switch.acquirer import Acquirer, CardData, SwitchConnection
from bayfin.sscard.switch.links import Link, LinkSession
from bayfin.sscard.switch.processor import SwitchProcessor
from bayfin.sscard.switch.server import SwitchServer

PAN_KEY = b"test-pan-key-0123456789abcdef012"
_TABLES = [m.CounterDeposit, m.MedicalPayment, m.QrCode, m.SwitchMessage, m.DailyUsage, m.Entry,
           m.LedgerTxn, m.Card,
           m.Account, m.Cardholder, m.FxRate, m.TypeLimit, m.Channel, m.Bank]


def wipe(engine: Engine) -> None:
    """Delete every sscard row (children first) so committed test data does not leak."""
    with engine.begin() as conn:
        conn.execute(m.LedgerTxn.__table__.update().values(reverses_txn_id=None))
        conn.execute(m.Card.__table__.update().values(bound_card_id=None))
        for table in _TABLES:
            conn.execute(delete(table))


@dataclass
class Ledger:
    """A seeded ledger: a session factory, the card service, and holders' card numbers by name."""

    factory: sessionmaker[Session]
    cards: CardService
    pans: dict[str, str] = field(default_factory=dict)
    card_ids: dict[str, str] = field(default_factory=dict)
    #: What terminals read from each card (expiry, PIN), shared with every acquirer of the test.
    card_data: dict[str, CardData] = field(default_factory=dict)
    #: Zone master keys of the acquirers the test created (the switch's link table).
    zone_keys: dict[str, bytes] = field(default_factory=dict)

    def acquirer(self, acquirer_id: str = "34400001", country: int = 344, terminal: str = "HKTERM01",
                 start_stan: int = 1) -> Acquirer:
        """An acquirer with a link (and zone key) on this test's switch, knowing the test's cards."""
        zone_key = self.zone_keys.setdefault(acquirer_id, hashlib.sha256(acquirer_id.encode()).digest()[:16])
        return Acquirer(acquirer_id, country, terminal, start_stan, zone_key=zone_key, cards=self.card_data)

    def keys(self) -> SoftwareKeyStore:
        """The switch's key store: the test acquirers' zone keys and the PIN verification key."""
        return SoftwareKeyStore(self.zone_keys, self.cards.pin_key)

    def add_card(self, name: str, deposit_minor: int, *, bank: str = "ICBC", serial: int = 0,
                 state: CardState = CardState.active, daily_limit_minor: int | None = None,
                 pin: str = "2468") -> str:
        """Issue, activate and fund a card; returns its number."""
        now = utcnow()
        pan = luhn_complete(f"622202{serial or len(self.pans) + 1:012d}"[:18])
        with transaction(self.factory) as s:
            holder = self.cards.register_cardholder(
                s, name=name, id_number=f"44010619900101{len(self.pans):03d}X", now=now)
            kwargs: dict[str, Any] = {}
            if daily_limit_minor is not None:
                kwargs["daily_limit_minor"] = daily_limit_minor
            card = self.cards.issue_card(s, cardholder_id=holder.id, bank_id=bank, now=now, pan=pan,
                                         pin=pin, **kwargs).card
            self.card_data[pan] = CardData(card.expiry or "", pin)
            self.cards.change_state(s, card.id, CardState.active, now)
            if deposit_minor:
                self.cards.deposit(s, card.id, deposit_minor, now)
            if state is not CardState.active:
                self.cards.change_state(s, card.id, state, now)
        self.pans[name], self.card_ids[name] = pan, card.id
        return pan

    def balance(self, name: str) -> int:
        """A holder's balance in fen."""
        with self.factory() as s:
            return self.cards.balance(s, self.card_ids[name])

    def txn_count(self) -> int:
        """How many ledger transactions exist."""
        with self.factory() as s:
            return len(s.query(m.LedgerTxn.id).all())

    def assert_balanced(self) -> None:
        """The whole ledger balances and no holder account is negative."""
        with self.factory() as s:
            report = check_ledger(s)
        assert report.ok, report

    def processor(self, **kwargs: Any) -> SwitchProcessor:
        """A switch processor on this ledger."""
        return SwitchProcessor(self.factory, pan_key=PAN_KEY, keys=self.keys(),
                               accounts=self.cards.accounts, **kwargs)

    def local(self, processor: SwitchProcessor, acq: Acquirer) -> LocalLink:
        """A signed-on in-process link of ``acq`` to ``processor`` (no TCP)."""
        link = LinkSession(Link(acq.acquirer_id))
        acq.sign_on_locally(processor, link)
        return LocalLink(processor, acq, link)


@dataclass
class LocalLink:
    """An acquirer signed on to an in-process processor: ``call`` sends a MACed request."""

    processor: SwitchProcessor
    acquirer: Acquirer
    link: LinkSession

    def call(self, fields: dict[str, str]) -> dict[str, str]:
        """Send one request and return the verified response."""
        return self.acquirer.call_locally(self.processor, self.link, fields)

    def raw(self, payload: bytes) -> dict[str, str]:
        """Send bytes as they are (no MAC added) and decode the response."""
        return iso.decode(self.processor.handle(payload, self.link))


@pytest.fixture
def ledger(engine: Engine) -> Iterator[Ledger]:
    """Committed reference data plus a helper to add funded cards; wiped afterwards."""
    wipe(engine)
    factory = make_session_factory(engine)
    cards = CardService(PAN_KEY, AccountDirectory())
    with transaction(factory) as s:
        cards.seed(s, utcnow())
    yield Ledger(factory, cards)
    wipe(engine)


@dataclass
class RunningSwitch:
    """The switch under test: one listener per acquirer link."""

    host: str
    ports: dict[str, int]

    async def connect(self, acq: Acquirer, *, sign_on: bool = True) -> SwitchConnection:
        """Connect to ``acq``'s listener; signed on with working keys unless ``sign_on`` is False."""
        return await SwitchConnection.open(self.host, self.ports[acq.acquirer_id],
                                           acq if sign_on else None)


def run_switch(ledger: Ledger, scenario: Callable[[RunningSwitch], Awaitable[Any]],
               processor: SwitchProcessor | None = None, **link_options: Any) -> Any:
    """Start the switch (a listener per acquirer the test created) on free loopback ports, run the
    acquirer scenario against it, stop it."""
    processor = processor or ledger.processor()

    async def main() -> Any:
        servers = [SwitchServer(processor, Link(acquirer_id, **link_options), workers=4)
                   for acquirer_id in ledger.zone_keys]
        ports = {}
        for server in servers:
            _, ports[server.link.acquirer_id] = await server.start()
        try:
            return await scenario(RunningSwitch("127.0.0.1", ports))
        finally:
            for server in servers:
                await server.close()

    return asyncio.run(main())
