"""A switch process that dies (``os._exit``) after posting a message's entries but before commit.

Run as ``python -m tests.integration.sscard.crashing_switch DATABASE_URL ACQUIRER ZONE_KEY_HEX``;
prints its port.
"""

from __future__ import annotations

import asyncio
import os
import sys

from bayfin.kernel.db import make_engine, make_session_factory
from bayfin.sscard.keys import SoftwareKeyStore, derive_pin_verification_key
from bayfin.sscard.switch.links import Link
from bayfin.sscard.switch.processor import SwitchProcessor
from bayfin.sscard.switch.server import SwitchServer
from tests.integration.sscard.conftest import PAN_KEY


def _die(stage: str) -> None:
    if stage == "after_posting":
        os._exit(137)  # like a kill -9: no rollback, no cleanup, the socket just drops


async def main(url: str, acquirer: str, zone_key: str) -> None:
    keys = SoftwareKeyStore({acquirer: bytes.fromhex(zone_key)},
                            derive_pin_verification_key(PAN_KEY))
    processor = SwitchProcessor(make_session_factory(make_engine(url)), pan_key=PAN_KEY, keys=keys,
                                fault=_die)
    server = SwitchServer(processor, Link(acquirer), workers=1)
    _, port = await server.start()
    print(port, flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
