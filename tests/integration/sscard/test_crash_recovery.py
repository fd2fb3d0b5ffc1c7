"""A switch process killed mid-transaction leaves the ledger balanced; the retry books exactly once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, func, select

from bayfin.sscard.models import SwitchMessage
from bayfin.sscard.switch.acquirer import SwitchConnection
from tests.integration.sscard.conftest import Ledger, RunningSwitch, run_switch

ROOT = Path(__file__).resolve().parents[3]


def test_a_switch_killed_between_posting_and_commit_books_nothing(ledger: Ledger, engine: Engine) -> None:
    pan = ledger.add_card("crash", 100_000)
    acq = ledger.acquirer()
    purchase = acq.request("0200", "purchase", pan, 25_000, 344)
    url = engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.sscard.crashing_switch", url,
                             acq.acquirer_id, acq.zone_key.hex()],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())

        async def doomed() -> bool:
            conn = await SwitchConnection.open("127.0.0.1", port, acq)
            try:
                await conn.call(purchase, timeout=20)
            except (ConnectionError, asyncio.IncompleteReadError):
                return True
            finally:
                await conn.close()
            return False

        assert asyncio.run(doomed()), "the switch should have died without answering"
        assert proc.wait(timeout=20) == 137
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    before = ledger.txn_count()
    ledger.assert_balanced()
    assert ledger.balance("crash") == 100_000
    with ledger.factory() as s:
        assert s.scalar(select(func.count()).select_from(SwitchMessage)) == 0

    acq.keys = None  # a new switch process: sign on and exchange keys again

    async def retry(switch: RunningSwitch) -> list[dict[str, str]]:
        conn = await switch.connect(acq)
        try:
            return [await conn.call(purchase), await conn.call(purchase)]
        finally:
            await conn.close()

    first, duplicate = run_switch(ledger, retry)
    assert first["39"] == "00" and duplicate["38"] == first["38"]
    assert ledger.txn_count() == before + 1
    assert ledger.balance("crash") == 100_000 - int(first["6"])
    ledger.assert_balanced()
