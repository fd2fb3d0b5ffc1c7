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
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import orjson
from sqlalchemy.orm import Session

from bayfin.kernel.clock import Clock
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
                 timeout: float = 5.0, background: bool = True) -> None:
        self._sessions = session_factory
        self._secret_for = secret_for
        self._clock = clock
        self._attempts_now = attempts_now
        self._backoff = backoff
        self._give_up_after = give_up_after
        self._http = httpx.Client(timeout=timeout)
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
        session = self._sessions()
        try:
            for webhook in repo.webhooks_by_ids(session, webhook_ids):
                self._attempt(session, webhook, self._attempts_now)
                session.commit()
        finally:
            session.close()

    def dispatch_due(self, limit: int = 500) -> tuple[int, int]:
        """Retry every pending row whose time has come: (delivered, still pending or failed)."""
        session = self._sessions()
        delivered = failed = 0
        try:
            for webhook in repo.due_webhooks(session, self._clock.now(), limit):
                if self._attempt(session, webhook, 1):
                    delivered += 1
                else:
                    failed += 1
                session.commit()
        finally:
            session.close()
        return delivered, failed

    def _attempt(self, session: Session, webhook: Webhook, tries: int) -> bool:
        url = repo.requestor_webhook_url(session, webhook.requestor_id)
        if webhook.state != "pending" or not url:
            return False
        body = orjson.dumps({"id": webhook.id, "event": webhook.event, **webhook.payload})
        for attempt in range(tries):
            webhook.attempts += 1
            timestamp = int(self._clock.now().timestamp())
            headers = {"content-type": "application/json", "x-bayfin-event": webhook.event,
                       "x-bayfin-delivery": webhook.id,
                       "x-bayfin-signature": sign(self._secret_for(webhook.requestor_id), timestamp, body)}
            try:
                response = self._http.post(url, content=body, headers=headers)
                if 200 <= response.status_code < 300:
                    webhook.state, webhook.delivered_at, webhook.last_error = ("delivered",
                                                                               self._clock.now(), None)
                    return True
                webhook.last_error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                webhook.last_error = type(exc).__name__
            if attempt + 1 < tries:
                time.sleep(self._backoff * 2 ** attempt)
        log.warning("webhook not delivered", extra={"webhook_id": webhook.id, "attempts": webhook.attempts,
                                                    "error": webhook.last_error})
        if webhook.attempts >= self._give_up_after:
            webhook.state = "failed"
        webhook.next_attempt_at = self._clock.now() + _retry_delay(webhook.attempts)
        return False

    def close(self) -> None:
        """Stop the pool (waiting for running deliveries) and close connections."""
        self._pool.shutdown(wait=True)
        self._http.close()


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def payload(event: str, token_id: str, requestor_id: str, state: str, par: str, token_last4: str,
            at: datetime) -> dict[str, object]:
    """What a requestor is told of a state change (never an account number)."""
    return {"event": event, "token_id": token_id, "requestor_id": requestor_id, "state": state,
            "par": par, "token_last4": token_last4, "at": at.isoformat()}
