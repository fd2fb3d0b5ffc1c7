"""The switch's TCP front: an asyncio server speaking 2-byte length-prefixed ISO 8583 frames.

Database work runs in a thread pool (SQLAlchemy sessions are synchronous); each connection handles
its frames in order, and many connections run in parallel. A response is written only after the
processor returns, i.e. after its transaction committed. :meth:`SwitchServer.close` drains: it stops
accepting, hangs up idle connections, and lets each busy one answer the message it is processing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from bayfin.kernel.observability import SWITCH_MESSAGES
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
        #: connections between reading a request and writing its response: never cancelled
        self._busy: set[asyncio.Task[None]] = set()
        self._draining = False

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

    async def close(self, grace_seconds: float = 30.0) -> None:
        """Stop accepting, hang up idle connections, let busy ones answer the message in hand (for up
        to ``grace_seconds``), then release the worker threads."""
        self._draining = True
        if self._server is not None:
            self._server.close()
        for task in self._connections - self._busy:
            task.cancel()
        if self._connections:
            _, late = await asyncio.wait(set(self._connections), timeout=grace_seconds)
            for task in late:
                log.warning("switch connection still busy after the drain period; hanging up")
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self._pool.shutdown(wait=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        loop = asyncio.get_running_loop()
        try:
            while not self._draining:
                try:
                    payload = await iso.read_frame(reader)
                except iso.FrameError:
                    # The stream cannot be re-synchronised after a bad length prefix: hang up.
                    log.warning("bad frame from acquirer; closing the connection")
                    break
                if payload is None:
                    break
                self._busy.add(task)
                try:
                    # Shielded: a disconnect must not abandon a message mid-transaction.
                    response = await asyncio.shield(loop.run_in_executor(
                        self._pool, self.processor.handle, payload))
                    writer.write(iso.frame(response))
                    await writer.drain()
                finally:
                    self._busy.discard(task)
                _count(response)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._busy.discard(task)
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _count(response: bytes) -> None:
    """Count an answered message by type and response code (field 39) for /metrics."""
    try:
        fields = iso.decode(response)
    except ValueError:
        return
    SWITCH_MESSAGES.labels(fields.get("t", "?"), fields.get("39", "none")).inc()
