"""Links and card security over real sockets: acquirer binding, sign-on, key exchange, MAC, expiry,
PIN (and its try counter), idle timeout and the connection cap."""

from __future__ import annotations

import asyncio

from bayfin.kernel.clock import utcnow
from bayfin.sscard.keys import KeyDelivery, encrypt_pin_block
from bayfin.sscard.switch import iso
from bayfin.sscard.switch.acquirer import SwitchConnection
from tests.integration.sscard.conftest import Ledger, RunningSwitch, run_switch


def test_a_link_refuses_another_acquirers_id_and_money_before_sign_on(ledger: Ledger) -> None:
    pan = ledger.add_card("bound", 100_000)
    hk, mo = ledger.acquirer("34400001"), ledger.acquirer("44600001", 446)

    async def scenario(switch: RunningSwitch) -> list[str]:
        # Macau's acquirer id sent over Hong Kong's link: refused whatever it asks.
        intruder = await SwitchConnection.open(switch.host, switch.ports["34400001"])
        try:
            codes = [(await intruder.call(mo.network("001")))["39"]]
            codes.append((await intruder.call(mo.request("0200", "purchase", pan, 1_000, 446)))["39"])
        finally:
            await intruder.close()
        # The right acquirer, not signed on: network messages answer, money does not.
        raw = await switch.connect(hk, sign_on=False)
        try:
            codes.append((await raw.call(hk.echo()))["39"])
            codes.append((await raw.call(hk.request("0200", "purchase", pan, 1_000, 344)))["39"])
            codes.append((await raw.call(hk.network("161")))["39"])  # keys only after sign-on
        finally:
            await raw.close()
        return codes

    assert run_switch(ledger, scenario) == ["58", "58", "00", "91", "91"]
    assert ledger.balance("bound") == 100_000


def test_key_exchange_delivers_working_keys_under_the_zone_key_and_messages_need_their_mac(
        ledger: Ledger) -> None:
    pan = ledger.add_card("mac", 100_000)
    acq = ledger.acquirer()

    async def scenario(switch: RunningSwitch) -> list[str]:
        conn = await switch.connect(acq)
        try:
            assert acq.keys is not None
            request = acq.request("0200", "purchase", pan, 1_000, 344)
            unsigned = iso.encode({**request, "14": acq.cards[pan].expiry})
            await conn.send_raw(unsigned)
            codes = [(await conn.receive())["39"]]
            forged = bytearray(acq.seal(acq.request("0200", "purchase", pan, 1_000, 344)))
            forged[-1] ^= 0x01
            await conn.send_raw(bytes(forged))
            codes.append((await conn.receive())["39"])
            # A new key exchange replaces the keys; the acquirer installs them and carries on.
            reply = await conn.call(acq.network("161"))
            delivery = KeyDelivery.from_field(reply["48"])
            old = acq.keys
            acq.accept_keys(reply)
            assert acq.keys != old and delivery.tak_check and delivery.tpk_check
            codes.append((await conn.call(acq.request("0200", "purchase", pan, 1_000, 344)))["39"])
            return codes
        finally:
            await conn.close()

    assert run_switch(ledger, scenario) == ["63", "63", "00"]


