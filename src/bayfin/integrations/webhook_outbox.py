"""Delivery from a module's outbox table: tried after the transaction that queued it commits (on a small
thread pool, or in the caller's thread), retried with backoff, and drained later by a worker or CLI
command for what is still owed. :class:`OutboxDispatcher` is that one loop, whatever is delivered
(the token service's bank operations use it too); :class:`WebhookDispatcher` delivers signed webhooks.

A module keeps its own outbox table and implements :class:`WebhookOutbox` over it (which rows are
owed, what to send, how to record an outcome); this module signs (:mod:`bayfin.integrations.webhooks`,
Standard Webhooks) and posts through a client from :class:`~bayfin.kernel.outbound.OutboundPolicy`,
which checks every connection's address (no webhook reaches the platform's own networks, DNS
rebinding included). Tests hand in an ``httpx.Client`` over ``httpx.MockTransport`` instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

import httpx
from sqlalchemy.orm import Session

from bayfin.integrations.webhooks import signed_headers
from bayfin.kernel.clock import Clock
from bayfin.kernel.outbound import OutboundPolicy

log = logging.getLogger(__name__)


class OutgoingWebhook(Protocol):
    """One owed delivery, read from an outbox as plain data (no session stays open while sending)."""

    @property
    def outbox_id(self) -> str:
        """The outbox row's key, as text."""

    @property
    def message_id(self) -> str:
        """The ``webhook-id`` header: stable across retries, for the receiver to drop duplicates."""

    @property
    def url(self) -> str:
        """Where to POST."""

    @property
    def key(self) -> bytes:
        """The subscriber's signing key bytes."""

    @property
    def body(self) -> bytes:
        """The JSON body, exactly as signed and sent."""

    @property
    def attempts(self) -> int:
        """Attempts made before this one."""


@dataclass(frozen=True, slots=True)
class OwedWebhook:
    """An :class:`OutgoingWebhook` as a plain record, for outboxes that need nothing more."""

    outbox_id: str
    message_id: str
    url: str
    key: bytes
    body: bytes
    attempts: int


W = TypeVar("W", bound=OutgoingWebhook)
#: One owed item, read as plain data; and the outcome of one attempt at it.
ItemT = TypeVar("ItemT")
OutcomeT = TypeVar("OutcomeT")


class Delivery(Protocol[ItemT, OutcomeT]):
    """What an outbox delivers and how, as :class:`OutboxDispatcher` sees it."""

    def owed(self, session: Session, outbox_ids: Sequence[str]) -> Sequence[ItemT]:
        """The rows among ``outbox_ids`` still to deliver."""

    def due(self, session: Session, now: datetime, limit: int) -> Sequence[ItemT]:
        """Up to ``limit`` owed rows whose retry time has come."""

    def send(self, item: ItemT) -> OutcomeT:
        """One attempt (no transaction is open): its outcome, failures included."""

    def delivered(self, outcome: OutcomeT) -> bool:
        """Whether the attempt succeeded (no further try now)."""

    def record(self, session: Session, item: ItemT, made: int, outcome: OutcomeT, now: datetime) -> None:
        """Write the last outcome after ``made`` attempts in this round."""


class WebhookOutbox(Protocol[W]):
    """A module's outbox table, as the dispatcher sees it (``W``: its owed-delivery record)."""

    def owed(self, session: Session, outbox_ids: Sequence[str]) -> Sequence[W]:
        """The rows among ``outbox_ids`` still to deliver (with a URL to deliver to)."""

    def due(self, session: Session, now: datetime, limit: int) -> Sequence[W]:
        """Up to ``limit`` owed rows whose retry time has come."""

    def record(self, session: Session, webhook: W, attempts: int, error: str | None,
               now: datetime) -> None:
        """Write the outcome after ``attempts`` attempts in all: delivered when ``error`` is None."""


