"""An acquirer talks ISO 8583 over TCP to the switch; the ledger must book every approved message once."""

from __future__ import annotations

import asyncio
import struct

from sqlalchemy import select

from bayfin.sscard.domain import CardState, decode_conversion_rate
from bayfin.sscard.models import SwitchMessage
from bayfin.sscard.switch import iso
from bayfin.sscard.switch.acquirer import Acquirer
from tests.integration.sscard.conftest import Ledger, RunningSwitch, run_switch


def test_a_hong_kong_purchase_debits_the_card_in_yuan_with_the_spread_shown(ledger: Ledger) -> None:
    pan = ledger.add_card("wong", 100_000)
    acq = ledger.acquirer()

    async def scenario(switch: RunningSwitch) -> dict[str, str]:
        conn = await switch.connect(acq)
        try:
            return await conn.call(acq.request("0200", "purchase", pan, 10_000, 344))
        finally:
            await conn.close()

    reply = run_switch(ledger, scenario)
    assert reply["t"] == "0210" and reply["39"] == "00"
    billing = int(reply["6"])
    assert reply["51"] == "156" and billing > 9_213  # HKD 100 at 0.9213 plus a 0.5 % spread
    assert decode_conversion_rate(reply["10"]) > 0.9213
    assert ledger.balance("wong") == 100_000 - billing
    assert iso.parse_balance(reply["54"]) == (100_000 - billing, 156)
    ledger.assert_balanced()


def test_withdrawal_transfer_and_balance_inquiry_each_do_what_they_say(ledger: Ledger) -> None:
    alice, bob = ledger.add_card("alice", 500_000), ledger.add_card("bob", 0)
    acq = ledger.acquirer(acquirer_id="44600002", country=446, terminal="MOATM001")

    async def scenario(switch: RunningSwitch) -> list[dict[str, str]]:
        conn = await switch.connect(acq)
        try:
            return [await conn.call(acq.request("0200", "withdrawal", alice, 50_000, 446)),
                    await conn.call(acq.request("0200", "transfer", alice, 20_000, 156, to_pan=bob)),
                    await conn.call(acq.request("0200", "balance", alice))]
        finally:
            await conn.close()

    withdrawal, transfer, inquiry = run_switch(ledger, scenario)
    assert [r["39"] for r in (withdrawal, transfer, inquiry)] == ["00", "00", "00"]
    assert ledger.balance("bob") == 20_000
    expected = 500_000 - int(withdrawal["6"]) - 20_000
    assert ledger.balance("alice") == expected
    assert iso.parse_balance(inquiry["54"]) == (expected, 156)
    ledger.assert_balanced()


def test_a_duplicate_is_answered_with_the_first_response_and_booked_once(ledger: Ledger) -> None:
    pan = ledger.add_card("chan", 100_000)
    acq = ledger.acquirer()
    request = acq.request("0200", "purchase", pan, 5_000, 344)
    repeat = dict(request, t="0201")
    altered = dict(request, **{"4": "000000009999"})

    async def scenario(switch: RunningSwitch) -> list[dict[str, str]]:
        conn = await switch.connect(acq)
        try:
            return [await conn.call(request), await conn.call(request), await conn.call(repeat),
                    await conn.call(altered)]
        finally:
            await conn.close()

    before = ledger.txn_count()
    first, again, repeated, different = run_switch(ledger, scenario)
    assert first["39"] == "00"
    for reply in (again, repeated):
        assert {k: v for k, v in reply.items() if k != "t"} == {k: v for k, v in first.items()
                                                                if k != "t"}
    assert different["39"] == "94" and "38" not in different
    assert ledger.txn_count() == before + 1
    assert ledger.balance("chan") == 100_000 - int(first["6"])
    ledger.assert_balanced()


def test_a_timed_out_purchase_is_undone_exactly_once_by_its_reversal(ledger: Ledger) -> None:
    pan = ledger.add_card("lee", 100_000)
    acq = ledger.acquirer()
    purchase = acq.request("0200", "purchase", pan, 30_000, 344)
    reversal = acq.reversal(purchase)

    async def scenario(switch: RunningSwitch) -> list[dict[str, str]]:
        # The acquirer sends and gives up before the answer comes (its timer fired).
        hasty = await switch.connect(acq)
        await hasty.send_raw(acq.seal(purchase))
        await hasty.close()
        await asyncio.sleep(0.3)
        conn = await switch.connect(acq)
        try:
            return [await conn.call(reversal), await conn.call(dict(reversal, t="0401")),
                    await conn.call(acq.reversal(purchase))]
        finally:
            await conn.close()

    replies = run_switch(ledger, scenario)
    assert [r["t"] for r in replies] == ["0410", "0410", "0410"]
    assert [r["39"] for r in replies] == ["00", "00", "00"]
    assert ledger.balance("lee") == 100_000
    with ledger.factory() as s:
        original = s.scalar(select(SwitchMessage).where(SwitchMessage.message_class == "financial"))
        assert original is not None and original.reversed
    assert ledger.txn_count() == 1 + 2  # the deposit, the purchase and its one reversal
    ledger.assert_balanced()


