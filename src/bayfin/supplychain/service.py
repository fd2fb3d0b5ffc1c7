"""Use cases of the supply-chain graph: ingest deliveries, keep the in-memory graph current, analyse.

The graph lives in memory (one per process, provided on the platform under ``GRAPH_CACHE``) and is refreshed
incrementally: only the edges of batches it has not yet seen are loaded and folded in. Analyses are
the pure functions of :mod:`bayfin.supplychain.graph` and :mod:`bayfin.supplychain.risk`; this layer
adds the database, the hub's court data and the stored signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bayfin.creditdata import enterprise_record
from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.errors import AppError, NotFound
from bayfin.kernel.ingest import read_manifest
from bayfin.kernel.pagination import PageRequest
from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.supplychain import repository as repo
from bayfin.supplychain.graph import EdgeKind, SupplyGraph, guarantee_circles
from bayfin.supplychain.ingest import SOURCES, GraphBatchReport, ingest_graph_file
from bayfin.supplychain.models import GraphSignal
from bayfin.supplychain.risk import (
    Signal,
    default_capacity,
    dishonest_counterparty_signals,
    flow_drop_signals,
    guarantor_capacity_signals,
    new_circle_signals,
)

#: Where a region lists its graph deliveries (paths relative to the region directory).
GRAPH_MANIFEST = "graph/manifest.json"


@dataclass
class GraphCache:
    """The process's graph, and which batches it already holds."""

    graph: SupplyGraph = field(default_factory=SupplyGraph)
    applied: set[str] = field(default_factory=set)
    last_month: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, session: Session) -> SupplyGraph:
        """Fold in the edges of batches ingested since the last refresh (the incremental rebuild)."""
        with self.lock:
            batches = repo.batch_ids(session)
            new = batches - self.applied
            if new:
                ids = sorted(new)
                for start in range(0, len(ids), 500):
                    self.graph.add(repo.edge_rows(session, ids[start : start + 500]))
                self.applied |= new
                self.last_month = repo.last_edge_month(session)
            return self.graph


#: The process's graph cache on the platform, built on first use.
GRAPH_CACHE = ServiceKey("supplychain", GraphCache)


def graph_cache(platform: Platform) -> GraphCache:
    """The platform's graph cache, created on first use."""
    return platform.service_or(GRAPH_CACHE, GraphCache)


def ingest_directory(
    session: Session,
    directory: Path,
    cache: GraphCache | None = None,
    on_file: Callable[[GraphBatchReport], None] | None = None,
) -> list[GraphBatchReport]:
    """Ingest every graph delivery of a region's graph manifest, in order (flushes; the caller commits)."""
    reports = []
    for entry in read_manifest(directory, GRAPH_MANIFEST):
        if entry.source not in SOURCES:
            continue
        report, changed = ingest_graph_file(session, entry.path, entry.source, entry.as_of)
        if cache is not None and changed:
            cache.graph.add(changed)
            cache.applied.add(report.batch_id)
        reports.append(report)
        if on_file is not None:
            on_file(report)
    return reports


def build_graph(session: Session) -> SupplyGraph:
    """A fresh graph of every stored edge."""
    graph = SupplyGraph()
    graph.add(repo.edge_rows(session))
    return graph


def require_party(graph: SupplyGraph, party: str) -> str:
    """``party`` normalised, or NotFound when the graph has no edge touching it."""
    code = party.strip().upper()
    if code not in graph.index:
        raise NotFound(f"the graph has no relation of {code}")
    return code


def dishonest_debtors(session: Session, parties: Iterable[str], as_of: date | None = None) -> set[str]:
    """The parties the hub's court data lists as dishonest debtors (失信被执行人), as of a date."""
    found = set()
    for party in parties:
        try:
            record = enterprise_record(session, party, as_of)
        except AppError:
            continue
        cases = record["domains"].get("judicial_case", [])
        if any(c["values"].get("case_kind") == "dishonest_debtor" for c in cases):
            found.add(party)
    return found


def run_signals(
    session: Session,
    graph: SupplyGraph,
    month: str,
    *,
    cores: Iterable[str] | None = None,
    dishonest: set[str] | None = None,
    clock: Clock | None = None,
) -> list[Signal]:
    """Raise every signal of ``month`` not raised before; stores and returns the new ones."""
    clock = clock or SystemClock()
    if cores is None:
        inv = graph.graphs[EdgeKind.invoice]
        cores = [graph.ids[i] for i in inv.node_indices() if inv.in_degree(i) >= 5]
    cores = list(cores)
    if dishonest is None:
        # every firm that trades or guarantees: one hub read each (the hub's surface is per enterprise)
        parties: set[str] = set()
        for kind in (EdgeKind.invoice, EdgeKind.guarantee):
            g = graph.graphs[kind]
            parties.update(graph.ids[i] for i in g.node_indices() if g.in_degree(i) or g.out_degree(i))
        dishonest = dishonest_debtors(session, sorted(parties))
    known = repo.signal_keys(session, "new_guarantee_circle")
    signals = (
        flow_drop_signals(graph, cores, month)
        + dishonest_counterparty_signals(graph, dishonest, month)
        + guarantor_capacity_signals(graph, default_capacity(graph), month)
        + new_circle_signals(guarantee_circles(graph), known, month)
    )
    raised = repo.raised_signals(session)
    fresh = [s for s in signals if (s.kind, s.key) not in raised]
    now = clock.now()
    repo.add_signals(
        session,
        (
            GraphSignal(
                kind=s.kind,
                key=s.key[:400],
                subject=s.subject,
                month=s.month,
                raised_at=now,
                details=s.details,
            )
            for s in fresh
        ),
    )
    return fresh


def stored_signals(session: Session, subject: str | None = None,
                   page: PageRequest | None = None) -> list[dict[str, Any]]:
    """Signals raised so far, newest first (one page of them, read one row beyond)."""
    return [
        {
            "id": s.id,
            "kind": s.kind,
            "subject": s.subject,
            "month": s.month,
            "raised_at": s.raised_at,
            "details": s.details,
        }
        for s in repo.signals_page(session, subject, page or PageRequest())
    ]


def graph_last_month(graph: SupplyGraph) -> str:
    """The latest month with an invoice in the graph ("" when none)."""
    return max(
        (m for _, _, link in graph.graphs[EdgeKind.invoice].weighted_edge_list() for m in link.months),
        default="",
    )
