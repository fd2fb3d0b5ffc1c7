"""Risk over the graph: DebtRank contagion, risk signals and supply-chain finance limits (pure).

Contagion is DebtRank (Battiston et al., 2012, "DebtRank: too central to fail?"). Each firm i has a
distress h_i in [0, 1] (1 = defaulted). An edge j→i carries an impact weight W_ji: the part of i's
loss-absorbing capacity it loses if j defaults —
  * guarantee g→b: if the borrower b defaults the guarantor pays, W_bg = amount / capacity(g);
  * invoice s→b: if the buyer b defaults the seller loses about two months of receivables,
    W_bs = 2 × monthly sales to b / capacity(s); if the supplier s defaults the buyer loses supply,
    W_sb = ½ × s's share of b's purchases.
Weights are capped at 1. Starting from the initial distress h⁰, every distressed firm passes its
distress to its neighbours exactly once (h_i ← min(1, h_i + Σ_j W_ji h_j)), then goes inactive, so the
walk ends even round cycles. A firm's exposure score is h_i − h⁰_i: the loss that reaches it through
its links, and the edges that carried the most of it are the neighbours that drive it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from bayfin.supplychain.graph import (
    Circle,
    EdgeKind,
    SupplyGraph,
    chain_tiers,
    is_enterprise,
    month_span,
    stability,
)

#: Capacity of a firm the caller knows nothing about: six months of its sales, at least 10 000 元.
MIN_CAPACITY_FEN = 1_000_000


def default_capacity(graph: SupplyGraph) -> np.ndarray:
    """Loss-absorbing capacity per node (fen) from the graph alone: six months of average sales."""
    cap = np.full(len(graph.ids), float(MIN_CAPACITY_FEN))
    g = graph.graphs[EdgeKind.invoice]
    for u, _v, link in g.weighted_edge_list():
        months = max(1, len(link.months))
        cap[u] += 6.0 * link.amount_fen / months
    return cap


def impact_edges(
    graph: SupplyGraph, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The DebtRank impact edges (from, to, weight, kind code 0 = guarantee, 1 = buyer, 2 = supplier)."""
    src: list[int] = []
    dst: list[int] = []
    w: list[float] = []
    kind: list[int] = []
    for g_, b, link in graph.graphs[EdgeKind.guarantee].weighted_edge_list():
        src.append(b)
        dst.append(g_)
        w.append(link.amount_fen / capacity[g_])
        kind.append(0)
    inv = graph.graphs[EdgeKind.invoice]
    bought = np.zeros(len(graph.ids))
    edges = inv.weighted_edge_list()
    for _s, b, link in edges:
        bought[b] += link.amount_fen
    for s, b, link in edges:
        monthly = link.amount_fen / max(1, len(link.months))
        src.append(b)
        dst.append(s)
        w.append(2.0 * monthly / capacity[s])
        kind.append(1)
        if bought[b] > 0:
            src.append(s)
            dst.append(b)
            w.append(0.5 * link.amount_fen / bought[b])
            kind.append(2)
    return (
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        np.minimum(np.asarray(w, dtype=np.float64), 1.0),
        np.asarray(kind, dtype=np.int8),
    )


_KIND_NAMES = ("guarantee", "buyer_default", "supplier_default")


@dataclass
class Contagion:
    """The outcome of one DebtRank run: distress before and after, and what each edge carried."""

    graph: SupplyGraph
    initial: np.ndarray
    final: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    kind: np.ndarray
    carried: np.ndarray
    rounds: int

    def exposure(self, party: str) -> float:
        """The distress that reached ``party`` through its links (0–1)."""
        i = self.graph.index[party]
        return float(self.final[i] - self.initial[i])

    def drivers(self, party: str, top: int = 5) -> list[dict[str, object]]:
        """The neighbours whose distress reached ``party``, largest first, with the channel."""
        i = self.graph.index[party]
        hit = np.flatnonzero((self.dst == i) & (self.carried > 0))
        order = hit[np.argsort(-self.carried[hit])][:top]
        return [
            {
                "credit_code": self.graph.ids[int(self.src[e])],
                "channel": _KIND_NAMES[int(self.kind[e])],
                "contribution": round(float(self.carried[e]), 6),
            }
            for e in order
        ]

    def ranking(self, top: int = 20) -> list[tuple[str, float]]:
        """The most exposed enterprises."""
        exposure = self.final - self.initial
        order = np.argsort(-exposure)
        out: list[tuple[str, float]] = []
        for i in order:
            if exposure[i] <= 0 or len(out) >= top:
                break
            if is_enterprise(self.graph.ids[int(i)]):
                out.append((self.graph.ids[int(i)], round(float(exposure[i]), 6)))
        return out