def test_a_reversal_of_a_never_booked_message_is_acknowledged_and_blocks_the_late_original(
        ledger: Ledger) -> None:
    pan = ledger.add_card("ho", 100_000)
    acq = ledger.acquirer()
    purchase = acq.request("0200", "purchase", pan, 30_000, 344)

    async def scenario(switch: RunningSwitch) -> list[dict[str, str]]:
        conn = await switch.connect(acq)
        try:
            return [await conn.call(acq.reversal(purchase)), await conn.call(purchase)]
        finally:
            await conn.close()

    before = ledger.txn_count()
    ack, late = run_switch(ledger, scenario)
    assert ack["39"] == "00" and "38" not in ack
    assert late["39"] == "12"
    assert ledger.txn_count() == before and ledger.balance("ho") == 100_000


def test_malformed_and_refused_messages_get_their_decline_code_and_book_nothing(ledger: Ledger) -> None:
    rich = ledger.add_card("rich", 10_000_000, daily_limit_minor=100_000)
    poor = ledger.add_card("poor", 1_000)
    lost = ledger.add_card("lost", 50_000, state=CardState.lost)
    frozen = ledger.add_card("frozen", 50_000, state=CardState.frozen)
    acq = ledger.acquirer()
    unknown_card = "6222029999999999990"
    missing_stan = {k: v for k, v in acq.request("0200", "purchase", rich, 100).items() if k != "11"}
    def purchase(**changes: str) -> bytes:
        return acq.seal(dict(acq.request("0200", "purchase", rich, 100), **changes))

    def cases() -> dict[str, bytes]:  # sealed once the link holds its working keys
        return {
            "garbage": b"0200\x00\x01",
            "missing STAN": acq.seal(missing_stan),
            "letters in amount": purchase(**{"4": "00000000001A"}),
            "unknown currency": acq.seal(acq.request("0200", "purchase", rich, 100, 840)),
            "unknown processing code": purchase(**{"3": "990000"}),
            "unknown message type": purchase(t="0300"),
            "unknown card": acq.seal(acq.request("0200", "purchase", unknown_card, 100)),
            "zero amount": acq.seal(acq.request("0200", "purchase", rich, 0)),
            "insufficient funds": acq.seal(acq.request("0200", "purchase", poor, 500_000)),
            "over the card's daily limit": acq.seal(acq.request("0200", "purchase", rich, 200_000)),
            "lost card": acq.seal(acq.request("0200", "purchase", lost, 100)),
            "frozen card": acq.seal(acq.request("0200", "purchase", frozen, 100)),
            "echo test": acq.seal(acq.echo()),
        }
    expected = {"garbage": "30", "missing STAN": "30", "letters in amount": "30", "unknown currency": "30",
                "unknown processing code": "12", "unknown message type": "12", "unknown card": "14",
                "zero amount": "13", "insufficient funds": "51", "over the card's daily limit": "61",
                "lost card": "41", "frozen card": "62", "echo test": "00"}

    async def scenario(switch: RunningSwitch) -> tuple[dict[str, str], bool]:
        conn = await switch.connect(acq)  # signed on: acq.seal MACs what it sends
        replies = {}
        try:
            for name, payload in cases().items():
                await conn.send_raw(payload)
                replies[name] = await conn.receive()
        finally:
            await conn.close()
        # A frame whose length prefix is impossible: the switch hangs up rather than guess.
        broken = await switch.connect(acq)
        broken.writer.write(struct.pack(">H", 0))
        await broken.writer.drain()
        closed = await broken.reader.read() == b""
        await broken.close()
        return replies, closed

    before = ledger.txn_count()
    replies, closed = run_switch(ledger, scenario)
    assert {name: r["39"] for name, r in replies.items()} == expected
    assert replies["echo test"]["t"] == "0810" and replies["unknown message type"]["t"] == "0310"
    assert closed
    assert ledger.txn_count() == before
    assert ledger.balance("rich") == 10_000_000 and ledger.balance("poor") == 1_000
    ledger.assert_balanced()


def test_concurrent_debits_of_one_card_never_overdraw_it(ledger: Ledger) -> None:
    pan = ledger.add_card("busy", 50_000)
    acquirers = [ledger.acquirer(acquirer_id=f"3440000{i}", terminal=f"HKTERM0{i}") for i in range(8)]

    async def one(switch: RunningSwitch, acq: Acquirer) -> str:
        conn = await switch.connect(acq)
        try:
            return (await conn.call(acq.request("0200", "purchase", pan, 10_000, 156), timeout=60))["39"]
        finally:
            await conn.close()

    async def scenario(switch: RunningSwitch) -> list[str]:
        return list(await asyncio.gather(*(one(switch, a) for a in acquirers)))

    codes = run_switch(ledger, scenario)
    assert sorted(codes) == ["00"] * 5 + ["51"] * 3
    assert ledger.balance("busy") == 0
    ledger.assert_balanced()


