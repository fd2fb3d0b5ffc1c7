"""The in-memory association graph (rustworkx) and its queries: pure, no database.

One node per party (an enterprise by its credit code, a person by a pseudonymous ``P…`` id, a contact
point by ``T…``/``A…``) and one directed graph per edge kind over the same node indices, so each
analysis walks only the relation it is about. Parallel deliveries of the same relation (one row per
month) are folded into one edge whose payload keeps the monthly amounts: adding a new month's rows to
a built graph updates it in place — the incremental rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import rustworkx as rx


class EdgeKind(StrEnum):
    """The relations the graph holds, each directed as the money or the control flows."""

    invoice = "invoice"  # seller → buyer, VAT invoices per month (增值税发票)
    transfer = "transfer"  # payer → payee, the bank's own transfers between its customers
    shareholding = "shareholding"  # shareholder → enterprise, share in basis points (股权)
    legal_rep = "legal_rep"  # person → enterprise (法定代表人)
    guarantee = "guarantee"  # guarantor → borrower, amount guaranteed (担保)
    contact = "contact"  # enterprise → contact point (phone or address)


#: Holding at least this share (basis points) is control (实际控制).
CONTROL_BP = 5000


@dataclass(frozen=True, slots=True)
class EdgeRow:
    """One stored edge row as the graph consumes it."""

    kind: EdgeKind
    source: str
    target: str
    month: str  # "YYYY-MM" (flows) or "" (relations without a month)
    amount_fen: int = 0
    share_bp: int = 0


@dataclass(slots=True)
class Link:
    """An edge's payload: its total, its monthly amounts, and its share (for holdings)."""

    amount_fen: int = 0
    share_bp: int = 0
    months: dict[str, int] = field(default_factory=dict)


class SupplyGraph:
    """Typed, weighted, time-stamped edges over one node index space."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.ids: list[str] = []
        self.graphs: dict[EdgeKind, rx.PyDiGraph] = {k: rx.PyDiGraph(multigraph=False) for k in EdgeKind}
        self.edge_count = 0

    def node(self, party: str) -> int:
        """The index of ``party``, adding it to every kind's graph when new."""
        found = self.index.get(party)
        if found is not None:
            return found
        i = len(self.ids)
        self.ids.append(party)
        self.index[party] = i
        for g in self.graphs.values():
            g.add_node(i)
        return i

    def add(self, rows: Iterable[EdgeRow]) -> int:
        """Fold rows into the graph (a later row for the same month replaces it); returns rows applied."""
        applied = 0
        for row in rows:
            g = self.graphs[row.kind]
            u, v = self.node(row.source), self.node(row.target)
            link: Link | None = g.get_edge_data(u, v) if g.has_edge(u, v) else None
            if link is None:
                link = Link()
                g.add_edge(u, v, link)
                self.edge_count += 1
            if row.month:
                link.amount_fen += row.amount_fen - link.months.get(row.month, 0)
                link.months[row.month] = row.amount_fen
            else:
                link.amount_fen = row.amount_fen
            link.share_bp = row.share_bp or link.share_bp
            applied += 1
        return applied

    def add_parties(self, parties: list[str]) -> None:
        """Add many new parties at once (bulk loading; each must not be known yet)."""
        start = len(self.ids)
        self.ids += parties
        self.index.update((p, start + k) for k, p in enumerate(parties))
        for g in self.graphs.values():
            g.add_nodes_from(range(start, start + len(parties)))

    def add_indexed(self, kind: EdgeKind, edges: list[tuple[int, int, Link]]) -> None:
        """Add many new edges of one kind between known node indices (bulk loading, no folding)."""
        self.graphs[kind].add_edges_from(edges)
        self.edge_count += len(edges)

    def has(self, party: str) -> bool:
        """Whether the graph knows ``party``."""
        return party in self.index

    def link(self, kind: EdgeKind, source: str, target: str) -> Link | None:
        """The payload of one edge, or None."""
        g = self.graphs[kind]
        u, v = self.index.get(source), self.index.get(target)
        if u is None or v is None or not g.has_edge(u, v):
            return None
        return g.get_edge_data(u, v)  # type: ignore[no-any-return]

    def flows_in(self, party: str, kind: EdgeKind = EdgeKind.invoice) -> dict[str, int]:
        """Total amount each counterparty sent to ``party`` (its suppliers, for invoices)."""
        i = self.index.get(party)
        if i is None:
            return {}
        return {self.ids[u]: link.amount_fen for u, _, link in self.graphs[kind].in_edges(i)}

    def flows_out(self, party: str, kind: EdgeKind = EdgeKind.invoice) -> dict[str, int]:
        """Total amount ``party`` sent to each counterparty (its customers, for invoices)."""
        i = self.index.get(party)
        if i is None:
            return {}
        return {self.ids[v]: link.amount_fen for _, v, link in self.graphs[kind].out_edges(i)}


