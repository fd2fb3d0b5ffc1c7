"""Every query of post-loan monitoring: subscriptions, notifications and their webhook deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from bayfin.creditreport.models import MonitoringNotification, MonitoringSubscription
from bayfin.kernel.pagination import PageRequest, keyset


def save(session: Session, row: MonitoringSubscription | MonitoringNotification) -> None:
    """Store a new or changed row now (flushed: a new notification gets its id)."""
    session.add(row)
    session.flush()


def subscription(session: Session, subscription_id: str) -> MonitoringSubscription | None:
    """One subscription by id."""
    return session.get(MonitoringSubscription, subscription_id)


def subscriptions_of(session: Session, institution_id: str | None,
                     page: PageRequest) -> Sequence[MonitoringSubscription]:
    """An institution's subscriptions, oldest first (a page, one row beyond)."""
    stmt = select(MonitoringSubscription).where(MonitoringSubscription.institution_id == institution_id)
    return session.scalars(keyset(stmt, [MonitoringSubscription.created_at, MonitoringSubscription.id],
                                  page)).all()


def active_subscriptions(session: Session) -> Sequence[MonitoringSubscription]:
    """Every active subscription, in id order (what a scan compares)."""
    return session.scalars(select(MonitoringSubscription).where(MonitoringSubscription.active.is_(True))
                           .order_by(MonitoringSubscription.id)).all()


def notifications_after(session: Session, institution_id: str | None, after_id: int,
                        limit: int) -> Sequence[MonitoringNotification]:
    """An institution's notifications after ``after_id``, oldest first."""
    return session.scalars(select(MonitoringNotification)
                           .where(MonitoringNotification.institution_id == institution_id,
                                  MonitoringNotification.id > after_id)
                           .order_by(MonitoringNotification.id).limit(limit)).all()


def owed_webhooks(session: Session, notification_ids: Sequence[int]
                  ) -> Sequence[tuple[MonitoringNotification, MonitoringSubscription]]:
    """These notifications, if not delivered yet and their subscription has a webhook URL, with their
    subscriptions, in id order."""
    if not notification_ids:
        return []
    rows = session.execute(_undelivered().where(MonitoringNotification.id.in_(notification_ids))
                           .order_by(MonitoringNotification.id)).all()
    return [(note, sub) for note, sub in rows]


def undelivered_webhooks(session: Session, limit: int
                         ) -> Sequence[tuple[MonitoringNotification, MonitoringSubscription]]:
    """Up to ``limit`` notifications not delivered to their webhook yet, oldest first."""
    rows = session.execute(_undelivered().order_by(MonitoringNotification.id).limit(limit)).all()
    return [(note, sub) for note, sub in rows]


def undelivered_ids(session: Session, limit: int) -> list[int]:
    """Ids of webhook notifications not delivered yet, oldest first."""
    return list(session.scalars(
        select(MonitoringNotification.id)
        .join(MonitoringSubscription, MonitoringSubscription.id == MonitoringNotification.subscription_id)
        .where(MonitoringNotification.delivered_at.is_(None),
               MonitoringSubscription.webhook_url.is_not(None))
        .order_by(MonitoringNotification.id).limit(limit)).all())


def record_delivery(session: Session, notification_id: int, attempts: int, error: str | None,
                    now: datetime) -> None:
    """Write a delivery's outcome: delivered at ``now`` when ``error`` is None."""
    note = session.get(MonitoringNotification, notification_id)
    if note is None:
        return
    note.attempts = attempts
    if error is None:
        note.delivered_at, note.last_error = now, None
    else:
        note.last_error = error
    session.flush()


def _undelivered() -> Select[MonitoringNotification, MonitoringSubscription]:
    return (select(MonitoringNotification, MonitoringSubscription)
            .join(MonitoringSubscription, MonitoringSubscription.id == MonitoringNotification.subscription_id)
            .where(MonitoringNotification.delivered_at.is_(None),
                   MonitoringSubscription.webhook_url.is_not(None)))
