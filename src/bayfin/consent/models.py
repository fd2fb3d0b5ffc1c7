"""Consent tables: the artefact, its status history, and each use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Consent(Base):
    """One consent artefact: an enterprise lets one institution see some of its data for a purpose."""

    __tablename__ = "consent"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    institution_id: Mapped[str] = mapped_column(String(100), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    purpose_code: Mapped[str] = mapped_column(String(8))
    purpose_text: Mapped[str] = mapped_column(String(500))
    requested_categories: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[list[str]] = mapped_column(JSON)
    access_mode: Mapped[str] = mapped_column(String(16))
    frequency_unit: Mapped[str] = mapped_column(String(8))
    frequency_value: Mapped[int] = mapped_column(Integer)
    data_from: Mapped[date] = mapped_column(Date)
    data_to: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    data_life_unit: Mapped[str] = mapped_column(String(8))
    data_life_value: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    linked_application_id: Mapped[str | None] = mapped_column(String(60))
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signature: Mapped[str | None] = mapped_column(Text)
    signed_artefact: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentEvent(Base):
    """One status change, timestamped, with its reason code and who made it."""

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consent.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(200))


class ConsentUse(Base):
    """One use of a consent by its institution (frequency limits count these)."""

    __tablename__ = "consent_use"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consent.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON)
    endpoint: Mapped[str] = mapped_column(String(60))
