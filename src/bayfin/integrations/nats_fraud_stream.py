"""The anti-fraud worker's event stream on NATS JetStream: one durable pull consumer shared by every
worker (a work queue), explicit acknowledgements, decisions published on a subject."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayfin.antifraud.stream import StreamMessage
    from bayfin.antifraud.worker import WorkerConfig

__all__ = ["NatsFraudStream", "ensure_stream"]


async def ensure_stream(js: Any, config: WorkerConfig) -> None:
    """Create the event stream and the shared durable pull consumer if they do not exist."""
    from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(config.stream)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=config.stream, subjects=[config.subject]))
    await js.add_consumer(config.stream, ConsumerConfig(
        durable_name=config.durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=config.ack_wait_seconds,
        max_ack_pending=10_000))


class NatsFraudStream:
    """The worker's :class:`~bayfin.antifraud.stream.FraudStream` on a JetStream pull consumer."""

    def __init__(self, nc: Any, js: Any, sub: Any, config: WorkerConfig) -> None:
        self._nc = nc
        self._js = js
        self._sub = sub
        self._config = config

    @classmethod
    async def open(cls, config: WorkerConfig) -> NatsFraudStream:
        """Connect, make sure the stream and the consumer exist, and subscribe."""
        import nats

        nc = await nats.connect(config.nats_url)
        try:
            js = nc.jetstream()
            await ensure_stream(js, config)
            sub = await js.pull_subscribe(config.subject, durable=config.durable, stream=config.stream)
        except BaseException:
            await nc.drain()
            raise
        return cls(nc, js, sub, config)

    @property
    def is_connected(self) -> bool:
        """Whether the NATS connection is up."""
        return bool(self._nc.is_connected)

    async def fetch(self, batch: int, timeout: float) -> Sequence[StreamMessage]:
        """Up to ``batch`` messages; none when the wait times out."""
        from nats.errors import TimeoutError as NatsTimeout

        try:
            messages: list[StreamMessage] = await self._sub.fetch(batch, timeout=timeout)
        except (TimeoutError, NatsTimeout):
            return []
        return messages

    async def publish(self, subject: str, data: bytes) -> None:
        """Publish on a core NATS subject."""
        await self._nc.publish(subject, data)

    async def lag(self) -> tuple[int, int]:
        """The consumer's pending and ack-pending counts."""
        info = await self._js.consumer_info(self._config.stream, self._config.durable)
        return info.num_pending or 0, info.num_ack_pending or 0

    async def close(self) -> None:
        """Unsubscribe, then drain the connection."""
        # without the unsubscribe, draining a connection whose pull subscription has fetched messages
        # waits for nats-py's 30 s drain timeout and fails (nats-py 2.x)
        await self._sub.unsubscribe()
        await self._nc.drain()
