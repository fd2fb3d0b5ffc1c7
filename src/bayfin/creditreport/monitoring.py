"""Post-loan monitoring: notify an institution when a watched firm's tax grade, arrears, litigation or
registration status changes, for as long as its periodic consent is live.

Notifications are kept for a pull feed and, when the subscription names a webhook, pushed after the
transaction that found them commits, through the shared webhook outbox
(:mod:`bayfin.integrations.webhook_outbox`): signed in the Standard Webhooks format
(:mod:`bayfin.integrations.webhooks`: ``webhook-id`` = ``mon_<notification id>``, the same on every
retry; ``webhook-timestamp``; ``webhook-signature: v1,<base64 HMAC-SHA256>``) under the subscription's
secret, shown once as ``whsec_…`` when it is created. A notification not delivered stays owed (never
given up) and ``bayfin monitoring deliver`` tries it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import httpx
import orjson
from sqlalchemy.orm import Session

from bayfin.consent import AccessMode, ConsentService, ConsentStatus, Purpose, effective_status, terms_of
from bayfin.creditreport import repository as repo
from bayfin.creditreport.models import MonitoringNotification, MonitoringSubscription
from bayfin.creditreport.service import changes, current_record, snapshot
from bayfin.integrations.webhook_outbox import OwedWebhook, WebhookDispatcher
from bayfin.integrations.webhooks import new_secret, signing_key
from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.errors import Conflict, NotFound
from bayfin.kernel.ids import new_id
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.kernel.pagination import PageRequest
from bayfin.kernel.security import Principal


class Monitoring:
    """Subscriptions, the change scan and the feed, on one transaction."""

    def __init__(self, session: Session, consents: ConsentService, audit: AuditLog,
                 clock: Clock, outbound: OutboundPolicy) -> None:
        self.session = session
        self.consents = consents
        self.audit = audit
        self.clock = clock
        self.outbound = outbound

    def subscribe(self, principal: Principal, consent_id: str,
                  webhook_url: str | None) -> tuple[MonitoringSubscription, str | None]:
        """Start watching the firm a live periodic consent covers; returns the webhook secret once."""
        consent = self.consents.get_for(principal, consent_id)
        if principal.organization_type != "institution":
            raise NotFound("no such consent")
        terms = terms_of(consent)
        if terms.access_mode is not AccessMode.periodic:
            raise Conflict("monitoring needs a periodic consent")
        if effective_status(terms, self.clock.now()) is not ConsentStatus.active:
            raise Conflict(f"the consent is {effective_status(terms, self.clock.now()).value}")
        secret = new_secret() if webhook_url else None
        record = current_record(self.session, consent.credit_code)
        categories = frozenset(consent.categories)
        sub = MonitoringSubscription(
            id=new_id("mon"), institution_id=consent.institution_id, consent_id=consent.id,
            credit_code=consent.credit_code,
            webhook_url=self.outbound.check_url(webhook_url) if webhook_url else None,
            webhook_secret=secret, active=True,
            snapshot=snapshot(record, categories, self.clock.now().date()) if record else {},
            created_at=self.clock.now(), last_checked_at=self.clock.now())
        repo.save(self.session, sub)
        self._audit(principal.subject, "monitoring.subscribe", sub, {"fields": sorted(sub.snapshot)})
        return sub, secret

    def unsubscribe(self, principal: Principal, subscription_id: str) -> MonitoringSubscription:
        """Stop watching."""
        sub = self._own(principal, subscription_id)
        sub.active, sub.ended_reason = False, "unsubscribed"
        self.session.flush()
        return sub

    def subscriptions(self, principal: Principal,
                      page: PageRequest | None = None) -> Sequence[MonitoringSubscription]:
        """The institution's subscriptions, oldest first (a page, one row beyond)."""
        return repo.subscriptions_of(self.session, principal.organization_id, page or PageRequest())

    def feed(self, principal: Principal, after_id: int = 0,
             limit: int = 100) -> Sequence[MonitoringNotification]:
        """The institution's notifications after ``after_id``, oldest first (a pull feed)."""
        return repo.notifications_after(self.session, principal.organization_id, after_id, limit)

    def scan(self) -> dict[str, Any]:
        """Compare every active subscription's firm with its last snapshot; record what changed.

        A paused consent is skipped (nothing is disclosed while paused); a revoked, rejected or
        expired one ends the subscription.
        """
        now = self.clock.now()
        counts = {"checked": 0, "changed": 0, "ended": 0, "paused": 0}
        found: list[int] = []
        for sub in repo.active_subscriptions(self.session):
            consent = self.consents.find(sub.consent_id)
            status = effective_status(terms_of(consent), now) if consent else ConsentStatus.revoked
            if status is ConsentStatus.paused:
                counts["paused"] += 1
                continue
            if status is not ConsentStatus.active or consent is None:
                sub.active, sub.ended_reason = False, f"consent_{status.value}"
                counts["ended"] += 1
                continue
            counts["checked"] += 1
            record = current_record(self.session, sub.credit_code)
            if record is None:
                continue
            after = snapshot(record, frozenset(consent.categories), now.date())
            diff = changes(sub.snapshot or {}, after)
            sub.last_checked_at = now
            if not diff:
                continue
            sub.snapshot = after
            note = MonitoringNotification(subscription_id=sub.id, institution_id=sub.institution_id,
                                          consent_id=sub.consent_id, credit_code=sub.credit_code,
                                          at=now, changes=diff, attempts=0)
            repo.save(self.session, note)
            self._audit("monitoring", "monitoring.notify", sub,
                        {"notification_id": note.id, "fields": [c["field"] for c in diff]})
            counts["changed"] += 1
            found.append(note.id)
        self.session.flush()
        return {**counts, "notifications": found}

    def _own(self, principal: Principal, subscription_id: str) -> MonitoringSubscription:
        sub = repo.subscription(self.session, subscription_id)
        if sub is None or sub.institution_id != principal.organization_id:
            raise NotFound("no such subscription")
        return sub

    def _audit(self, actor: str, action: str, sub: MonitoringSubscription,
               details: dict[str, Any]) -> None:
        self.audit.record(self.session, actor=actor, actor_org=sub.institution_id, action=action,
                          subject_type="enterprise", subject_id=sub.credit_code,
                          purpose=Purpose.post_loan_monitoring.value,
                          details={"consent_id": sub.consent_id, "subscription_id": sub.id,
                                   **details}, at=self.clock.now())


