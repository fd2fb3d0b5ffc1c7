"""Signed notifications to token requestors, sent after commit from an outbox, with retries.

Each delivery is a JSON POST with ``X-Bayfin-Signature: t=<unix time>,v1=<hex HMAC-SHA-256 of
"<t>.<body>">`` under the requestor's webhook secret, ``X-Bayfin-Event`` and ``X-Bayfin-Delivery``
(the id, for the receiver to drop duplicates). A failed delivery is retried at once with backoff,
then left due in the outbox for :meth:`WebhookDispatcher.dispatch_due` (``bayfin tokens webhooks``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import orjson
from sqlalchemy.orm import Session

from bayfin.kernel.clock import Clock
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.tokens import repository as repo
from bayfin.tokens.models import Webhook

log = logging.getLogger(__name__)


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: bytes, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """True if ``header`` signs ``body`` under ``secret`` and is no older than ``tolerance`` seconds
    (what a requestor runs on receipt)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class WebhookDispatcher:
    """Delivers outbox rows on a small thread pool; ``flush`` waits for what was started."""

    def __init__(self, session_factory: Callable[[], Session], secret_for: Callable[[str], bytes],
                 clock: Clock, *, attempts_now: int = 3, backoff: float = 0.2, give_up_after: int = 10,
                 timeout: float = 5.0, background: bool = True, outbound: OutboundPolicy) -> None:
        self._sessions = session_factory
        self._secret_for = secret_for
        self._clock = clock
        self._attempts_now = attempts_now
        self._backoff = backoff
        self._give_up_after = give_up_after
        self._http = outbound.client(timeout=timeout)  # checks each connection's address (DNS rebinding)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tokens-webhooks")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        #: False: deliver in the caller's thread (tests whose sessions share one connection, the CLI).
        self.background = background

    def submit(self, webhook_ids: Iterable[str]) -> None:
        """Deliver these outbox rows in the background (called after the transaction commits)."""
        ids = list(webhook_ids)
        if not ids:
            return
        if not self.background:
            self.deliver(ids)
            return
        future = self._pool.submit(self.deliver, ids)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every delivery started so far has finished."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)

    def deliver(self, webhook_ids: list[str]) -> None:
        """Try each row now, with ``attempts_now`` tries and backoff; record the outcome."""
        for delivery in self._load(lambda session: repo.webhooks_by_ids(session, webhook_ids)):
            self._attempt(delivery, self._attempts_now)

    def dispatch_due(self, limit: int = 500) -> tuple[int, int]:
        """Retry every pending row whose time has come: (delivered, still pending or failed)."""
        delivered = failed = 0
        for delivery in self._load(lambda session: repo.due_webhooks(session, self._clock.now(), limit)):
            if self._attempt(delivery, 1):
                delivered += 1
            else:
                failed += 1
        return delivered, failed

    def _load(self, query: Callable[[Session], Sequence[Webhook]]) -> list[_Delivery]:
        """The pending rows as plain data, read in a short transaction: no transaction stays open
        while the requestor's server is being called."""
        session = self._sessions()
        try:
            return [_Delivery(w.id, w.requestor_id, w.event, dict(w.payload), w.attempts, url)
                    for w in query(session)
                    if w.state == "pending" and (url := repo.requestor_webhook_url(session, w.requestor_id))]
        finally:
            session.rollback()
            session.close()

    def _attempt(self, delivery: _Delivery, tries: int) -> bool:
        body = orjson.dumps({"id": delivery.id, "event": delivery.event, **delivery.payload})
        error: str | None = None
        made = 0
        for attempt in range(tries):
            made += 1
            timestamp = int(self._clock.now().timestamp())
            headers = {"content-type": "application/json", "x-bayfin-event": delivery.event,
                       "x-bayfin-delivery": delivery.id,
                       "x-bayfin-signature": sign(self._secret_for(delivery.requestor_id), timestamp, body)}
            try:
                response = self._http.post(delivery.url, content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    self._record(delivery, made, None)
                    return True
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            if attempt + 1 < tries:
                time.sleep(self._backoff * 2 ** attempt)
        log.warning("webhook not delivered", extra={"webhook_id": delivery.id,
                                                    "attempts": delivery.attempts + made, "error": error})
        self._record(delivery, made, error)
        return False

    def _record(self, delivery: _Delivery, made: int, error: str | None) -> None:
        """Write one delivery's outcome in its own short transaction."""
        attempts = delivery.attempts + made
        now = self._clock.now()
        if error is None:
            values: dict[str, object] = {"state": "delivered", "delivered_at": now, "last_error": None}
        else:
            values = {"state": "failed" if attempts >= self._give_up_after else "pending",
                      "last_error": error, "next_attempt_at": now + _retry_delay(attempts)}
        session = self._sessions()
        try:
            repo.record_delivery(session, delivery.id, attempts=attempts, **values)
            session.commit()
        finally:
            session.close()

    def close(self) -> None:
        """Stop the pool (waiting for running deliveries) and close connections."""
        self._pool.shutdown(wait=True)
        self._http.close()


@dataclass(frozen=True, slots=True)
class _Delivery:
    id: str
    requestor_id: str
    event: str
    payload: dict[str, object]
    attempts: int
    url: str


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def payload(event: str, token_id: str, requestor_id: str, state: str, par: str, token_last4: str,
            at: datetime) -> dict[str, object]:
    """What a requestor is told of a state change (never an account number)."""
    return {"event": event, "token_id": token_id, "requestor_id": requestor_id, "state": state,
            "par": par, "token_last4": token_last4, "at": at.isoformat()}
