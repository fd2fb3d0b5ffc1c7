"""Partial reversals (field 95), reversal advices (0420/0421) with repeats answered from the stored
outcome, and refunds (processing code 20)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bayfin.kernel.clock import utcnow
from bayfin.sscard.domain import business_date
from bayfin.sscard.models import SwitchMessage
from bayfin.sscard.settlement.service import clearing
from bayfin.sscard.switch.acquirer import Acquirer
from bayfin.sscard.switch.holds import expire_holds
from tests.integration.sscard.conftest import Ledger


def test_a_partial_reversal_gives_back_only_what_was_not_dispensed(ledger: Ledger) -> None:
    ledger.add_card("atm", 100_000)
    acq = ledger.acquirer("44600001", 446, "MOATM001")
    link = ledger.local(ledger.processor(), acq)
    withdrawal = acq.request("0200", "withdrawal", ledger.pans["atm"], 50_000, 156)
    assert link.call(withdrawal)["39"] == "00"
    assert ledger.balance("atm") == 50_000
    # The ATM dispensed 300 of the 500 yuan: 200 come back, once, however often it is sent.
    partial = acq.reversal(withdrawal, dispensed=30_000)
    first = link.call(partial)
    assert first["t"] == "0410" and first["39"] == "00" and first["95"] == partial["95"]
    repeated = link.call(dict(partial, t="0401"))
    assert {k: v for k, v in repeated.items() if k != "t"} == {k: v for k, v in first.items() if k != "t"}
    assert ledger.balance("atm") == 70_000
    # The same original reversed again with another field 95 is a different message: 94, nothing moves.
    assert link.call(acq.reversal(withdrawal, dispensed=10_000))["39"] == "94"
    assert ledger.balance("atm") == 70_000
    ledger.assert_balanced()


def test_a_partial_reversal_of_a_cross_currency_purchase_stays_balanced_per_currency(ledger: Ledger) -> None:
    ledger.add_card("shop", 100_000)
    acq = ledger.acquirer()
    link = ledger.local(ledger.processor(), acq)
    purchase = acq.request("0200", "purchase", ledger.pans["shop"], 10_001, 344)
    booked = link.call(purchase)
    assert booked["39"] == "00"
    assert link.call(acq.reversal(purchase, dispensed=3_333))["39"] == "00"
    paid = 100_000 - ledger.balance("shop")
    assert 0 < paid < int(booked["6"])
    ledger.assert_balanced()


def test_a_reversal_advice_and_its_repeats_reverse_once(ledger: Ledger) -> None:
    ledger.add_card("advice", 100_000)
    acq = ledger.acquirer()
    link = ledger.local(ledger.processor(), acq)
    purchase = acq.request("0200", "purchase", ledger.pans["advice"], 20_000, 156)
    assert link.call(purchase)["39"] == "00"
    advice = acq.reversal(purchase, advice=True)
    replies = [link.call(advice), link.call(dict(advice, t="0421")), link.call(dict(advice, t="0421"))]
    assert [(r["t"], r["39"]) for r in replies] == [("0430", "00")] * 3
    assert len({r["38"] for r in replies}) == 1
    assert ledger.balance("advice") == 100_000
    assert ledger.txn_count() == 1 + 2
    ledger.assert_balanced()


def test_a_refund_credits_the_card_at_the_middle_rate_reverses_once_and_settles(ledger: Ledger) -> None:
    ledger.add_card("refund", 10_000, pin="1111")
    pan = ledger.pans["refund"]
    acq = ledger.acquirer()
    link = ledger.local(ledger.processor(), acq)
    refund = acq.request("0200", "refund", pan, 5_000, 156)
    # A refund asks for the card's expiry but no PIN; an authorization cannot be a refund.
    no_pin = {**refund, "14": ledger.card_data[pan].expiry}
    acq.cards = {}
    first = link.call(no_pin)
    assert first["39"] == "00" and ledger.balance("refund") == 15_000
    assert link.call(no_pin)["38"] == first["38"]  # a duplicate is answered, not booked again
    assert link.call(acq.request("0200", "refund", pan, 5_000, 156))["39"] == "54"  # no expiry
    assert link.call({**acq.request("0100", "refund", pan, 5_000, 156),
                      "14": ledger.card_data[pan].expiry})["39"] == "12"
    hkd = link.call({**acq.request("0200", "refund", pan, 10_000, 344), "14": ledger.card_data[pan].expiry})
    assert hkd["39"] == "00" and 9_000 < int(hkd["6"]) < 9_300  # HKD 100 at the 0.9213 middle rate
    assert link.call(acq.reversal(no_pin))["39"] == "00"
    assert ledger.balance("refund") == 10_000 + int(hkd["6"])
    ledger.assert_balanced()
    with ledger.factory() as s:
        lines = clearing(s, business_date(utcnow()))
    assert lines and all(ln.difference_minor == 0 for ln in lines)
    assert {(ln.currency, ln.net_minor) for ln in lines} >= {(156, 0), (344, -10_000)}


def _completion(acq: Acquirer, auth: dict[str, str], amount: int, mti: str = "0220") -> dict[str, str]:
    request = acq.request(mti, "purchase", auth["2"], amount, int(auth["49"]))
    return {**request, "37": auth["37"],
            "90": "0100" + auth["11"] + auth["7"] + acq.acquirer_id.zfill(11) + "0" * 11}


def test_a_completion_releases_the_hold_and_books_the_final_amount_once(ledger: Ledger) -> None:
    ledger.add_card("hotel", 100_000)
    acq = ledger.acquirer()
    link = ledger.local(ledger.processor(), acq)
    auth = acq.request("0100", "purchase", ledger.pans["hotel"], 60_000, 156)
    assert link.call(auth)["39"] == "00" and ledger.balance("hotel") == 40_000
    too_much = link.call(_completion(acq, auth, 60_001))
    assert too_much["39"] == "13" and ledger.balance("hotel") == 40_000  # the hold stays
    completion = _completion(acq, auth, 45_000)
    done = link.call(completion)
    assert done["t"] == "0230" and done["39"] == "00"
    assert link.call(dict(completion, t="0221"))["38"] == done["38"]  # the repeat is answered
    assert ledger.balance("hotel") == 55_000
    # Nothing left to complete or reverse: a second completion is refused, the 0400 of the
    # authorization is acknowledged without moving money.
    assert link.call(_completion(acq, auth, 1_000))["39"] == "12"
    assert link.call(acq.reversal(auth))["39"] == "00"
    assert ledger.balance("hotel") == 55_000
    # The completion itself can be reversed.
    assert link.call(acq.reversal(completion))["39"] == "00"
    assert ledger.balance("hotel") == 100_000
    ledger.assert_balanced()


def test_holds_never_completed_expire_and_a_late_completion_finds_nothing(ledger: Ledger) -> None:
    ledger.add_card("stale", 100_000)
    ledger.add_card("fresh", 100_000)
    acq = ledger.acquirer()
    link = ledger.local(ledger.processor(), acq)
    stale = acq.request("0100", "purchase", ledger.pans["stale"], 30_000, 156)
    fresh = acq.request("0100", "purchase", ledger.pans["fresh"], 30_000, 156)
    assert link.call(stale)["39"] == "00" and link.call(fresh)["39"] == "00"
    with ledger.factory() as s:
        s.execute(update(SwitchMessage).where(SwitchMessage.stan == stale["11"])
                  .values(received_at=utcnow() - timedelta(days=8)))
        s.commit()
    assert expire_holds(ledger.factory, now=utcnow(), older_than=timedelta(days=7)) == 1
    assert expire_holds(ledger.factory, now=utcnow(), older_than=timedelta(days=7)) == 0
    assert (ledger.balance("stale"), ledger.balance("fresh")) == (100_000, 70_000)
    assert link.call(_completion(acq, stale, 30_000))["39"] == "12"
    assert ledger.balance("stale") == 100_000
    ledger.assert_balanced()