def test_a_failure_before_commit_books_nothing_and_the_retry_books_once(ledger: Ledger) -> None:
    pan = ledger.add_card("fong", 100_000)
    acq = ledger.acquirer()
    purchase = acq.request("0200", "purchase", pan, 10_000, 156)
    crashes = iter([True])

    def crash_once(stage: str) -> None:
        if stage == "before_commit" and next(crashes, False):
            raise RuntimeError("power cut")

    async def scenario(switch: RunningSwitch) -> list[dict[str, str]]:
        conn = await switch.connect(acq)
        try:
            return [await conn.call(purchase), await conn.call(purchase), await conn.call(purchase)]
        finally:
            await conn.close()

    before = ledger.txn_count()
    failed, retried, duplicate = run_switch(ledger, scenario, ledger.processor(fault=crash_once))
    assert failed["39"] == "96"
    assert retried["39"] == "00" and duplicate["38"] == retried["38"]
    assert ledger.txn_count() == before + 1
    assert ledger.balance("fong") == 90_000
    ledger.assert_balanced()


def test_an_authorization_holds_funds_and_its_reversal_releases_them(ledger: Ledger) -> None:
    pan = ledger.add_card("hold", 100_000)
    acq = ledger.acquirer(acquirer_id="44600009", country=446)
    auth = acq.request("0100", "purchase", pan, 20_000, 446)

    async def scenario(switch: RunningSwitch) -> list[dict[str, str]]:
        conn = await switch.connect(acq)
        try:
            held = await conn.call(auth)
            balance = await conn.call(acq.request("0100", "balance", pan))
            return [held, balance, await conn.call(acq.reversal(auth))]
        finally:
            await conn.close()

    held, balance, released = run_switch(ledger, scenario)
    assert held["t"] == "0110" and held["39"] == "00"
    assert iso.parse_balance(balance["54"])[0] == 100_000 - int(held["6"])
    assert released["39"] == "00" and ledger.balance("hold") == 100_000
    ledger.assert_balanced()


def test_the_same_message_on_many_connections_at_once_is_booked_once(ledger: Ledger) -> None:
    pan = ledger.add_card("race", 100_000)
    acq = ledger.acquirer()
    purchase = acq.request("0200", "purchase", pan, 10_000, 344)

    async def one(switch: RunningSwitch) -> dict[str, str]:
        conn = await switch.connect(acq)
        try:
            return await conn.call(purchase, timeout=60)
        finally:
            await conn.close()

    async def scenario(switch: RunningSwitch) -> list[dict[str, str]]:
        return list(await asyncio.gather(*(one(switch) for _ in range(6))))

    before = ledger.txn_count()
    replies = run_switch(ledger, scenario)
    assert {r["39"] for r in replies} == {"00"} and len({r["38"] for r in replies}) == 1
    assert ledger.txn_count() == before + 1
    assert ledger.balance("race") == 100_000 - int(replies[0]["6"])


def test_withdrawals_stop_at_their_own_daily_limit_before_the_card_limit(ledger: Ledger) -> None:
    pan = ledger.add_card("cash", 10_000_000)
    acq = ledger.acquirer(acquirer_id="44600003", country=446)

    async def scenario(switch: RunningSwitch) -> list[str]:
        conn = await switch.connect(acq)
        try:
            # The seeded withdrawal limit is 20,000 yuan a day; the card's own limit is 100,000.
            return [(await conn.call(acq.request("0200", kind, pan, amount, 156)))["39"]
                    for kind, amount in (("withdrawal", 1_500_000), ("withdrawal", 600_000),
                                         ("purchase", 600_000))]
        finally:
            await conn.close()

    assert run_switch(ledger, scenario) == ["00", "61", "00"]
    ledger.assert_balanced()


def test_a_reversal_that_cannot_be_honoured_books_nothing(ledger: Ledger) -> None:
    payer, payee = ledger.add_card("payer", 100_000), ledger.add_card("payee", 0)
    acq = ledger.acquirer()
    transfer = acq.request("0200", "transfer", payer, 50_000, 156, to_pan=payee)
    spend = acq.request("0200", "purchase", payee, 40_000, 156)

    async def scenario(switch: RunningSwitch) -> list[str]:
        conn = await switch.connect(acq)
        try:
            codes = [(await conn.call(transfer))["39"], (await conn.call(spend))["39"]]
            wrong_amount = dict(acq.reversal(transfer), **{"4": "000000000001"})
            codes.append((await conn.call(wrong_amount))["39"])
            codes.append((await conn.call(acq.reversal(transfer)))["39"])
            return codes
        finally:
            await conn.close()

    codes = run_switch(ledger, scenario)
    # The payee already spent most of it: undoing the transfer would overdraw them.
    assert codes == ["00", "00", "13", "51"]
    assert (ledger.balance("payer"), ledger.balance("payee")) == (50_000, 10_000)
    ledger.assert_balanced()
