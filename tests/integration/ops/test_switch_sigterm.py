"""The ISO 8583 switch stops on SIGTERM by draining: every message it took in is answered, exit 0."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, select

from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import make_session_factory, transaction
from bayfin.sscard.accounts.cards import CardService
from bayfin.sscard.accounts.ledger import AccountDirectory
from bayfin.sscard.keys import derive_pan_key
from bayfin.sscard.models import SwitchMessage
from bayfin.sscard.switch import iso
from bayfin.sscard.switch.acquirer import Acquirer, SwitchConnection
from bayfin.sscard.switch.links import Link, LinkSession
from bayfin.sscard.switch.server import SwitchServer
from tests.conftest import TEST_AUDIT_KEY
from tests.integration.ops.processes import Server, environment, get
from tests.integration.sscard.conftest import Ledger, wipe


class HeldProcessor:
    """Answers each message only when the test releases it: a message stays in flight on demand."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def handle(self, raw: bytes, link: LinkSession) -> bytes:
        self.started.set()
        self.release.wait(30)
        return iso.encode({"t": "0810", "11": iso.decode(raw)["11"], "39": "00", "70": "301"})


def test_closing_the_switch_answers_the_message_in_flight_and_hangs_up_idle_connections() -> None:
    processor = HeldProcessor()

    async def scenario() -> tuple[dict[str, str], bytes | None]:
        server = SwitchServer(processor, Link("34400001"), workers=2)  # type: ignore[arg-type]
        host, port = await server.start()
        busy = await SwitchConnection.open(host, port)
        idle = await SwitchConnection.open(host, port)
        await busy.send_raw(iso.encode(Acquirer().echo()))
        await asyncio.to_thread(processor.started.wait, 10)
        closing = asyncio.create_task(server.close())
        await asyncio.sleep(0)  # the drain has begun: the idle connection is hung up first
        idle_end = await asyncio.wait_for(iso.read_frame(idle.reader), 10)
        processor.release.set()
        answer = await busy.receive()
        await closing
        await busy.close()
        await idle.close()
        return answer, idle_end

    answer, idle_end = asyncio.run(scenario())
    assert answer["39"] == "00" and answer["t"] == "0810"
    assert idle_end is None  # closed cleanly, nothing half-said


# a real process: its start-up alone takes minutes on a loaded machine
@pytest.mark.timeout(900)
def test_sigterm_drains_the_switch_process_and_every_booked_message_was_answered(
        engine: Engine, database_url: str, tmp_path: Path) -> None:
    wipe(engine)
    factory = make_session_factory(engine)
    cards = CardService(derive_pan_key(TEST_AUDIT_KEY.encode()), AccountDirectory())
    with transaction(factory) as s:
        cards.seed(s, utcnow())
    ledger = Ledger(factory, cards)
    pans = [ledger.add_card(f"holder-{n}", 10_000_000) for n in range(6)]
    # three acquirer links, two connections each: every link signs on, exchanges keys and MACs
    acquirers = [ledger.acquirer(f"3440000{n}", terminal=f"HKTERM0{n}") for n in range(1, 4)]
    links = tmp_path / "links.json"
    links.write_text(json.dumps([{"acquirer": acq.acquirer_id, "port": 0, "zone_key": acq.zone_key.hex()}
                                 for acq in acquirers]))
    server = Server(["sscard", "switch", "serve", "--links", str(links), "--probe-port", "0",
                     "--workers", "4"], environment(database_url, tmp_path))
    try:
        probes = server.probe_url()
        ports = {}
        for _ in acquirers:
            host, port, acquirer_id = server.wait_for(
                r"listening on (\S+):(\d+) for acquirer (\d+)").groups()
            ports[acquirer_id] = int(port)
        assert get(probes + "/readyz").status_code == 200
        answered: dict[str, dict[str, str]] = {}
        enough = threading.Event()

        async def send(conn: SwitchConnection, acq: Acquirer, pan: str) -> None:
            try:
                while True:
                    request = acq.request("0200", "purchase", pan, 100, 344)
                    try:
                        reply = await conn.call(request, timeout=30)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        return  # hung up by the drain, between messages
                    answered[request["37"] + request["32"]] = reply
                    if len(answered) >= 40:
                        enough.set()
            finally:
                await conn.close()

        async def traffic() -> None:
            # signed on (0800 001), keys exchanged (0800 161) before any money moves
            conns = [(await SwitchConnection.open(host, ports[acq.acquirer_id], acq), acq)
                     for acq in acquirers for _ in range(2)]
            clients = [asyncio.create_task(send(conn, acq, pan)) for (conn, acq), pan in zip(conns, pans,
                                                                                            strict=True)]
            await asyncio.to_thread(enough.wait, 60)
            metrics = get(probes + "/metrics").text
            counted = {tuple(s.labels.values()): s.value for f in text_string_to_metric_families(metrics)
                       for s in f.samples if s.name == "bayfin_switch_messages_total"}
            assert counted.get(("0210", "00"), 0) >= 40
            server.proc.terminate()  # SIGTERM while the acquirers are still sending
            await asyncio.gather(*clients)

        asyncio.run(traffic())
        assert server.proc.wait(timeout=60) == 0, "".join(server.stderr[-30:])
    finally:
        server.kill()
    with factory() as s:
        booked = {m.rrn + m.acquirer_id: m.response_code for m in s.scalars(select(SwitchMessage))}
    # every message the switch booked reached its acquirer, and nothing was answered without booking
    assert booked == {key: reply["39"] for key, reply in answered.items()}
    assert set(booked.values()) == {"00"}
    ledger.assert_balanced()
    wipe(engine)