class OutboxDispatcher(Generic[ItemT, OutcomeT]):
    """The one claim/send/retry loop: reads owed rows in a short transaction, tries each (``attempts_now``
    times with backoff when just queued, once when due), records each outcome in its own transaction.
    ``flush`` waits for the background deliveries started."""

    def __init__(self, session_factory: Callable[[], Session], delivery: Delivery[ItemT, OutcomeT],
                 clock: Clock, *,
                 attempts_now: int = 3, backoff: float = 0.2, background: bool = True, workers: int = 2,
                 name: str = "outbox") -> None:
        self._sessions = session_factory
        self._delivery = delivery
        self._clock = clock
        self._attempts_now = attempts_now
        self._backoff = backoff
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._pending: set[Future[int]] = set()
        self._lock = threading.Lock()
        #: False: deliver in the caller's thread (tests whose sessions share one connection, the CLI).
        self.background = background

    def submit(self, outbox_ids: Iterable[str]) -> None:
        """Deliver these rows (called after the transaction that queued them commits)."""
        ids = list(outbox_ids)
        if not ids:
            return
        if not self.background:
            self.deliver(ids)
            return
        future = self._pool.submit(self.deliver, ids)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[int]) -> None:
        with self._lock:
            self._pending.discard(future)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every delivery started so far has finished."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)

    def deliver(self, outbox_ids: Sequence[str]) -> int:
        """Try each owed row now, ``attempts_now`` times with backoff; how many were delivered."""
        return sum(self._attempt(item, self._attempts_now)
                   for item in self._load(lambda session: self._delivery.owed(session, outbox_ids)))

    def dispatch_due(self, limit: int = 500) -> tuple[int, int]:
        """Try once every owed row whose time has come: (delivered, still owed or given up)."""
        delivered = failed = 0
        for item in self._load(lambda session: self._delivery.due(session, self._clock.now(), limit)):
            if self._attempt(item, 1):
                delivered += 1
            else:
                failed += 1
        return delivered, failed

    def _load(self, query: Callable[[Session], Sequence[ItemT]]) -> list[ItemT]:
        """The owed rows as plain data, read in a short transaction: none stays open while the
        other side is being called."""
        session = self._sessions()
        try:
            return list(query(session))
        finally:
            session.rollback()
            session.close()

    def _attempt(self, item: ItemT, tries: int) -> bool:
        made = 0
        for attempt in range(tries):
            made += 1
            outcome = self._delivery.send(item)
            if self._delivery.delivered(outcome):
                break
            if attempt + 1 < tries:
                time.sleep(self._backoff * 2 ** attempt)
        self._record(item, made, outcome)
        return self._delivery.delivered(outcome)

    def _record(self, item: ItemT, made: int, outcome: OutcomeT) -> None:
        """Write one delivery's outcome in its own short transaction."""
        session = self._sessions()
        try:
            self._delivery.record(session, item, made, outcome, self._clock.now())
            session.commit()
        finally:
            session.close()

    def close(self) -> None:
        """Stop the pool, waiting for running deliveries."""
        self._pool.shutdown(wait=True)


class _SignedPosts(Generic[W]):
    """A webhook outbox as a :class:`Delivery`: each attempt signed (Standard Webhooks) and posted; the
    outcome is the error, None once delivered."""

    def __init__(self, outbox: WebhookOutbox[W], http: httpx.Client, clock: Clock) -> None:
        self._outbox = outbox
        self._http = http
        self._clock = clock

    def owed(self, session: Session, outbox_ids: Sequence[str]) -> Sequence[W]:
        return self._outbox.owed(session, outbox_ids)

    def due(self, session: Session, now: datetime, limit: int) -> Sequence[W]:
        return self._outbox.due(session, now, limit)

    def send(self, item: W) -> str | None:
        timestamp = int(self._clock.now().timestamp())
        headers = signed_headers(item.key, item.message_id, timestamp, item.body)
        try:
            response = self._http.post(item.url, content=item.body, headers=headers)
            if 200 <= response.status_code < 300:
                return None
            return f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]

    def delivered(self, outcome: str | None) -> bool:
        return outcome is None

    def record(self, session: Session, item: W, made: int, outcome: str | None, now: datetime) -> None:
        if outcome is not None:
            log.warning("webhook not delivered", extra={"webhook_id": item.message_id,
                                                        "attempts": item.attempts + made, "error": outcome})
        self._outbox.record(session, item, item.attempts + made, outcome, now)


class WebhookDispatcher(OutboxDispatcher[W, "str | None"]):
    """Signs and posts a webhook outbox's rows; ``flush`` waits for the background deliveries started."""

    def __init__(self, session_factory: Callable[[], Session], outbox: WebhookOutbox[W], clock: Clock, *,
                 outbound: OutboundPolicy | None = None, http: httpx.Client | None = None,
                 attempts_now: int = 3, backoff: float = 0.2, timeout: float = 5.0,
                 background: bool = True, name: str = "webhooks") -> None:
        if http is None:
            if outbound is None:
                raise ValueError("a dispatcher needs an outbound policy or an HTTP client")
            # checks each connection's address (DNS rebinding); tests may hand in their own client
            http = outbound.client(timeout=timeout)
        self._http = http
        super().__init__(session_factory, _SignedPosts(outbox, http, clock), clock,
                         attempts_now=attempts_now, backoff=backoff, background=background, name=name)

    def close(self) -> None:
        """Stop the pool (waiting for running deliveries) and close connections."""
        super().close()
        self._http.close()
