"""Tables of risk monitoring: evidence batches and rows, quarantine, review queue, licences, tags,
index history, watchlist alerts and leads (线索)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime
from bayfin.kernel.ingest import BatchColumns, QuarantineColumns

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class RiskBatch(BatchColumns, Base):
    """One ingested evidence delivery: rows in = stored + duplicate + quarantined."""

    __tablename__ = "risk_batch"

    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duplicate: Mapped[int] = mapped_column(Integer)


class RiskQuarantine(QuarantineColumns, Base):
    """A delivery row that could not be read, kept with the reason and its raw text."""

    __tablename__ = "risk_quarantine"

    batch_id: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(60))


class RiskEvidence(Base):
    """One piece of evidence (web page, police case, hotline ticket), linked to a firm or awaiting review."""

    __tablename__ = "risk_evidence"
    __table_args__ = (Index("ix_risk_evidence_content_hash", "content_hash", unique=True),)

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(60))
    row_number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(200))
    occurred_on: Mapped[date] = mapped_column(Date)
    mention: Mapped[str | None] = mapped_column(String(500), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    people: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_fen: Mapped[int | None] = mapped_column(_BigInt, nullable=True)
    traffic: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True, index=True)
    link_method: Mapped[str] = mapped_column(String(40))
    link_confidence: Mapped[float] = mapped_column(Float)
    link_candidates: Mapped[list[Any]] = mapped_column(JSON)
    review_status: Mapped[str] = mapped_column(String(20), index=True)  # linked | open | resolved
    content_hash: Mapped[str] = mapped_column(String(64))


class RiskLicence(Base):
    """An entry of the financial licence register."""

    __tablename__ = "risk_licence"
    __table_args__ = (Index("ix_risk_licence_licence_no", "licence_no", unique=True),)

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    licence_type: Mapped[str] = mapped_column(String(40))
    licence_no: Mapped[str] = mapped_column(String(60))
    valid_until: Mapped[date] = mapped_column(Date)
    batch_id: Mapped[str] = mapped_column(String(40))


class RiskTag(Base):
    """A tag on a firm with the evidence behind it (source, date, snippet) and how it was found."""

    __tablename__ = "risk_tag"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    tag: Mapped[str] = mapped_column(String(60))
    method: Mapped[str] = mapped_column(String(20))  # rule | classifier | aggregate
    confidence: Mapped[float] = mapped_column(Float)
    evidence_id: Mapped[int | None] = mapped_column(_BigInt, nullable=True)
    source: Mapped[str] = mapped_column(String(60))
    occurred_on: Mapped[date] = mapped_column(Date)
    snippet: Mapped[str] = mapped_column(Text)


class RiskScore(Base):
    """One computed index of a firm (the history is every row), with dimensions and explanation."""

    __tablename__ = "risk_score"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(20), index=True)
    categories: Mapped[list[Any]] = mapped_column(JSON)
    dimensions: Mapped[dict[str, Any]] = mapped_column(JSON)
    explanation: Mapped[list[Any]] = mapped_column(JSON)
    estimates: Mapped[dict[str, Any]] = mapped_column(JSON)
    trigger: Mapped[str] = mapped_column(String(60))


class RiskAlert(Base):
    """A firm crossed a level on re-scoring."""

    __tablename__ = "risk_alert"

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_level: Mapped[str] = mapped_column(String(20))
    to_level: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    lead_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class RiskLead(Base):
    """A lead (线索) for a district or agency: open → dispatched → investigating → confirmed | dismissed."""

    __tablename__ = "risk_lead"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    alert_id: Mapped[int | None] = mapped_column(_BigInt, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)
    assignee: Mapped[str | None] = mapped_column(String(120), nullable=True)
    score: Mapped[float] = mapped_column(Float)
    categories: Mapped[list[Any]] = mapped_column(JSON)
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    history: Mapped[list[Any]] = mapped_column(JSON)
