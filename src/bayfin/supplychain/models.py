"""Tables of the supply-chain graph: the edge store, its delivery batches and quarantine, and signals.

An edge row is one relation for one month (flows) or as registered (holdings, guarantees, contacts),
keyed by ``(kind, record_key)``: a later delivery with the same key updates the row in place and the
in-memory graph folds it the same way, so new months rebuild the graph incrementally.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime
from bayfin.kernel.ingest import BatchColumns, QuarantineColumns

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class GraphEdge(Base):
    """One typed, weighted, time-stamped edge: source → target of a kind, for a month."""

    __tablename__ = "graph_edge"
    __table_args__ = (
        Index("ix_graph_edge_kind", "kind", "record_key", unique=True),
        Index("ix_graph_edge_source", "source", "kind"),
        Index("ix_graph_edge_target", "target", "kind"),
    )

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    record_key: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, "" for relations without a month
    amount_fen: Mapped[int] = mapped_column(_BigInt)
    share_bp: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    batch_id: Mapped[str] = mapped_column(String(40))
    row_number: Mapped[int] = mapped_column(Integer)


class GraphBatch(BatchColumns, Base):
    """One ingested graph delivery: source, file hash, as-of date and what became of its rows."""

    __tablename__ = "graph_batch"

    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)


class GraphQuarantine(QuarantineColumns, Base):
    """A delivery row that was not stored, with its raw content and the reason."""

    __tablename__ = "graph_quarantine"
    __table_args__ = (Index("ix_graph_quarantine_batch_id", "batch_id", "row_number"),)

    reason: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text)


class GraphSignal(Base):
    """A risk signal raised once (``kind`` + ``key`` unique), with its figures (ids and codes only)."""

    __tablename__ = "graph_signal"
    __table_args__ = (Index("ix_graph_signal_kind", "kind", "key", unique=True),)

    id: Mapped[int] = mapped_column(_BigInt, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(400))
    subject: Mapped[str] = mapped_column(String(40), index=True)
    month: Mapped[str] = mapped_column(String(7))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
