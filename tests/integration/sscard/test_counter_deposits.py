"""Counter deposits on committed rows: two requests with one reference racing on real connections
(PostgreSQL's unique index makes the second wait for the first, then skip) credit the card once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import transaction
from bayfin.kernel.errors import Conflict
from bayfin.sscard import models as m
from bayfin.sscard.domain import CardState


def _deposit(ledger, card_id: str, amount: int, reference: str, hold: float = 0.0) -> bool:
    with transaction(ledger.factory) as s:
        outcome = ledger.cards.counter_deposit(s, card_id=card_id, amount_minor=amount, source="BR-9",
                                               reference=reference, requested_by="teller", now=utcnow())
        threading.Event().wait(hold)  # keep the claim uncommitted while the other request arrives
        return outcome.replayed


def test_racing_deposits_with_one_reference_credit_once(ledger):
    ledger.add_card("林", 0)
    card_id = ledger.card_ids["林"]
    before = ledger.txn_count()
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def counter() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(_deposit(ledger, card_id, 700, "RACE-1", hold=0.3))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=counter) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    if ledger.factory.kw["bind"].dialect.name == "sqlite" and errors:
        # SQLite has one writer: the loser's read snapshot is stale once the winner commits, so it
        # fails fast ("database is locked", a 503 to retry through the API) instead of waiting. Never
        # a second credit; its retry replays the first deposit.
        assert len(errors) == 1 and isinstance(errors[0], OperationalError), errors
        assert outcomes == [False]
        outcomes.append(_deposit(ledger, card_id, 700, "RACE-1"))
    assert not errors or ledger.factory.kw["bind"].dialect.name == "sqlite", errors
    assert sorted(outcomes) == [False, True]
    assert ledger.balance("林") == 700
    assert ledger.txn_count() == before + 1
    with ledger.factory() as s:
        assert s.scalar(select(func.count()).select_from(m.CounterDeposit)) == 1
    ledger.assert_balanced()


def test_a_failed_deposit_frees_its_reference(ledger):
    """A deposit that is refused rolls back its claim: the reference can be used once the cause is
    fixed (here: the first attempt named a card that does not take deposits)."""
    ledger.add_card("何", 0)
    ledger.add_card("梁", 0, state=CardState.cancelled)
    with pytest.raises(Conflict):
        _deposit(ledger, ledger.card_ids["梁"], 500, "FIX-1")
    assert _deposit(ledger, ledger.card_ids["何"], 500, "FIX-1") is False
    assert ledger.balance("何") == 500 and ledger.balance("梁") == 0
