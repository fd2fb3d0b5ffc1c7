"""Post-loan monitoring tables: an institution's subscriptions and the change notifications they yield."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class MonitoringSubscription(Base):
    """An institution watches one enterprise under a periodic consent."""

    __tablename__ = "monitoring_subscription"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    institution_id: Mapped[str] = mapped_column(String(100), index=True)
    consent_id: Mapped[str] = mapped_column(String(40), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    #: Key of the HMAC-SHA256 signature on each webhook delivery (shown once, at subscription).
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(60))


class MonitoringNotification(Base):
    """One detected change, kept for the pull feed and pushed to the webhook if there is one."""

    __tablename__ = "monitoring_notification"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("monitoring_subscription.id"), index=True)
    institution_id: Mapped[str] = mapped_column(String(100), index=True)
    consent_id: Mapped[str] = mapped_column(String(40))
    credit_code: Mapped[str] = mapped_column(String(18))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
