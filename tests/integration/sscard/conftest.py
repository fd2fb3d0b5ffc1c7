"""Fixtures for the switch: a seeded ledger with funded cards, on committed rows (cleaned up after)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import make_session_factory, transaction
from bayfin.sscard import models as m
from bayfin.sscard.cards import CardService
from bayfin.sscard.domain import CardState, luhn_complete
from bayfin.sscard.ledger import AccountDirectory, check_ledger
from bayfin.sscard.server import SwitchServer
from bayfin.sscard.switch import SwitchProcessor

PAN_KEY = b"test-pan-key-0123456789abcdef012"
_TABLES = [m.MedicalPayment, m.QrCode, m.SwitchMessage, m.DailyUsage, m.Entry, m.LedgerTxn, m.Card,
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

    def add_card(self, name: str, deposit_minor: int, *, bank: str = "ICBC", serial: int = 0,
                 state: CardState = CardState.active, daily_limit_minor: int | None = None) -> str:
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
                                         **kwargs).card
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
        return SwitchProcessor(self.factory, pan_key=PAN_KEY, accounts=self.cards.accounts, **kwargs)


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


def run_switch(processor: SwitchProcessor,
               scenario: Callable[[str, int], Awaitable[Any]]) -> Any:
    """Start the switch on a free loopback port, run the acquirer scenario against it, stop it."""

    async def main() -> Any:
        server = SwitchServer(processor, port=0, workers=4)
        host, port = await server.start()
        try:
            return await scenario(host, port)
        finally:
            await server.close()

    return asyncio.run(main())
