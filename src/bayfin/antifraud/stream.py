"""What the streaming worker asks of its event stream (:class:`FraudStream`), and an in-memory one
for tests; the NATS JetStream adapter is ``bayfin.integrations.nats_fraud_stream``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["FraudStream", "InMemoryFraudStream", "InMemoryMessage", "StreamMessage"]


class StreamMessage(Protocol):
    """One delivered event: acknowledged once its decision is committed, or handed back."""

    @property
    def data(self) -> bytes:
        """The event as JSON."""

    async def ack(self) -> None:
        """Done with: the stream will not deliver it again."""

    async def nak(self, delay: float | None = None) -> None:
        """Not done: deliver it again (after ``delay`` seconds)."""


class FraudStream(Protocol):
    """A work queue of events shared by the workers, and the subject decisions are published on."""

    @property
    def is_connected(self) -> bool:
        """Whether the connection to the broker is up (the readiness probe watches it)."""

    async def fetch(self, batch: int, timeout: float) -> Sequence[StreamMessage]:
        """Up to ``batch`` events; an empty list when none came within ``timeout`` seconds."""

    async def publish(self, subject: str, data: bytes) -> None:
        """Publish a decision."""

    async def lag(self) -> tuple[int, int]:
        """Events not yet delivered, and delivered but not acknowledged (raises when unreadable)."""

    async def close(self) -> None:
        """Stop consuming and close the connection (what is not acknowledged stays in the stream)."""


@dataclass
class InMemoryMessage:
    """An event in the in-memory stream."""

    data: bytes
    stream: InMemoryFraudStream
    acked: bool = False

    async def ack(self) -> None:
        """Done with."""
        self.acked = True

    async def nak(self, delay: float | None = None) -> None:
        """Put it back at the end of the queue."""
        self.stream.pending.append(self)


@dataclass
class InMemoryFraudStream:
    """Events in a list, decisions collected in ``published``: the worker without a broker."""

    pending: list[InMemoryMessage] = field(default_factory=list)
    published: list[tuple[str, bytes]] = field(default_factory=list)
    is_connected: bool = True

    def put(self, data: bytes) -> None:
        """Queue one event."""
        self.pending.append(InMemoryMessage(data, self))

    async def fetch(self, batch: int, timeout: float) -> Sequence[StreamMessage]:
        """Up to ``batch`` queued events (waits ``timeout`` when there are none)."""
        if not self.pending:
            await asyncio.sleep(timeout)
            return []
        taken, self.pending = self.pending[:batch], self.pending[batch:]
        return taken

    async def publish(self, subject: str, data: bytes) -> None:
        """Keep the published decision."""
        self.published.append((subject, data))

    async def lag(self) -> tuple[int, int]:
        """Queued events; nothing is in flight between fetches."""
        return len(self.pending), 0

    async def close(self) -> None:
        """Disconnect."""
        self.is_connected = False
