"""An acquirer's side of the switch protocol: builds requests and talks to the switch over TCP.

Used by the tests (as the real peer), the benchmark and ``bayfin sscard switch probe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bayfin.sscard.keys import KeyDelivery, WorkingKeys, encrypt_pin_block, retail_mac
from bayfin.sscard.switch import iso
from bayfin.sscard.switch.links import LinkSession

_PCODES = {"purchase": "000000", "withdrawal": "010000", "transfer": "400000", "balance": "310000",
           "refund": "200000"}


@dataclass(frozen=True)
class CardData:
    """What a terminal reads from a card and its holder: expiry (YYMM) and PIN."""

    expiry: str
    pin: str


class _Handler(Protocol):
    def handle(self, raw: bytes, link: LinkSession) -> bytes: ...


class Acquirer:
    """One acquirer institution: numbers its messages, builds well-formed requests, and (once it
    holds working keys from an 0800 key exchange) MACs them and encrypts PINs like a terminal host.

    ``cards`` maps card numbers to the expiry and PIN the terminal reads; when :meth:`seal` sends an
    0100/0200 for a card found there, it adds field 14 (unless given) and the PIN block (field 52).
    """

    def __init__(self, acquirer_id: str = "34400001", country: int = 344, terminal: str = "HKTERM01",
                 start_stan: int = 1, *, zone_key: bytes = b"",
                 cards: Mapping[str, CardData] | None = None) -> None:
        self.acquirer_id, self.country, self.terminal = acquirer_id, country, terminal
        self._stan = itertools.count(start_stan)
        self.zone_key = zone_key
        self.cards: Mapping[str, CardData] = cards if cards is not None else {}
        self.keys: WorkingKeys | None = None
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def exchange_lock(self) -> asyncio.Lock:
        """Serializes key exchanges of this acquirer's connections (per event loop)."""
        return self._locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())

    def network(self, code: str) -> dict[str, str]:
        """An 0800 network message: 001 sign-on, 002 sign-off, 161 key exchange, 301 echo test."""
        stan, _ = self.next_ids()
        return {"t": "0800", "7": datetime.now(UTC).strftime("%m%d%H%M%S"), "11": stan,
                "32": self.acquirer_id, "70": code}

    def accept_keys(self, reply: dict[str, str]) -> None:
        """Install the working keys an 0810 key-exchange response delivered under the zone key."""
        if reply.get("39") != "00" or "48" not in reply:
            raise ConnectionError(f"key exchange refused: {reply.get('39')}")
        self.keys = KeyDelivery.from_field(reply["48"]).unwrap(self.zone_key)

    def seal(self, fields: dict[str, str]) -> bytes:
        """Encode a request, with its MAC in field 128 when working keys are held."""
        if self.keys is None or fields.get("t", "").startswith("08"):
            return iso.encode(fields)
        card = self.cards.get(fields.get("2", ""))
        if card is not None and fields["t"] in {"0100", "0101", "0200", "0201"}:
            fields = {"14": card.expiry, **fields,
                      "52": encrypt_pin_block(self.keys.tpk, card.pin, fields["2"]).hex().upper()}
        raw = iso.encode_for_mac(fields)
        return raw[:-iso.MAC_LENGTH] + retail_mac(self.keys.tak, raw[:-iso.MAC_LENGTH])

    def open(self, raw: bytes) -> dict[str, str]:
        """Decode a response; a response that carries a MAC must carry the right one."""
        fields = iso.decode(raw)
        covered = iso.split_mac(raw, fields)
        if covered is not None and (self.keys is None or retail_mac(self.keys.tak, covered[0])
                                    != covered[1]):
            raise ConnectionError("response MAC does not verify")
        return fields

    def sign_on_locally(self, processor: _Handler, link: LinkSession) -> None:
        """Sign on and exchange keys with an in-process processor (tests, benchmark, demo)."""
        for code in ("001", "161"):
            reply = iso.decode(processor.handle(iso.encode(self.network(code)), link))
            if code == "161":
                self.accept_keys(reply)

    def call_locally(self, processor: _Handler, link: LinkSession, fields: dict[str, str]) -> dict[str, str]:
        """Hand one request to an in-process processor and open its response."""
        return self.open(processor.handle(self.seal(fields), link))

    def next_ids(self) -> tuple[str, str]:
        """A fresh (STAN, RRN) pair."""
        n = next(self._stan)
        return f"{n % 1_000_000:06d}", f"{self.acquirer_id[-4:]}{n:08d}"[-12:]

    def request(self, mti: str, kind: str, pan: str, amount_minor: int = 0, currency: int = 344,
                *, to_pan: str | None = None, stan: str | None = None,
                rrn: str | None = None) -> dict[str, str]:
        """An 0100/0200 request for a purchase, withdrawal, transfer or balance inquiry."""
        if stan is None or rrn is None:
            stan, rrn = self.next_ids()
        now = datetime.now(UTC)
        fields = {"t": mti, "2": pan, "3": _PCODES[kind], "4": f"{amount_minor:012d}",
                  "7": now.strftime("%m%d%H%M%S"), "11": stan, "12": now.strftime("%H%M%S"),
                  "13": now.strftime("%m%d"), "19": f"{self.country:03d}", "32": self.acquirer_id,
                  "37": rrn, "41": self.terminal, "49": f"{currency:03d}"}
        if to_pan:
            fields["103"] = to_pan
        return fields

    def reversal(self, original: dict[str, str], *, repeat: bool = False, advice: bool = False,
                 dispensed: int | None = None) -> dict[str, str]:
        """The 0400 reversal of a request (0401 repeated; 0420/0421 as an advice), carrying its
        original data (field 90); with ``dispensed`` a partial reversal whose field 95 says how much
        of the original amount really went out."""
        fields: dict[str, str] = {k: original[k] for k in ("2", "3", "4", "7", "19", "32", "37", "41",
                                                            "49") if k in original}
        stan, _ = self.next_ids()
        if dispensed is not None:
            fields["95"] = f"{dispensed:012d}{0:012d}C{0:08d}C{0:08d}"
        fields.update({"t": f"04{2 if advice else 0}{1 if repeat else 0}", "11": stan,
                       "90": (original["t"] + original["11"] + original["7"]
                              + f"{self.acquirer_id:0>11}" + "0" * 11)})
        return fields

    def echo(self) -> dict[str, str]:
        """An 0800 echo test."""
        return self.network("301")


