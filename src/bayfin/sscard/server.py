"""The switch's TCP front: an asyncio server speaking 2-byte length-prefixed ISO 8583 frames.

Database work runs in a thread pool (SQLAlchemy sessions are synchronous); each connection handles
its frames in order, and many connections run in parallel. A response is written only after the
processor returns, i.e. after its transaction committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from bayfin.sscard import iso
from bayfin.sscard.switch import SwitchProcessor

log = logging.getLogger(__name__)


class SwitchServer:
    """Accepts acquirer connections and answers each request frame with one response frame."""

    def __init__(self, processor: SwitchProcessor, *, host: str = "127.0.0.1", port: int = 0,
                 workers: int = 8) -> None:
        self.processor = processor
        self.host, self.port = host, port
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sscard-switch")
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> tuple[str, int]:
        """Bind and start accepting; returns the bound address (port 0 picks a free one)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        sock = self._server.sockets[0].getsockname()
        self.host, self.port = sock[0], sock[1]
        return self.host, self.port

    async def serve_forever(self) -> None:
        """Run until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        """Stop accepting, finish in-flight messages and release the worker threads."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        self._pool.shutdown(wait=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    payload = await iso.read_frame(reader)
                except iso.FrameError:
                    # The stream cannot be re-synchronised after a bad length prefix: hang up.
                    log.warning("bad frame from acquirer; closing the connection")
                    break
                if payload is None:
                    break
                # Shielded: a disconnect must not abandon a message mid-transaction.
                response = await asyncio.shield(loop.run_in_executor(self._pool, self.processor.handle,
                                                                     payload))
                writer.write(iso.frame(response))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