def debtrank(
    graph: SupplyGraph,
    distress: Mapping[str, float],
    capacity: np.ndarray | None = None,
    max_rounds: int = 100,
) -> Contagion:
    """Propagate the initial ``distress`` (party → 0..1) along guarantee and trade edges (DebtRank)."""
    cap = default_capacity(graph) if capacity is None else capacity
    src, dst, w, kind = impact_edges(graph, cap)
    n = len(graph.ids)
    h0 = np.zeros(n)
    for party, value in distress.items():
        if party in graph.index:
            h0[graph.index[party]] = min(1.0, max(0.0, value))
    h = h0.copy()
    distressed = h > 0
    inactive = np.zeros(n, dtype=bool)
    carried = np.zeros(len(src))
    rounds = 0
    while distressed.any() and rounds < max_rounds:
        live = distressed[src]
        flow = np.where(live, w * h[src], 0.0)
        carried += flow
        h_new = np.minimum(1.0, h + np.bincount(dst, weights=flow, minlength=n))
        inactive |= distressed
        distressed = (h_new > 0) & ~inactive
        h = h_new
        rounds += 1
    return Contagion(graph, h0, h, src, dst, kind, carried, rounds)


@dataclass(frozen=True)
class Signal:
    """A risk signal: what happened, to whom, and the ids and figures behind it."""

    kind: str
    subject: str
    key: str
    month: str
    details: dict[str, object]


def _month_total(graph: SupplyGraph, party: str, month: str) -> int:
    i = graph.index[party]
    return sum(link.months.get(month, 0) for _, _, link in graph.graphs[EdgeKind.invoice].in_edges(i))


def previous_months(month: str, count: int) -> list[str]:
    """The ``count`` months before ``month`` ("YYYY-MM"), oldest first."""
    y, m = int(month[:4]), int(month[5:7])
    out = []
    for k in range(count, 0, -1):
        yy, mm = divmod(y * 12 + m - 1 - k, 12)
        out.append(f"{yy:04d}-{mm + 1:02d}")
    return out


def flow_drop_signals(
    graph: SupplyGraph, cores: Iterable[str], month: str, drop: float = 0.5
) -> list[Signal]:
    """A core buyer whose invoice inflow in ``month`` fell by at least ``drop`` against its 3-month mean."""
    out = []
    for core in cores:
        if core not in graph.index:
            continue
        before = [_month_total(graph, core, m) for m in previous_months(month, 3)]
        mean = sum(before) / 3
        now = _month_total(graph, core, month)
        if mean > 0 and now <= (1 - drop) * mean:
            suppliers = sorted(graph.flows_in(core))
            out.append(
                Signal(
                    "core_flow_drop",
                    core,
                    f"{core}:{month}",
                    month,
                    {"mean_fen": int(mean), "month_fen": now, "suppliers": suppliers},
                )
            )
    return out


def dishonest_counterparty_signals(graph: SupplyGraph, dishonest: Iterable[str], month: str) -> list[Signal]:
    """Each firm trading with or guaranteed by a firm now on the dishonest-debtor list (失信被执行人)."""
    out = []
    for bad in sorted(set(dishonest)):
        i = graph.index.get(bad)
        if i is None:
            continue
        for kind in (EdgeKind.invoice, EdgeKind.guarantee):
            for j in sorted(graph.graphs[kind].neighbors_undirected(i)):
                party = graph.ids[j]
                if is_enterprise(party):
                    out.append(
                        Signal(
                            "counterparty_dishonest",
                            party,
                            f"{party}:{bad}:{kind.value}",
                            month,
                            {"counterparty": bad, "relation": kind.value},
                        )
                    )
    return out


