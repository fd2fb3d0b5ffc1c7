"""The ingest worker that turns device messages into rows and alarms (the broker behind
:class:`IngestConnection`; the MQTT adapter lives in ``bayfin.integrations.mqtt_terminals``).

Topics (``<serial>`` is the terminal's serial number):
- ``bayfin/provision/request`` — a device's signed claim; the answer goes to
  ``bayfin/provision/<serial>/response``.
- ``bayfin/terminals/<serial>/telemetry`` — signed heartbeat, position, counters, firmware, tamper.
- ``bayfin/terminals/<serial>/status`` — "online" on connect, "offline" as the device's MQTT last will.
- ``bayfin/terminals/<serial>/commands`` — signed commands to the device;
  ``bayfin/terminals/<serial>/acks`` — its signed acknowledgements.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.clock import Clock
from bayfin.kernel.db import UnitOfWork
from bayfin.kernel.observability import TERMINAL_ALARMS, TERMINAL_MESSAGES
from bayfin.terminals import medical
from bayfin.terminals.models import Alarm
from bayfin.terminals.service import PROVISION_REQUEST, TOPIC_ROOT, Prefetched, TerminalsService

log = logging.getLogger(__name__)

#: When stopping, the ingest drains until no message has arrived for this long.
DRAIN_QUIET_SECONDS = 0.5

#: A message as the network thread hands it to the worker: topic, payload, when it arrived.
Inbound = tuple[str, bytes, datetime]


class IngestConnection(Protocol):
    """The worker's subscribed broker connection (MQTT in production: ``integrations.mqtt_terminals``)."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Send one message (answers and commands)."""

    def is_connected(self) -> bool:
        """Whether the broker connection is up."""

    def stop_receiving(self, timeout: float = 10.0) -> None:
        """Ask the broker to route nothing new here and wait until it confirms."""

    def close(self) -> None:
        """Disconnect."""


#: Opens the worker's connection: (client id, topics, on_message(topic, payload)) → the connection.
Connector = Callable[[str, tuple[str, ...], Callable[[str, bytes], None]], IngestConnection]


@dataclass
class IngestStats:
    """What the worker has done, for the CLI and the benchmark."""

    #: messages the network thread handed over (each was acknowledged to the broker on arrival)
    received: int = 0
    messages: int = 0
    alarms: int = 0
    refused: int = 0
    #: The latest alarms raised (bounded, so a long-running worker does not grow): rule, the event's
    #: own time, and seconds from that time to the alarm's commit.
    raised: deque[tuple[str, datetime, float]] = field(default_factory=lambda: deque(maxlen=100_000))

    def latencies(self, rule: str | None = None, until: datetime | None = None) -> list[float]:
        """Seconds from event to committed alarm, of one rule or all, for events up to ``until``."""
        return [seconds for name, event_at, seconds in self.raised
                if (rule is None or name == rule) and (until is None or event_at <= until)]


