"""Post-loan monitoring: notify an institution when a watched firm's tax grade, arrears, litigation or
registration status changes, for as long as its periodic consent is live.

Notifications are kept for a pull feed and, when the subscription names a webhook, pushed after the
transaction that found them commits, signed with HMAC-SHA256 (header ``X-Bayfin-Signature``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from bayfin.consent import ConsentService
from bayfin.consent import domain as cd
from bayfin.consent.service import terms_of
from bayfin.creditreport.models import MonitoringNotification, MonitoringSubscription
from bayfin.creditreport.service import changes, current_record, snapshot
from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import Conflict, NotFound
from bayfin.kernel.ids import new_id
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.kernel.security import Principal


def signature(secret: str, body: bytes) -> str:
    """The webhook signature header value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
        if terms.access_mode is not cd.AccessMode.periodic:
            raise Conflict("monitoring needs a periodic consent")
        if cd.effective_status(terms, self.clock.now()) is not cd.ConsentStatus.active:
            raise Conflict(f"the consent is {cd.effective_status(terms, self.clock.now()).value}")
        secret = secrets.token_urlsafe(32) if webhook_url else None
        record = current_record(self.session, consent.credit_code)
        categories = frozenset(consent.categories)
        sub = MonitoringSubscription(
            id=new_id("mon"), institution_id=consent.institution_id, consent_id=consent.id,
            credit_code=consent.credit_code,
            webhook_url=self.outbound.check_url(webhook_url) if webhook_url else None,
            webhook_secret=secret, active=True,
            snapshot=snapshot(record, categories, self.clock.now().date()) if record else {},
            created_at=self.clock.now(), last_checked_at=self.clock.now())
        self.session.add(sub)
        self.session.flush()
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
        stmt = select(MonitoringSubscription).where(MonitoringSubscription.institution_id ==
                                                    principal.organization_id)
        return self.session.scalars(keyset(stmt, [MonitoringSubscription.created_at,
                                                  MonitoringSubscription.id], page or PageRequest())).all()

    def feed(self, principal: Principal, after_id: int = 0,
             limit: int = 100) -> Sequence[MonitoringNotification]:
        """The institution's notifications after ``after_id``, oldest first (a pull feed)."""
        return self.session.scalars(select(MonitoringNotification)
                                    .where(MonitoringNotification.institution_id ==
                                           principal.organization_id,
                                           MonitoringNotification.id > after_id)
                                    .order_by(MonitoringNotification.id).limit(limit)).all()

    def scan(self) -> dict[str, Any]:
        """Compare every active subscription's firm with its last snapshot; record what changed.

        A paused consent is skipped (nothing is disclosed while paused); a revoked, rejected or
        expired one ends the subscription.
        """
        now = self.clock.now()
        counts = {"checked": 0, "changed": 0, "ended": 0, "paused": 0}
        found: list[int] = []
        subs = self.session.scalars(select(MonitoringSubscription)
                                    .where(MonitoringSubscription.active.is_(True))
                                    .order_by(MonitoringSubscription.id)).all()
        for sub in subs:
            consent = self.consents.repo.get(sub.consent_id)
            status = cd.effective_status(terms_of(consent), now) if consent else \
                cd.ConsentStatus.revoked
            if status is cd.ConsentStatus.paused:
                counts["paused"] += 1
                continue
            if status is not cd.ConsentStatus.active or consent is None:
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
            self.session.add(note)
            self.session.flush()
            self._audit("monitoring", "monitoring.notify", sub,
                        {"notification_id": note.id, "fields": [c["field"] for c in diff]})
            counts["changed"] += 1
            found.append(note.id)
        self.session.flush()
        return {**counts, "notifications": found}

    def _own(self, principal: Principal, subscription_id: str) -> MonitoringSubscription:
        sub = self.session.get(MonitoringSubscription, subscription_id)
        if sub is None or sub.institution_id != principal.organization_id:
            raise NotFound("no such subscription")
        return sub

    def _audit(self, actor: str, action: str, sub: MonitoringSubscription,
               details: dict[str, Any]) -> None:
        self.audit.record(self.session, actor=actor, actor_org=sub.institution_id, action=action,
                          subject_type="enterprise", subject_id=sub.credit_code,
                          purpose=cd.Purpose.post_loan_monitoring.value,
                          details={"consent_id": sub.consent_id, "subscription_id": sub.id,
                                   **details}, at=self.clock.now())


def deliver(session_factory: Callable[[], Session], notification_ids: Sequence[int], outbound: OutboundPolicy,
            client: httpx.Client | None = None, clock: Clock | None = None) -> int:
    """Push notifications to their webhooks (after the scan committed); record each attempt. Each
    connection is checked by ``outbound`` again: a host that now resolves inward is not called."""
    from bayfin.kernel.clock import SystemClock

    clock = clock or SystemClock()
    own = client is None
    http = client or outbound.client(timeout=5.0)
    delivered = 0
    try:
        for note_id in notification_ids:
            with session_factory() as session:
                note = session.get(MonitoringNotification, note_id)
                sub = session.get(MonitoringSubscription, note.subscription_id) if note else None
                if note is None or sub is None or not sub.webhook_url or note.delivered_at:
                    continue
                body = orjson.dumps({"id": note.id, "subscription_id": sub.id,
                                     "consent_id": note.consent_id, "credit_code": note.credit_code,
                                     "at": note.at.isoformat(), "changes": note.changes})
                note.attempts += 1
                try:
                    response = http.post(sub.webhook_url, content=body, headers={
                        "content-type": "application/json",
                        "x-bayfin-signature": signature(sub.webhook_secret or "", body)})
                    response.raise_for_status()
                    note.delivered_at, note.last_error = clock.now(), None
                    delivered += 1
                except httpx.HTTPError as exc:
                    note.last_error = f"{type(exc).__name__}: {exc}"[:500]
                session.commit()
    finally:
        if own:
            http.close()
    return delivered


def undelivered(session: Session, limit: int = 1000) -> list[int]:
    """Webhook notifications not delivered yet (to retry)."""
    return list(session.scalars(
        select(MonitoringNotification.id)
        .join(MonitoringSubscription,
              MonitoringSubscription.id == MonitoringNotification.subscription_id)
        .where(MonitoringNotification.delivered_at.is_(None),
               MonitoringSubscription.webhook_url.is_not(None))
        .order_by(MonitoringNotification.id).limit(limit)).all())