def guarantor_capacity_signals(
    graph: SupplyGraph, capacity: np.ndarray, month: str, ratio: float = 1.0
) -> list[Signal]:
    """A guarantor whose guarantees outstanding exceed ``ratio`` × its capacity."""
    g = graph.graphs[EdgeKind.guarantee]
    given = np.zeros(len(graph.ids))
    for u, _v, link in g.weighted_edge_list():
        given[u] += link.amount_fen
    out = []
    for i in np.flatnonzero(given > ratio * capacity):
        party = graph.ids[int(i)]
        out.append(
            Signal(
                "guarantor_over_capacity",
                party,
                f"{party}:{int(given[i])}",
                month,
                {"guaranteed_fen": int(given[i]), "capacity_fen": int(capacity[i])},
            )
        )
    return out


def new_circle_signals(circles: Iterable[Circle], known: set[str], month: str) -> list[Signal]:
    """A guarantee circle not seen before (``known`` holds the keys of circles already signalled)."""
    out = []
    for c in circles:
        key = ">".join(c.firms)
        if key not in known:
            out.append(
                Signal(
                    "new_guarantee_circle",
                    c.firms[0],
                    key,
                    month,
                    {"firms": list(c.firms), "at_stake_fen": c.at_stake_fen},
                )
            )
    return out


@dataclass(frozen=True)
class FinanceTerms:
    """How a receivable limit and rate are set (a bank's policy, overridable)."""

    advance_rate: Decimal = Decimal("0.70")  # part of verified receivables the bank lends against
    tenor_months: int = 3  # months of receivables outstanding at a time
    window_months: int = 6  # months of invoice history that count
    base_rate: Decimal = Decimal("0.0600")  # annual rate before discounts
    floor_rate: Decimal = Decimal("0.0350")
    tier_discount: tuple[Decimal, ...] = (Decimal("0.0100"), Decimal("0.0050"))  # tier 1, tier 2
    stability_discount: Decimal = Decimal("0.0075")  # at stability 1
    score_discount: Decimal = Decimal("0.0075")  # at score 1 (0–1 scale)


def receivable_offers(
    graph: SupplyGraph,
    core: str,
    last_month: str,
    terms: FinanceTerms | None = None,
    scores: Mapping[str, float] | None = None,
) -> list[dict[str, object]]:
    """Supply-chain finance offers (应收账款融资) for the suppliers of ``core``, as marketplace products.

    The limit is the advance rate × the average monthly verified flow (invoices in the window that reach
    the core, directly for tier 1 or through the tier-1 firm for tier 2) × the tenor, scaled by the
    relation's stability; the rate discounts the base rate by chain position, stability and score.
    """
    terms = terms or FinanceTerms()
    window = set([*previous_months(last_month, terms.window_months - 1), last_month])
    offers = []
    for member in chain_tiers(graph, core, "upstream", hops=2):
        if member.tier > len(terms.tier_discount):
            continue
        link = graph.link(EdgeKind.invoice, member.credit_code, member.via)
        if link is None:
            continue
        flows = [a for m, a in link.months.items() if m in window]
        if not flows:
            continue
        steady = Decimal(str(stability(link, last_month)))
        monthly = Decimal(sum(flows)) / terms.window_months
        limit = int(
            (terms.advance_rate * monthly * terms.tenor_months * steady).to_integral_value(ROUND_HALF_UP)
        )
        score = Decimal(str(round(scores.get(member.credit_code, 0.0), 4))) if scores else Decimal(0)
        rate = max(
            terms.floor_rate,
            terms.base_rate
            - terms.tier_discount[member.tier - 1]
            - terms.stability_discount * steady
            - terms.score_discount * score,
        )
        months = sorted(link.months)
        # the bank's own transfers buyer → supplier corroborate the invoices of the same months
        paid = graph.link(EdgeKind.transfer, member.via, member.credit_code)
        corroborated = sum(1 for m in window if paid and paid.months.get(m) and link.months.get(m))
        offers.append(
            {
                "product_type": "supply_chain_receivable",
                "core": core,
                "supplier": member.credit_code,
                "tier": member.tier,
                "buyer": member.via,
                "share_of_core_flow": round(member.share, 4),
                "verified_monthly_fen": int(monthly),
                "stability": float(steady),
                "relation_months": month_span(months[0], last_month),
                "bank_corroborated_months": corroborated,
                "limit_fen": limit,
                "annual_rate": str(rate.quantize(Decimal("0.0001"))),
            }
        )
    return sorted(offers, key=lambda o: (-int(str(o["limit_fen"])), str(o["supplier"])))