def is_enterprise(party: str) -> bool:
    """Enterprises are named by their 18-character credit code; persons and contact points are not."""
    return len(party) == 18 and party[0] not in "PTA"


@dataclass(frozen=True)
class TierMember:
    """A firm in a core enterprise's chain: its tier, share of the core's flow, and through whom."""

    credit_code: str
    tier: int
    share: float
    amount_fen: int
    via: str


def chain_tiers(
    graph: SupplyGraph, core: str, direction: str = "upstream", hops: int = 2, min_share: float = 0.0
) -> list[TierMember]:
    """Upstream (suppliers) or downstream (customers) tiers of ``core``, by share of flow, ``hops`` deep.

    A tier-k firm's share is its part of the tier-(k-1) firm's purchases (or sales) times that firm's
    own share of the core: the part of the core's flow that passes through it.
    """
    if core not in graph.index:
        return []
    shares: dict[str, float] = {core: 1.0}
    seen = {core}
    frontier = [core]
    out: list[TierMember] = []
    for tier in range(1, hops + 1):
        found: dict[str, TierMember] = {}
        for party in frontier:
            flows = graph.flows_in(party) if direction == "upstream" else graph.flows_out(party)
            total = sum(flows.values())
            if total <= 0:
                continue
            for other, amount in flows.items():
                if other in seen:
                    continue
                share = shares[party] * amount / total
                prior = found.get(other)
                if prior is None or share > prior.share:
                    found[other] = TierMember(
                        other,
                        tier,
                        share + (prior.share if prior else 0.0),
                        amount + (prior.amount_fen if prior else 0),
                        party,
                    )
        members = sorted((m for m in found.values() if m.share >= min_share), key=lambda m: -m.share)
        out += members
        for m in members:
            shares[m.credit_code] = m.share
            seen.add(m.credit_code)
        frontier = [m.credit_code for m in members]
    return out


def ego_network(
    graph: SupplyGraph,
    party: str,
    radius: int = 1,
    kinds: Iterable[EdgeKind] = tuple(EdgeKind),
    limit: int = 500,
) -> dict[str, object]:
    """Nodes within ``radius`` links of ``party`` (either direction) and the edges among them."""
    kinds = tuple(kinds)
    start = graph.index.get(party)
    if start is None:
        return {"center": party, "nodes": [], "edges": []}
    level = {start: 0}
    frontier = [start]
    for depth in range(1, radius + 1):
        nxt: list[int] = []
        for i in frontier:
            for kind in kinds:
                for j in graph.graphs[kind].neighbors_undirected(i):
                    if j not in level and len(level) < limit:
                        level[j] = depth
                        nxt.append(j)
        frontier = nxt
    edges = []
    for kind in kinds:
        g = graph.graphs[kind]
        for i in level:
            for _, j, link in g.out_edges(i):
                if j in level:
                    edges.append(
                        {
                            "kind": kind.value,
                            "source": graph.ids[i],
                            "target": graph.ids[j],
                            "amount_fen": link.amount_fen,
                            "share_bp": link.share_bp,
                        }
                    )
    nodes = [
        {"id": graph.ids[i], "hops": d, "enterprise": is_enterprise(graph.ids[i])} for i, d in level.items()
    ]
    return {"center": party, "nodes": nodes, "edges": edges}


@dataclass(frozen=True)
class Group:
    """An association group (集团客户): enterprises under common control, and who controls them."""

    members: tuple[str, ...]
    controllers: tuple[str, ...]


def association_groups(graph: SupplyGraph, min_members: int = 2) -> list[Group]:
    """Connected components over control edges (holdings ≥ 50%) with at least ``min_members`` firms."""
    src = graph.graphs[EdgeKind.shareholding]
    control = rx.PyDiGraph(multigraph=False)
    control.add_nodes_from(range(len(graph.ids)))
    control.add_edges_from_no_data(
        [
            (u, v)
            for u, v, link in ((e[0], e[1], e[2]) for e in src.weighted_edge_list())
            if link.share_bp >= CONTROL_BP
        ]
    )
    groups = []
    for component in rx.weakly_connected_components(control):
        if len(component) < 2:
            continue
        firms = sorted(graph.ids[i] for i in component if is_enterprise(graph.ids[i]))
        if len(firms) < min_members:
            continue
        roots = sorted(graph.ids[i] for i in component if control.in_degree(i) == 0)
        groups.append(Group(tuple(firms), tuple(roots)))
    return sorted(groups, key=lambda g: (-len(g.members), g.members))


def _cycles(g: rx.PyDiGraph, max_length: int, limit: int) -> list[list[int]]:
    """Simple cycles of at most ``max_length`` nodes, searched only inside non-trivial SCCs."""
    found: list[list[int]] = []
    for component in rx.strongly_connected_components(g):
        if len(component) < 2:
            continue
        sub = g.subgraph(list(component))
        back = {k: graph_index(sub, k) for k in sub.node_indices()}
        for cycle in rx.simple_cycles(sub):
            if len(cycle) <= max_length:
                found.append([back[k] for k in cycle])
                if len(found) >= limit:
                    return found
    return found