class IngestWorker:
    """Consumes device messages in batches (one transaction per batch), sweeps for silent devices every
    ``sweep_every`` seconds and reads the card module's new medical payments every ``medical_every``
    seconds for the non-medical-purchase rule."""

    def __init__(self, service: TerminalsService, session_factory: sessionmaker[Session], clock: Clock,
                 connect: Connector, *, batch: int = 500, sweep_every: float = 1.0,
                 medical_every: float = 10.0, client_id: str = "bayfin-terminals-ingest") -> None:
        self.service = service
        self.session_factory = session_factory
        self.clock = clock
        self.stats = IngestStats()
        self._batch = batch
        self._sweep_every = sweep_every
        self._medical_every = medical_every
        self._next_sweep = self._next_medical = time.monotonic()
        self._inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._last_arrival = 0.0
        self._thread = threading.Thread(target=self._run, name="terminals-ingest", daemon=True)
        self._topics = (PROVISION_REQUEST, f"{TOPIC_ROOT}/+/telemetry", f"{TOPIC_ROOT}/+/status",
                        f"{TOPIC_ROOT}/+/acks")
        self.connection = connect(client_id, self._topics, self._on_message)
        service.publisher = self.connection

    def _on_message(self, topic: str, payload: bytes) -> None:
        # The network thread only queues; database work happens on the worker thread.
        self.stats.received += 1
        self._last_arrival = time.monotonic()
        TERMINAL_MESSAGES.labels("received").inc()
        self._inbox.put((topic, payload, self.clock.now()))

    def start(self) -> IngestWorker:
        """Start consuming."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Drain and stop (what SIGTERM does): unsubscribe so the broker routes nothing new here,
        process everything that arrived (its answers still go out), disconnect, and process whatever
        slipped in meanwhile, so no message acknowledged to the broker is left unprocessed."""
        self.connection.stop_receiving(10)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)
        self.connection.close()
        while not self._inbox.empty():
            self._process(self._take(0))

    def pump(self, expect: int = 1, timeout: float = 10.0) -> int:
        """Process arriving messages on the calling thread until ``expect`` have been handled (tests
        and one-shot runs; the served worker uses its own thread instead)."""
        done = 0
        deadline = time.monotonic() + timeout
        while done < expect and time.monotonic() < deadline:
            batch = self._take(max(0.0, min(0.1, deadline - time.monotonic())))
            if batch:
                self._process(batch)
                done += len(batch)
        return done

    def tick(self, wait: float = 0.05) -> int:
        """One turn of the worker's loop: a batch of whatever has arrived (waiting up to ``wait``
        seconds for the first message), then each periodic job that is due; returns the batch size."""
        batch = self._take(wait)
        if batch:
            self._process(batch)
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self._sweep_every
            # Behind a backlog, judge silence as of the last message processed: a heartbeat still
            # waiting in the inbox is not silence.
            self.sweep(batch[-1][2] if batch and not self._inbox.empty() else None)
        if time.monotonic() >= self._next_medical:
            self._next_medical = time.monotonic() + self._medical_every
            self.scan_medical()
        return len(batch)

    def pending(self) -> int:
        """Messages received and not yet processed (approximate)."""
        return self._inbox.qsize()

    def sweep(self, as_of: datetime | None = None) -> None:
        """One offline sweep in its own transaction, judging silence as of ``as_of`` (default now)."""
        self._guarded(lambda uow: self.service.sweep_offline(uow.session, as_of or self.clock.now()))

    def scan_medical(self) -> None:
        """One incremental non-medical-purchase scan in its own transaction."""
        self._guarded(lambda uow: medical.scan_increment(uow.session, self.clock.now()))

    def _take(self, wait: float) -> list[Inbound]:
        batch: list[Inbound] = []
        try:
            batch.append(self._inbox.get(timeout=wait))
            while len(batch) < self._batch:
                batch.append(self._inbox.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _run(self) -> None:
        while True:
            self.tick()
            # Stopping: after unsubscribing, the broker still delivers what it had queued for this
            # session (a few in flight at a time), so wait for a quiet moment, not just an empty inbox.
            if self._stop.is_set() and self._inbox.empty() \
                    and time.monotonic() - self._last_arrival >= DRAIN_QUIET_SECONDS:
                return

    def _guarded(self, work: Callable[[UnitOfWork], list[Alarm]]) -> bool:
        try:
            with UnitOfWork(self.session_factory) as uow:
                # Refreshed alarms are not new events: only rows still pending insert count.
                alarms = [a for a in work(uow) if a in uow.session.new]
                uow.commit()
            self._count(alarms)
            return True
        except Exception:
            log.exception("terminal ingest batch failed")
            return False

    def _count(self, alarms: list[Alarm]) -> None:
        committed = self.clock.now()
        for alarm in alarms:
            seconds = max(0.0, (committed - alarm.event_at).total_seconds())
            self.stats.alarms += 1
            self.stats.raised.append((alarm.rule, alarm.event_at, seconds))
            TERMINAL_ALARMS.labels(alarm.rule).inc()

    def _process(self, batch: list[Inbound]) -> None:
        def work(uow: UnitOfWork) -> list[Alarm]:
            raised: list[Alarm] = []
            telemetry = [topic.split("/")[2] for topic, _, _ in batch
                         if topic.endswith("/telemetry") and topic.count("/") == 3]
            prefetched = self.service.prefetch(uow.session, telemetry)
            for topic, payload, arrived in batch:
                raised.extend(self.handle(uow, topic, payload, prefetched, arrived))
            self.stats.messages += len(batch)
            return raised

        TERMINAL_MESSAGES.labels("committed" if self._guarded(work) else "failed").inc(len(batch))

    def handle(self, uow: UnitOfWork, topic: str, payload: bytes, prefetched: Prefetched | None = None,
               arrived: datetime | None = None) -> list[Alarm]:
        """Route one message to its use case (answers are published after the batch commits); a
        device counts as seen when its message arrived, not when a backlog let it be processed."""
        at = arrived or self.clock.now()
        session = uow.session
        if topic == PROVISION_REQUEST:
            try:
                request = json.loads(payload)
            except ValueError:
                request = {}
            result = self.service.provision(session, request if isinstance(request, dict) else {}, at)
            if not result.accepted:
                self.stats.refused += 1
            # Any client may read the answer topic: the key travels sealed for the requesting device.
            answer = json.dumps({"accepted": result.accepted, "reason": result.reason,
                                 "sealed_key": result.sealed_key, "terminal_id": result.terminal_id}).encode()
            if result.serial:
                uow.after_commit(lambda: self.service.publisher.publish(
                    f"bayfin/provision/{result.serial}/response", answer))
            return []
        parts = topic.split("/")
        if len(parts) != 4:
            return []
        serial, kind = parts[2], parts[3]
        if kind == "telemetry":
            return self.service.ingest(session, serial, payload, at, prefetched)
        if kind == "status":
            return self.service.status(session, serial, payload, at)
        if kind == "acks":
            self.service.acknowledge_command(session, serial, payload, at)
        return []
