"""An acquirer's side of the switch protocol: builds requests and talks to the switch over TCP.

Used by the tests (as the real peer), the benchmark and ``bayfin sscard switch probe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from datetime import UTC, datetime

from bayfin.sscard import iso

_PCODES = {"purchase": "000000", "withdrawal": "010000", "transfer": "400000", "balance": "310000"}


class Acquirer:
    """One acquirer institution: numbers its messages and builds well-formed requests."""

    def __init__(self, acquirer_id: str = "34400001", country: int = 344, terminal: str = "HKTERM01",
                 start_stan: int = 1) -> None:
        self.acquirer_id, self.country, self.terminal = acquirer_id, country, terminal
        self._stan = itertools.count(start_stan)

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

    def reversal(self, original: dict[str, str], *, repeat: bool = False) -> dict[str, str]:
        """The 0400 (or repeated 0401) reversal of a request, carrying its original data (field 90)."""
        fields: dict[str, str] = {k: original[k] for k in ("2", "3", "4", "7", "19", "32", "37", "41",
                                                            "49") if k in original}
        stan, _ = self.next_ids()
        fields.update({"t": "0401" if repeat else "0400", "11": stan,
                       "90": (original["t"] + original["11"] + original["7"]
                              + f"{self.acquirer_id:0>11}" + "0" * 11)})
        return fields

    def echo(self) -> dict[str, str]:
        """An 0800 echo test."""
        stan, _ = self.next_ids()
        return {"t": "0800", "7": datetime.now(UTC).strftime("%m%d%H%M%S"), "11": stan, "70": "301"}


class SwitchConnection:
    """One TCP connection to the switch, request/response in lock-step."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> SwitchConnection:
        """Connect to a switch."""
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send_raw(self, payload: bytes) -> None:
        """Write one framed payload without waiting for the answer."""
        self.writer.write(iso.frame(payload))
        await self.writer.drain()

    async def receive(self, timeout: float = 10.0) -> dict[str, str]:
        """Read and decode the next response."""
        payload = await asyncio.wait_for(iso.read_frame(self.reader), timeout)
        if payload is None:
            raise ConnectionError("switch closed the connection")
        return iso.decode(payload)

    async def call(self, fields: dict[str, str], timeout: float = 10.0) -> dict[str, str]:
        """Send a request and wait for its response."""
        await self.send_raw(iso.encode(fields))
        return await self.receive(timeout)

    async def close(self) -> None:
        """Hang up."""
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
