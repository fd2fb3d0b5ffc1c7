"""Property: whatever sequence of messages acquirers send, the ledger balances and nobody overdraws."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bayfin.sscard.models import LedgerTxn, SwitchMessage
from tests.integration.sscard.conftest import Ledger

# STANs keep increasing across examples: a reused STAN with new content would rightly be refused (94).
_BATCHES = itertools.count(1)
_money = st.tuples(st.sampled_from(["purchase", "withdrawal", "transfer", "auth", "balance"]),
                   st.integers(0, 2), st.integers(0, 2), st.integers(1, 80_000),
                   st.sampled_from([156, 344, 446]))
_action = st.one_of(
    _money.map(lambda m: ("money", *m)),
    st.tuples(st.just("duplicate"), st.integers(0, 50)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("garbage"), st.binary(min_size=1, max_size=40)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(_action, min_size=1, max_size=12))
def test_the_ledger_balances_after_any_sequence_of_messages(ledger: Ledger, actions: list[Any]) -> None:
    if not ledger.pans:
        for name in ("a", "b", "c"):
            ledger.add_card(name, 150_000)
    pans = list(ledger.pans.values())
    processor = ledger.processor()
    acq = ledger.acquirer(start_stan=next(_BATCHES) * 1000)
    link = ledger.local(processor, acq)
    sent: list[dict[str, str]] = []
    codes: list[str] = []
    for action in actions:
        if action[0] == "money":
            _, kind, src, dst, amount, currency = action
            mti = "0100" if kind == "auth" else "0200"
            fields = acq.request(mti, "purchase" if kind == "auth" else kind, pans[src], amount, currency,
                                 to_pan=pans[dst] if kind == "transfer" else None)
            sent.append(fields)
            codes.append(link.call(fields)["39"])
        elif action[0] == "duplicate" and sent:
            codes.append(link.call(sent[action[1] % len(sent)])["39"])
        elif action[0] == "reverse" and sent:
            reversal = acq.reversal(sent[action[1] % len(sent)])
            codes.append(link.call(reversal)["39"])
        elif action[0] == "garbage":
            reply = link.raw(b"0200" + action[1])
            assert reply["39"] in {"30", "12", "14", "13", "51", "61", "96", "94"}
    # A healthy switch declines for business reasons only, never with a malfunction.
    assert set(codes) <= {"00", "14", "51", "61", "13", "12"}
    ledger.assert_balanced()
    with ledger.factory() as s:
        # Every approved money message booked exactly one transaction, and nothing else did.
        booked = s.scalar(select(func.count()).select_from(SwitchMessage)
                          .where(SwitchMessage.txn_id.is_not(None)))
        switch_txns = s.scalar(select(func.count()).select_from(LedgerTxn)
                               .where(LedgerTxn.kind != "deposit"))
        reversed_twice = s.scalar(select(func.count()).select_from(LedgerTxn)
                                  .where(LedgerTxn.reverses_txn_id.is_not(None))
                                  .group_by(LedgerTxn.reverses_txn_id).having(func.count() > 1))
    assert booked == switch_txns
    assert reversed_twice is None
