"""Streaming mode: decide events consumed from a stream (NATS JetStream, through the
:class:`~bayfin.antifraud.stream.FraudStream` protocol) and publish the decisions.

Every worker pulls from one durable JetStream consumer, so the stream's events are shared among
them (a work queue). A message is acknowledged only after its decision is committed to the
database; a worker killed before that leaves the message unacknowledged and JetStream redelivers it
to another worker after ``ack_wait``. An event whose decision is already stored is not decided again
(its stored decision is re-published), so a redelivery never decides or counts an event twice.

Stopping (``stop`` set, e.g. by SIGTERM) drains: the batch in hand is decided, stored and
acknowledged, nothing more is fetched, and the rest stays in the stream for the other workers.
The consumer's lag (events not yet delivered, and delivered but unacknowledged) is exported as
``bayfin_fraud_consumer_pending`` / ``bayfin_fraud_consumer_ack_pending`` every few seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bayfin.antifraud.decisions import repository
from bayfin.antifraud.engine.events import FraudEvent
from bayfin.antifraud.service import FraudService
from bayfin.antifraud.stream import FraudStream
from bayfin.kernel.observability import FRAUD_CONSUMER_ACK_PENDING, FRAUD_CONSUMER_PENDING

__all__ = ["StreamOpener", "WorkerConfig", "run_worker"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """Where events come from and decisions go."""

    nats_url: str = "nats://127.0.0.1:4222"
    stream: str = "FRAUD_EVENTS"
    subject: str = "bayfin.fraud.events"
    durable: str = "fraud-deciders"
    decisions_subject: str = "bayfin.fraud.decisions"
    batch: int = 100
    ack_wait_seconds: float = 5.0
    #: How often the consumer's lag is read for the metrics.
    lag_every_seconds: float = 5.0


STORE_ATTEMPTS = 4  # then the event is left unacknowledged for JetStream to deliver again


def _decide_and_store(service: FraudService, factory: sessionmaker[Session], data: bytes) -> dict[str, Any]:
    """Decide one event and commit its decision (or return the one already stored), trying again
    after a passing storage failure (SQLite's busy snapshot when another writer got in first, a
    dropped PostgreSQL connection) before giving up."""
    try:
        event = FraudEvent.model_validate_json(data)
    except ValidationError as exc:
        return {"rejected": True, "errors": len(exc.errors())}
    for attempt in range(STORE_ATTEMPTS - 1):
        try:
            return _store_once(service, factory, event)
        except OperationalError:
            time.sleep(0.05 * 2**attempt)  # each try starts a fresh transaction, so a fresh snapshot
    return _store_once(service, factory, event)  # the last try: its failure goes to the caller


def _store_once(service: FraudService, factory: sessionmaker[Session], event: FraudEvent) -> dict[str, Any]:
    with factory() as session:
        # the stream is the platform's own (no institution): its event ids are unique among its own
        stored = repository.recorded_decision(session, event.event_id, None)
        if stored is not None:  # a redelivery: decided and stored before the previous worker died
            return {"event_id": stored.event_id, "decision": stored.outcome, "score": stored.score,
                    "reason_codes": stored.reason_codes, "repeat": True}
        decision = service.decide(event, session=session)
        session.commit()
        return decision.as_dict()


async def _record_lag(stream: FraudStream, config: WorkerConfig) -> None:
    """Export the consumer's backlog; a failed read leaves the last figures (the next try may work)."""
    try:
        pending, ack_pending = await stream.lag()
    except Exception as exc:
        log.warning("fraud worker: consumer lag unreadable (%s)", type(exc).__name__)
        return
    FRAUD_CONSUMER_PENDING.labels(config.stream, config.durable).set(pending)
    FRAUD_CONSUMER_ACK_PENDING.labels(config.stream, config.durable).set(ack_pending)


#: Opens the worker's stream for a configuration (wiring gives the NATS one; tests an in-memory one).
StreamOpener = Callable[[WorkerConfig], Awaitable[FraudStream]]


async def run_worker(service: FraudService, factory: sessionmaker[Session], config: WorkerConfig,
                     stop: asyncio.Event, on_decided: Callable[[dict[str, Any]], None] | None = None,
                     on_ready: Callable[[FraudStream], None] | None = None, *,
                     open_stream: StreamOpener) -> int:
    """Consume until ``stop`` is set; returns how many messages were acknowledged. ``on_ready`` gets
    the stream once the consumer is subscribed (the probe watches its connection)."""
    stream = await open_stream(config)
    acked = 0
    try:
        if on_ready is not None:
            on_ready(stream)
        next_lag = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            if loop.time() >= next_lag:
                next_lag = loop.time() + config.lag_every_seconds
                await _record_lag(stream, config)
            messages = await stream.fetch(config.batch, timeout=0.5)
            for msg in messages:
                # the database work runs on a thread so the connection keeps answering heartbeats
                try:
                    result = await asyncio.to_thread(_decide_and_store, service, factory, msg.data)
                except OperationalError as exc:
                    # a passing storage failure (SQLite busy, a dropped PostgreSQL connection): the
                    # event is not acknowledged, the stream delivers it again, and the worker goes on
                    log.warning("fraud worker: decision not stored, redelivery requested (%s)",
                                type(exc.orig).__name__)
                    await msg.nak(delay=config.ack_wait_seconds)
                    continue
                await stream.publish(config.decisions_subject, json.dumps(result, default=str).encode())
                await msg.ack()  # only now: the decision is committed
                acked += 1
                if on_decided is not None:
                    on_decided(result)
    finally:
        await stream.close()
    return acked
