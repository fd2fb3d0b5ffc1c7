"""Tables: every decision made, and the block/allow/watch list entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


def _event_id_per_institution(table: str) -> tuple[UniqueConstraint, Index]:
    """An event id is unique per institution (two banks may send the same id), and among the
    platform's own ownerless events by a partial index (NULL institutions would not collide)."""
    own = text("institution_id IS NULL")
    return (UniqueConstraint("event_id", "institution_id"),
            Index(f"uq_{table}_own_event_id", "event_id", unique=True,
                  sqlite_where=own, postgresql_where=own))


class FraudDecisionRecord(Base):
    """One decision on one event: the outcome, the rules and reasons behind it, the amount protected."""

    __tablename__ = "fraud_decisions"
    __table_args__ = (Index("ix_fraud_decisions_decided_at_outcome", "decided_at", "outcome"),
                      *_event_id_per_institution("fraud_decisions"))

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(80))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(_BigInt)
    outcome: Mapped[str] = mapped_column(String(12))
    score: Mapped[int] = mapped_column(Integer)
    primary_typology: Mapped[str | None] = mapped_column(String(40), index=True)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    shadow_rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    amount_protected_fen: Mapped[int] = mapped_column(_BigInt, default=0)
    ruleset_version: Mapped[str] = mapped_column(String(60))
    institution_id: Mapped[str | None] = mapped_column(String(200))
    elapsed_us: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FraudListEntry(Base):
    """An entry on a block, allow or watch list, optionally expiring.

    Owned by the institution that put it there (``institution_id``; None: the platform's own tools)
    and applied to that institution's events; a ``shared`` entry is consortium data, read and applied
    for every bank, but still changed only by its owner."""

    __tablename__ = "fraud_list_entries"
    __table_args__ = (Index("ix_fraud_list_entries_entity", "entity_type", "value"),)

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    entity_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    institution_id: Mapped[str | None] = mapped_column(String(200), index=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)


class FraudCase(Base):
    """An analyst case opened from a REVIEW decision or an alert: priority, assignee, outcome."""

    __tablename__ = "fraud_cases"
    __table_args__ = (Index("ix_fraud_cases_status_priority", "status", "priority"),
                      *_event_id_per_institution("fraud_cases"))

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    institution_id: Mapped[str | None] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(_BigInt)
    score: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12))
    assignee: Mapped[str | None] = mapped_column(String(200), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FraudCaseEntry(Base):
    """One line of a case's history: assignment, note, customer contact or analyst decision."""

    __tablename__ = "fraud_case_entries"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(_BigInt, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(String(2000), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