def test_a_card_number_alone_buys_nothing_expiry_and_pin_must_be_right(ledger: Ledger) -> None:
    pan = ledger.add_card("cardholder", 100_000, pin="7391")
    acq = ledger.acquirer()
    expiry = ledger.card_data[pan].expiry

    async def scenario(switch: RunningSwitch) -> list[str]:
        conn = await switch.connect(acq)
        assert acq.keys is not None
        keys = acq.keys

        def purchase(**changes: str) -> dict[str, str]:
            base = acq.request("0200", "purchase", pan, 1_000, 344)
            return {**base, "14": expiry,
                    "52": encrypt_pin_block(keys.tpk, "7391", pan).hex().upper(), **changes}

        wrong_pin = encrypt_pin_block(keys.tpk, "1234", pan).hex().upper()
        past = "2001"
        try:
            acq.cards = {}  # send exactly what each case says, nothing added
            cases = [
                {k: v for k, v in purchase().items() if k not in {"14", "52"}},  # the number alone
                {k: v for k, v in purchase().items() if k != "14"},  # no expiry
                {k: v for k, v in purchase().items() if k != "52"},  # no PIN
                purchase(**{"14": past}), purchase(**{"14": "3912"}), purchase(**{"52": wrong_pin}),
                {k: v for k, v in purchase(**{"35": f"{pan}D{past}1010000"}).items() if k != "14"},
                {k: v for k, v in purchase(**{"35": f"{pan}D{expiry}1010000"}).items() if k != "14"},
                purchase(),
            ]
            return [(await conn.call(c))["39"] for c in cases]
        finally:
            await conn.close()

    assert run_switch(ledger, scenario) == ["54", "54", "55", "54", "54", "55", "54", "00", "00"]
    assert ledger.txn_count() == 1 + 2  # the deposit and the two approved purchases


def test_one_byte_senders_are_dropped_after_the_idle_timeout_and_the_cap_refuses_the_next(
        ledger: Ledger) -> None:
    acq = ledger.acquirer()

    async def scenario(switch: RunningSwitch) -> tuple[list[bool], bool, str]:
        port = switch.ports[acq.acquirer_id]
        slow = [await asyncio.open_connection(switch.host, port) for _ in range(3)]
        for reader, writer in slow:
            writer.write(iso.frame(iso.encode(acq.echo())))  # answered: the connection is being served
            await writer.drain()
            assert (await iso.read_frame(reader)) is not None
            writer.write(b"\x00")  # then half a length prefix, and silence
            await writer.drain()
        # The fourth connection is over the cap of three: closed at once, its echo never answered.
        extra_reader, extra_writer = await asyncio.open_connection(switch.host, port)
        try:
            extra_writer.write(iso.frame(iso.encode(acq.echo())))
            refused = await asyncio.wait_for(extra_reader.read(), 10) == b""
        except ConnectionResetError:  # closed before our echo arrived
            refused = True
        extra_writer.close()
        # The silent ones are hung up on by the idle timeout (the read returns end of stream).
        dropped = [await asyncio.wait_for(reader.read(), 10) == b"" for reader, _ in slow]
        for _, writer in slow:
            writer.close()
        # Room again: a real acquirer connects, signs on and is answered.
        conn = await switch.connect(acq)
        try:
            return dropped, refused, (await conn.call(acq.echo()))["39"]
        finally:
            await conn.close()

    dropped, refused, echo = run_switch(ledger, scenario, idle_timeout=2.0, max_connections=3)
    assert dropped == [True, True, True] and refused and echo == "00"


def test_three_wrong_pins_block_the_card_until_a_new_pin_is_set(ledger: Ledger) -> None:
    pan = ledger.add_card("guess", 100_000, pin="5555")
    acq = ledger.acquirer()
    link = ledger.local(ledger.processor(), acq)
    right = acq.cards[pan]
    codes = []
    for pin in ("0000", "1111", "5555", "2222", "3333", "4444", "5555"):
        acq.cards = {pan: type(right)(right.expiry, pin)}
        codes.append(link.call(acq.request("0200", "purchase", pan, 1_000, 156))["39"])
    # A right PIN clears the count; three wrong ones in a row lock out even the right one.
    assert codes == ["55", "55", "00", "55", "55", "55", "75"]
    with ledger.factory() as s:
        ledger.cards.set_pin(s, pan, "6666", utcnow())
        s.commit()
    acq.cards = {pan: type(right)(right.expiry, "6666")}
    assert link.call(acq.request("0200", "purchase", pan, 1_000, 156))["39"] == "00"
    assert ledger.balance("guess") == 98_000
