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
from bayfin.sscard.switch import iso
from bayfin.sscard.switch.links import Link, LinkSession
from bayfin.sscard.switch.processor import SwitchProcessor

log = logging.getLogger(__name__)


class SwitchServer:
    """Accepts one acquirer's connections (its link) and answers each request frame with one response
    frame. A connection silent for the link's idle timeout is closed (acquirers send 0800 echo tests
    to keep a link up); beyond the link's connection cap a new connection is closed at once."""

    def __init__(self, processor: SwitchProcessor, link: Link, *, workers: int = 8) -> None:
        self.processor = processor
        self.link = link
        self.host, self.port = link.host, link.port
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sscard-switch")
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        #: connections between reading a request and writing its response: never cancelled
        self._busy: set[asyncio.Task[None]] = set()
        self._draining = False

    async def start(self) -> tuple[str, int]:
        """Bind and start accepting; returns the bound address (port 0 picks a free one)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port, ssl=self.link.tls)
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
        if len(self._connections) >= self.link.max_connections:
            log.warning("acquirer %s: connection cap %d reached; refusing a connection",
                        self.link.acquirer_id, self.link.max_connections)
            writer.close()
            return
        self._connections.add(task)
        loop = asyncio.get_running_loop()
        session = LinkSession(self.link)
        try:
            while not self._draining:
                try:
                    payload = await asyncio.wait_for(iso.read_frame(reader), self.link.idle_timeout)
                except TimeoutError:
                    log.info("acquirer %s: connection idle for %.0fs; closing it", self.link.acquirer_id,
                             self.link.idle_timeout)
                    break
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
                        self._pool, self.processor.handle, payload, session))
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