class SwitchConnection:
    """One TCP connection to the switch, request/response in lock-step."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 acquirer: Acquirer | None = None) -> None:
        self.reader, self.writer = reader, writer
        self.acquirer = acquirer

    @classmethod
    async def open(cls, host: str, port: int, acquirer: Acquirer | None = None) -> SwitchConnection:
        """Connect to a switch; with an acquirer, sign on and (given its zone key) exchange keys."""
        reader, writer = await asyncio.open_connection(host, port)
        conn = cls(reader, writer, acquirer)
        if acquirer is not None:
            reply = await conn.call(acquirer.network("001"))
            if reply.get("39") != "00":
                await conn.close()
                raise ConnectionError(f"sign-on refused: {reply.get('39')}")
            if acquirer.zone_key:
                async with acquirer.exchange_lock():  # one key exchange serves every connection
                    if acquirer.keys is None:
                        acquirer.accept_keys(await conn.call(acquirer.network("161")))
        return conn

    async def send_raw(self, payload: bytes) -> None:
        """Write one framed payload without waiting for the answer."""
        self.writer.write(iso.frame(payload))
        await self.writer.drain()

    async def receive(self, timeout: float = 10.0) -> dict[str, str]:
        """Read and decode the next response."""
        payload = await asyncio.wait_for(iso.read_frame(self.reader), timeout)
        if payload is None:
            raise ConnectionError("switch closed the connection")
        return self.acquirer.open(payload) if self.acquirer else iso.decode(payload)

    async def call(self, fields: dict[str, str], timeout: float = 10.0) -> dict[str, str]:
        """Send a request (MACed when the acquirer holds keys) and wait for its response."""
        await self.send_raw(self.acquirer.seal(fields) if self.acquirer else iso.encode(fields))
        return await self.receive(timeout)

    async def close(self) -> None:
        """Hang up."""
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