class NotificationOutbox:
    """The ``monitoring_notification`` table as a webhook outbox: every notification whose subscription
    has a webhook is owed until delivered (no backoff, never given up; ``bayfin monitoring deliver``
    retries what is owed)."""

    def owed(self, session: Session, outbox_ids: Sequence[str]) -> list[OwedWebhook]:
        """These notifications, if not delivered yet and their subscription has a webhook."""
        ids = [int(i) for i in outbox_ids]
        return [_webhook(note, sub) for note, sub in repo.owed_webhooks(session, ids)]

    def due(self, session: Session, now: datetime, limit: int) -> list[OwedWebhook]:
        """Every notification still owed, oldest first."""
        return [_webhook(note, sub) for note, sub in repo.undelivered_webhooks(session, limit)]

    def record(self, session: Session, webhook: OwedWebhook, attempts: int, error: str | None,
               now: datetime) -> None:
        """Delivered at ``now``, or the error kept for the next try."""
        repo.record_delivery(session, int(webhook.outbox_id), attempts, error, now)


def _webhook(note: MonitoringNotification, sub: MonitoringSubscription) -> OwedWebhook:
    body = orjson.dumps({"id": note.id, "subscription_id": sub.id, "consent_id": note.consent_id,
                         "credit_code": note.credit_code, "at": note.at.isoformat(), "changes": note.changes})
    return OwedWebhook(str(note.id), f"mon_{note.id}", sub.webhook_url or "",
                             signing_key(sub.webhook_secret or ""), body, note.attempts)


def deliver(session_factory: Callable[[], Session], notification_ids: Sequence[int], outbound: OutboundPolicy,
            client: httpx.Client | None = None, clock: Clock | None = None) -> int:
    """Push notifications to their webhooks (after the scan committed), one attempt each, in the
    caller's thread; record each attempt. Each connection is checked by ``outbound`` again: a host
    that now resolves inward is not called. How many were delivered."""
    dispatcher = WebhookDispatcher(session_factory, NotificationOutbox(), clock or SystemClock(),
                                   outbound=outbound, http=client, attempts_now=1, background=False,
                                   name="monitoring-webhooks")
    try:
        return dispatcher.deliver([str(i) for i in notification_ids])
    finally:
        if client is None:  # a client handed in stays open for its owner
            dispatcher.close()


def undelivered(session: Session, limit: int = 1000) -> list[int]:
    """Webhook notifications not delivered yet (to retry)."""
    return repo.undelivered_ids(session, limit)