def graph_index(sub: rx.PyDiGraph, k: int) -> int:
    """The full graph's index of a subgraph node (node payloads are the party ids' indices)."""
    return int(sub[k])


def _canonical(cycle: list[str]) -> list[str]:
    """A cycle rotated to start at its smallest member, so the same cycle always reads the same."""
    k = cycle.index(min(cycle))
    return cycle[k:] + cycle[:k]


@dataclass(frozen=True)
class Circle:
    """A guarantee circle (担保圈): firms guaranteeing each other round a cycle, and the amounts."""

    firms: tuple[str, ...]
    amounts_fen: tuple[int, ...]  # firms[k] guarantees firms[k+1] for amounts_fen[k]

    @property
    def at_stake_fen(self) -> int:
        """The total guaranteed round the circle."""
        return sum(self.amounts_fen)


def guarantee_circles(graph: SupplyGraph, max_length: int = 8, limit: int = 10_000) -> list[Circle]:
    """Every guarantee cycle of up to ``max_length`` firms, with the amount of each guarantee."""
    return [
        _circle(graph, EdgeKind.guarantee, c)
        for c in _cycles(graph.graphs[EdgeKind.guarantee], max_length, limit)
    ]


def _circle(graph: SupplyGraph, kind: EdgeKind, cycle: list[int]) -> Circle:
    firms = _canonical([graph.ids[i] for i in cycle])
    amounts = []
    for k, f in enumerate(firms):
        link = graph.link(kind, f, firms[(k + 1) % len(firms)])
        amounts.append(link.amount_fen if link else 0)
    return Circle(tuple(firms), tuple(amounts))


@dataclass(frozen=True)
class TradingRing:
    """Suspected circular trading (虚开发票): an invoice cycle whose legs carry matching amounts."""

    firms: tuple[str, ...]
    matching_months: tuple[str, ...]
    amount_fen: int  # the total invoiced round the ring in the matching months


def circular_trading(
    graph: SupplyGraph, tolerance: float = 0.05, min_months: int = 3, max_length: int = 6
) -> list[TradingRing]:
    """Invoice cycles whose legs, in at least ``min_months`` months, differ by at most ``tolerance``."""
    rings = []
    for cycle in _cycles(graph.graphs[EdgeKind.invoice], max_length, 10_000):
        firms = _canonical([graph.ids[i] for i in cycle])
        legs = [graph.link(EdgeKind.invoice, f, firms[(k + 1) % len(firms)]) for k, f in enumerate(firms)]
        months = set.intersection(*(set(leg.months) for leg in legs if leg)) if all(legs) else set()
        matching = []
        total = 0
        for month in sorted(months):
            amounts = [leg.months[month] for leg in legs if leg]
            low, high = min(amounts), max(amounts)
            if low > 0 and high - low <= tolerance * high:
                matching.append(month)
                total += sum(amounts)
        if len(matching) >= min_months:
            rings.append(TradingRing(tuple(firms), tuple(matching), total))
    return sorted(rings, key=lambda r: r.firms)


def hhi(amounts: Iterable[int]) -> int:
    """Herfindahl–Hirschman index of the shares (0–10000; 10000 = one counterparty takes all)."""
    values = [a for a in amounts if a > 0]
    total = sum(values)
    if total == 0:
        return 0
    return round(sum((10_000 * a / total) ** 2 for a in values) / 10_000)


def concentration(graph: SupplyGraph, party: str) -> dict[str, int]:
    """Supplier and customer concentration (HHI) of one enterprise from its invoice flows."""
    return {
        "supplier_hhi": hhi(graph.flows_in(party).values()),
        "customer_hhi": hhi(graph.flows_out(party).values()),
        "suppliers": len(graph.flows_in(party)),
        "customers": len(graph.flows_out(party)),
    }


def month_span(first: str, last: str) -> int:
    """Months from ``first`` to ``last`` inclusive ("YYYY-MM")."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1


def stability(link: Link, last_month: str | None = None) -> float:
    """How steady a trade relation is, 0–1: months active over its span to ``last_month``, less volatility."""
    if not link.months:
        return 0.0
    months = sorted(link.months)
    end = last_month or months[-1]
    span = month_span(months[0], end)
    active = sum(1 for a in link.months.values() if a > 0)
    values = [a for a in link.months.values() if a > 0]
    mean = sum(values) / len(values) if values else 0.0
    cv = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 / mean if mean else 1.0
    longevity = min(1.0, span / 12)
    return round(max(0.0, (active / span) * longevity * (1 - min(cv, 1.0) / 2)), 4)
