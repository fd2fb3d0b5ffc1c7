"""Every query of the supply-chain graph: the edge store, its batches and quarantine, and the signals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.supplychain.graph import EdgeKind, EdgeRow
from bayfin.supplychain.models import GraphBatch, GraphEdge, GraphQuarantine, GraphSignal


def edge_rows(session: Session, batch_ids: Iterable[str] | None = None) -> Iterable[EdgeRow]:
    """Stored edges as graph rows (all of them, or those last written by the given batches)."""
    query = select(
        GraphEdge.kind,
        GraphEdge.source,
        GraphEdge.target,
        GraphEdge.month,
        GraphEdge.record_key,
        GraphEdge.amount_fen,
        GraphEdge.share_bp,
    ).order_by(GraphEdge.id)
    ids = None if batch_ids is None else list(batch_ids)
    if ids is not None:
        if not ids:
            return
        query = query.where(GraphEdge.batch_id.in_(ids))
    for kind, source, target, month, key, amount, share in session.execute(
        query.execution_options(yield_per=20_000)
    ):
        k = EdgeKind(kind)
        yield EdgeRow(k, source, target, key if k is EdgeKind.guarantee else month, amount, share)


def batch_ids(session: Session) -> set[str]:
    """The ids of every ingested graph batch."""
    return set(session.scalars(select(GraphBatch.id)))


def last_edge_month(session: Session) -> str:
    """The latest month of any stored edge ("" when none)."""
    return session.scalar(select(func.max(GraphEdge.month))) or ""


def current_edges(
    session: Session, kind: EdgeKind, keys: Sequence[str]
) -> dict[str, tuple[int, int, int, str, str]]:
    """Per record key of ``kind``: the stored edge's id, amount, share, source and target."""
    current: dict[str, tuple[int, int, int, str, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in session.execute(
            select(
                GraphEdge.record_key,
                GraphEdge.id,
                GraphEdge.amount_fen,
                GraphEdge.share_bp,
                GraphEdge.source,
                GraphEdge.target,
            ).where(GraphEdge.kind == kind.value, GraphEdge.record_key.in_(chunk))
        ):
            current[row[0]] = (row[1], row[2], row[3], row[4], row[5])
    return current


def update_edge(session: Session, edge_id: int, **values: Any) -> None:
    """Rewrite one stored edge in place (a re-delivered row with the same key)."""
    session.execute(update(GraphEdge).where(GraphEdge.id == edge_id).values(**values))


def insert_edges(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert new edges, in statements of 5,000 rows."""
    for start in range(0, len(rows), 5000):
        session.execute(insert(GraphEdge), rows[start : start + 5000])


def insert_quarantine(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert quarantined delivery rows (nothing when there are none)."""
    if rows:
        session.execute(insert(GraphQuarantine), rows)


def add_batch(session: Session, batch: GraphBatch) -> None:
    """Record a finished graph batch (flushed; the caller's transaction commits)."""
    session.add(batch)
    session.flush()


def signal_keys(session: Session, kind: str) -> set[str]:
    """The keys of the signals of one kind raised so far."""
    return set(session.scalars(select(GraphSignal.key).where(GraphSignal.kind == kind)))


def raised_signals(session: Session) -> set[tuple[str, str]]:
    """``(kind, key)`` of every signal raised so far."""
    return {(kind, key) for kind, key in session.execute(select(GraphSignal.kind, GraphSignal.key))}


def add_signals(session: Session, signals: Iterable[GraphSignal]) -> None:
    """Store newly raised signals (flushed)."""
    session.add_all(list(signals))
    session.flush()


def signals_page(session: Session, subject: str | None, page: PageRequest) -> list[GraphSignal]:
    """Signals raised so far, newest first, optionally about one subject (one page, one row beyond)."""
    query = keyset(select(GraphSignal), [GraphSignal.id], page, descending=True)
    if subject:
        query = query.where(GraphSignal.subject == subject)
    return list(session.scalars(query))
