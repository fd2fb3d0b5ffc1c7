"""Delivery of signed webhooks from a module's outbox table: tried after the transaction that queued
them commits (on a small thread pool, or in the caller's thread), retried with backoff, and drained
later by a worker or CLI command for what is still owed.

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


W = TypeVar("W", bound=OutgoingWebhook)


class WebhookOutbox(Protocol[W]):
    """A module's outbox table, as the dispatcher sees it (``W``: its owed-delivery record)."""

    def owed(self, session: Session, outbox_ids: Sequence[str]) -> Sequence[W]:
        """The rows among ``outbox_ids`` still to deliver (with a URL to deliver to)."""

    def due(self, session: Session, now: datetime, limit: int) -> Sequence[W]:
        """Up to ``limit`` owed rows whose retry time has come."""

    def record(self, session: Session, webhook: W, attempts: int, error: str | None,
               now: datetime) -> None:
        """Write the outcome after ``attempts`` attempts in all: delivered when ``error`` is None."""


class WebhookDispatcher(Generic[W]):
    """Signs and posts an outbox's rows; ``flush`` waits for the background deliveries started."""

    def __init__(self, session_factory: Callable[[], Session], outbox: WebhookOutbox[W], clock: Clock, *,
                 outbound: OutboundPolicy | None = None, http: httpx.Client | None = None,
                 attempts_now: int = 3, backoff: float = 0.2, timeout: float = 5.0,
                 background: bool = True, name: str = "webhooks") -> None:
        if http is None:
            if outbound is None:
                raise ValueError("a dispatcher needs an outbound policy or an HTTP client")
            # checks each connection's address (DNS rebinding); tests may hand in their own client
            http = outbound.client(timeout=timeout)
        self._sessions = session_factory
        self._outbox = outbox
        self._clock = clock
        self._attempts_now = attempts_now
        self._backoff = backoff
        self._http = http
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix=name)
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
        return sum(self._attempt(webhook, self._attempts_now)
                   for webhook in self._load(lambda session: self._outbox.owed(session, outbox_ids)))

    def dispatch_due(self, limit: int = 500) -> tuple[int, int]:
        """Try once every owed row whose time has come: (delivered, still owed or given up)."""
        delivered = failed = 0
        for webhook in self._load(lambda session: self._outbox.due(session, self._clock.now(), limit)):
            if self._attempt(webhook, 1):
                delivered += 1
            else:
                failed += 1
        return delivered, failed

    def _load(self, query: Callable[[Session], Sequence[W]]) -> list[W]:
        """The owed rows as plain data, read in a short transaction: none stays open while the
        subscriber's server is being called."""
        session = self._sessions()
        try:
            return list(query(session))
        finally:
            session.rollback()
            session.close()

    def _attempt(self, webhook: W, tries: int) -> bool:
        error: str | None = None
        made = 0
        for attempt in range(tries):
            made += 1
            timestamp = int(self._clock.now().timestamp())
            headers = signed_headers(webhook.key, webhook.message_id, timestamp, webhook.body)
            try:
                response = self._http.post(webhook.url, content=webhook.body, headers=headers)
                if 200 <= response.status_code < 300:
                    self._record(webhook, made, None)
                    return True
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            if attempt + 1 < tries:
                time.sleep(self._backoff * 2 ** attempt)
        log.warning("webhook not delivered", extra={"webhook_id": webhook.message_id,
                                                    "attempts": webhook.attempts + made, "error": error})
        self._record(webhook, made, error)
        return False

    def _record(self, webhook: W, made: int, error: str | None) -> None:
        """Write one delivery's outcome in its own short transaction."""
        session = self._sessions()
        try:
            self._outbox.record(session, webhook, webhook.attempts + made, error, self._clock.now())
            session.commit()
        finally:
            session.close()

    def close(self) -> None:
        """Stop the pool (waiting for running deliveries) and close connections."""
        self._pool.shutdown(wait=True)
        self._http.close()
