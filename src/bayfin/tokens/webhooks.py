"""Signed notifications to token requestors: the ``tokens_webhooks`` outbox as the shared webhook
dispatcher (:mod:`bayfin.integrations.webhook_outbox`) sees it, and what a notification says.

A row is queued in the transaction that changes a token, tried after it commits (three tries with
backoff), then left due for ``bayfin tokens webhooks retry``; after ten attempts it is given up. Each
delivery is signed in the Standard Webhooks format (``webhook-id`` = the row id, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256>``) under the requestor's secret (``whsec_…``, shown
once when the requestor is registered); the event is the body's ``event`` field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from bayfin.integrations.webhook_outbox import OwedWebhook
from bayfin.integrations.webhooks import secret_text
from bayfin.tokens import repository as repo
from bayfin.tokens.models import Webhook

#: Attempts in all after which a notification is given up (state ``failed``).
GIVE_UP_AFTER = 10


#: One owed notification, as plain data.
RequestorWebhook = OwedWebhook


class RequestorOutbox:
    """The ``tokens_webhooks`` table as a webhook outbox (see the module docstring)."""

    def __init__(self, secret_for: Callable[[str], bytes], give_up_after: int = GIVE_UP_AFTER) -> None:
        self._secret_for = secret_for
        self._give_up_after = give_up_after

    def owed(self, session: Session, outbox_ids: Sequence[str]) -> list[RequestorWebhook]:
        """These rows, if still pending and their requestor has a webhook URL."""
        return self._owed(session, repo.webhooks_by_ids(session, outbox_ids))

    def due(self, session: Session, now: datetime, limit: int) -> list[RequestorWebhook]:
        """Pending rows whose next attempt is due."""
        return self._owed(session, repo.due_webhooks(session, now, limit))

    def _owed(self, session: Session, rows: Sequence[Webhook]) -> list[RequestorWebhook]:
        return [RequestorWebhook(w.id, w.id, url, self._secret_for(w.requestor_id),
                                 orjson.dumps({"id": w.id, "event": w.event, **w.payload}), w.attempts)
                for w in rows
                if w.state == "pending" and (url := repo.requestor_webhook_url(session, w.requestor_id))]

    def record(self, session: Session, webhook: RequestorWebhook, attempts: int, error: str | None,
               now: datetime) -> None:
        """Delivered; or pending again after a backoff; or failed after ``give_up_after`` attempts."""
        if error is None:
            values: dict[str, object] = {"state": "delivered", "delivered_at": now, "last_error": None}
        else:
            values = {"state": "failed" if attempts >= self._give_up_after else "pending",
                      "last_error": error[:200], "next_attempt_at": now + _retry_delay(attempts)}
        repo.record_delivery(session, webhook.outbox_id, attempts=attempts, **values)


def shown_secret(key: bytes) -> str:
    """A requestor's signing key as shown to it once (``whsec_<base64>``, the Standard Webhooks form)."""
    return secret_text(key)


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def payload(event: str, token_id: str, requestor_id: str, state: str, par: str, token_last4: str,
            at: datetime) -> dict[str, object]:
    """What a requestor is told of a state change (never an account number)."""
    return {"event": event, "token_id": token_id, "requestor_id": requestor_id, "state": state,
            "par": par, "token_last4": token_last4, "at": at.isoformat()}
