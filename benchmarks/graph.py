"""Benchmark: the supply-chain graph on a full region (800k firms, millions of edges), beside networkx.

    .venv/bin/python benchmarks/graph.py                     # 800 000 firms
    .venv/bin/python benchmarks/graph.py --firms 100000 --no-networkx

Edges are generated directly in bulk with numpy (going through delivery files and the database would
measure the ingestion, which ``benchmarks/hub_ingest.py``-style runs cover, not the graph): invoice
flows (each firm selling to ~2.5 buyers of higher rank, one month each), guarantees (~0.5 per firm,
acyclic), one owner and legal representative per firm, groups under common control and minority
stakes, plus planted guarantee circles and fake-invoice rings that every run must find exactly.
Timed with rustworkx (the module's code, :mod:`bayfin.supplychain.graph` / ``risk``) and the same
analyses written against networkx, as ratios (networkx time / rustworkx time).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import psutil

from bayfin.supplychain.graph import (
    CONTROL_BP,
    EdgeKind,
    Link,
    SupplyGraph,
    association_groups,
    circular_trading,
    ego_network,
    guarantee_circles,
)
from bayfin.supplychain.risk import debtrank

MONTH = "2024-12"


def rss_mb() -> float:
    """Resident memory of this process (MB)."""
    return psutil.Process().memory_info().rss / 2**20


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and its wall time in seconds."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def generate(n: int, seed: int) -> dict[str, Any]:
    """Edge arrays per kind over n firms and n persons, with the planted cycles."""
    rng = np.random.default_rng(seed)
    rank = rng.permutation(n)
    order = np.argsort(rank)  # order[r] = firm of rank r
    out: dict[str, Any] = {}
    # invoices: seller of rank r sells to firms of higher rank (within the next 5000 ranks: local markets)
    k = rng.poisson(2.5, size=n)
    r_src = np.repeat(np.arange(n), k)
    r_dst = np.minimum(n - 1, r_src + rng.integers(1, 5000, size=len(r_src)))
    keep = r_dst > r_src
    pairs = np.unique(np.stack([order[r_src[keep]], order[r_dst[keep]]], axis=1), axis=0)
    out["invoice"] = (pairs[:, 0], pairs[:, 1], rng.integers(10_000, 10_000_000, size=len(pairs)))
    g = rng.choice(n, size=(n // 2, 2))
    g = g[rank[g[:, 0]] < rank[g[:, 1]]]
    g = np.unique(g, axis=0)
    out["guarantee"] = (g[:, 0], g[:, 1], rng.integers(1_000_000, 100_000_000, size=len(g)))
    free = rng.choice(n, size=6000, replace=False)  # firms for planted cycles, kept out of other cycles
    busy = np.zeros(n, dtype=bool)
    busy[free] = True
    gk = ~busy[out["guarantee"][0]] & ~busy[out["guarantee"][1]]
    out["guarantee"] = tuple(a[gk] for a in out["guarantee"])
    ik = ~busy[out["invoice"][0]] & ~busy[out["invoice"][1]]
    out["invoice"] = tuple(a[ik] for a in out["invoice"])
    circles, rings, cursor = [], [], 0
    for _ in range(300):
        size = int(rng.integers(2, 5))
        circles.append(free[cursor:cursor + size].tolist())
        cursor += size
    for _ in range(200):
        size = int(rng.integers(3, 6))
        rings.append(free[cursor:cursor + size].tolist())
        cursor += size
    out["circles"], out["rings"] = circles, rings
    # control: person n+i owns firm i; 5000 groups: person controls 2–4 firms; minority stakes
    holders = n + np.arange(n)
    firms = np.arange(n)
    group_firms = rng.choice(n, size=(5000, 3), replace=False)
    holders[group_firms[:, 1]] = holders[group_firms[:, 0]]
    holders[group_firms[:, 2]] = holders[group_firms[:, 0]]
    minority = rng.choice(n, size=(n // 50, 2))
    out["shareholding"] = (np.concatenate([holders, minority[:, 0]]), np.concatenate([firms, minority[:, 1]]),
                           np.concatenate([np.full(n, 6000), np.full(len(minority), 2000)]))
    out["legal_rep"] = (n + np.arange(n), firms, np.zeros(n, dtype=np.int64))
    out["groups"] = group_firms
    return out


def build_rx(n: int, data: dict[str, Any]) -> SupplyGraph:
    """The module's graph, bulk-loaded."""
    graph = SupplyGraph()
    graph.add_parties([f"9144{i:014d}" for i in range(n)] + [f"P{i:017d}" for i in range(n)])
    for kind in ("invoice", "guarantee", "shareholding", "legal_rep"):
        src, dst, amount = data[kind]
        ek = EdgeKind(kind)
        if ek is EdgeKind.invoice:
            links = [Link(int(a), 0, {MONTH: int(a)}) for a in amount.tolist()]
        elif ek is EdgeKind.shareholding:
            links = [Link(0, int(a)) for a in amount.tolist()]
        else:
            links = [Link(int(a)) for a in amount.tolist()]
        graph.add_indexed(ek, list(zip(src.tolist(), dst.tolist(), links, strict=True)))
    rows: list[tuple[int, int, Link]] = []
    for c in data["circles"]:
        rows += [(c[i], c[(i + 1) % len(c)], Link(5_000_000)) for i in range(len(c))]
    graph.add_indexed(EdgeKind.guarantee, rows)
    rows = []
    for r in data["rings"]:
        months = {f"2024-{m:02d}": 100_000_000 for m in range(1, 7)}
        rows += [(r[i], r[(i + 1) % len(r)], Link(600_000_000, 0, dict(months))) for i in range(len(r))]
    graph.add_indexed(EdgeKind.invoice, rows)
    return graph


def nx_build(graph: SupplyGraph) -> dict[EdgeKind, Any]:
    """The same edges as networkx DiGraphs (payloads shared)."""
    import networkx as nx

    out = {}
    for kind in (EdgeKind.invoice, EdgeKind.guarantee, EdgeKind.shareholding, EdgeKind.legal_rep):
        g = nx.DiGraph()
        g.add_nodes_from(range(len(graph.ids)))
        g.add_edges_from((u, v, {"link": link}) for u, v, link in graph.graphs[kind].weighted_edge_list())
        out[kind] = g
    return out


def nx_cycles(g: Any, max_length: int = 8) -> list[list[int]]:
    """Simple cycles inside non-trivial SCCs (networkx)."""
    import networkx as nx

    found = []
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1:
            found += [c for c in nx.simple_cycles(g.subgraph(comp), length_bound=max_length)]
    return found


def nx_groups(g: Any) -> int:
    """Association groups over control edges (networkx)."""
    import networkx as nx

    control = nx.DiGraph()
    control.add_edges_from((u, v) for u, v, d in g.edges(data=True) if d["link"].share_bp >= CONTROL_BP)
    return sum(1 for c in nx.weakly_connected_components(control) if sum(1 for x in c if x < N_FIRMS) >= 2)


def nx_debtrank(graphs: dict[EdgeKind, Any], n: int, seeds: np.ndarray) -> np.ndarray:
    """The same DebtRank loop, its impact edges read from networkx."""
    cap = np.full(n, 1_000_000.0)
    inv = graphs[EdgeKind.invoice]
    for u, _v, d in inv.edges(data=True):
        cap[u] += 6.0 * d["link"].amount_fen / max(1, len(d["link"].months))
    src, dst, w = [], [], []
    for g_, b, d in graphs[EdgeKind.guarantee].edges(data=True):
        src.append(b)
        dst.append(g_)
        w.append(d["link"].amount_fen / cap[g_])
    bought = np.zeros(n)
    for _s, b, d in inv.edges(data=True):
        bought[b] += d["link"].amount_fen
    for s, b, d in inv.edges(data=True):
        link = d["link"]
        src += [b, s]
        dst += [s, b]
        w += [2.0 * link.amount_fen / max(1, len(link.months)) / cap[s], 0.5 * link.amount_fen / bought[b]]
    s_, d_, w_ = np.asarray(src), np.asarray(dst), np.minimum(np.asarray(w), 1.0)
    h = np.zeros(n)
    h[seeds] = 1.0
    distressed, inactive = h > 0, np.zeros(n, dtype=bool)
    while distressed.any():
        flow = np.where(distressed[s_], w_ * h[s_], 0.0)
        h_new = np.minimum(1.0, h + np.bincount(d_, weights=flow, minlength=n))
        inactive |= distressed
        distressed = (h_new > 0) & ~inactive
        h = h_new
    return h


def nx_ego(graphs: dict[EdgeKind, Any], node: int) -> int:
    """Radius-1 ego network over every kind, with the edges among its nodes (networkx)."""
    nodes = {node}
    for g in graphs.values():
        nodes.update(g.successors(node))
        nodes.update(g.predecessors(node))
    edges = 0
    for g in graphs.values():
        for i in nodes:
            edges += sum(1 for j in g.successors(i) if j in nodes)
    return edges


N_FIRMS = 0


def main() -> None:
    """Run the analyses and print the figures."""
    global N_FIRMS
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=800_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ego-queries", type=int, default=2000)
    parser.add_argument("--no-networkx", action="store_true")
    args = parser.parse_args()
    n = N_FIRMS = args.firms
    base = rss_mb()
    data, t_gen = timed(lambda: generate(n, args.seed))
    graph, t_build = timed(lambda: build_rx(n, data))
    gc.collect()
    mem = rss_mb() - base
    print(f"firms {n:,}  nodes {len(graph.ids):,}  edges {graph.edge_count:,}  (generated in {t_gen:.1f} s)")
    print(f"rustworkx build: {t_build:.1f} s, memory {mem:,.0f} MB (edges, payloads and arrays)")
    results: dict[str, float] = {}
    circles, results["guarantee circles"] = timed(lambda: guarantee_circles(graph))
    assert len(circles) == len(data["circles"]), (len(circles), len(data["circles"]))
    rings, results["circular trading"] = timed(lambda: circular_trading(graph))
    assert len(rings) == len(data["rings"]), (len(rings), len(data["rings"]))
    groups, results["association groups"] = timed(lambda: association_groups(graph))
    assert len(groups) >= len(data["groups"]) // 2
    rng = np.random.default_rng(1)
    seeds = rng.choice(n, size=1000, replace=False)
    distress = {graph.ids[int(i)]: 1.0 for i in seeds}
    contagion, results["contagion (DebtRank, 1000 defaults)"] = timed(lambda: debtrank(graph, distress))
    exposed = int((contagion.final > contagion.initial).sum())
    print(f"circles {len(circles)}, rings {len(rings)}, groups {len(groups)}, "
          f"contagion rounds {contagion.rounds}, firms exposed {exposed:,}")
    probes = rng.choice(n, size=args.ego_queries, replace=False)
    lat = []
    for i in probes:
        start = time.perf_counter()
        ego_network(graph, graph.ids[int(i)], 1)
        lat.append((time.perf_counter() - start) * 1000)
    lat.sort()
    p50, p99 = statistics.median(lat), lat[int(0.99 * len(lat)) - 1]
    peak = rss_mb() - base
    print(f"ego network (radius 1, all kinds): p50 {p50:.3f} ms, p99 {p99:.3f} ms over {len(lat)} queries")
    if args.no_networkx:
        for name, secs in results.items():
            print(f"{name:40s} rustworkx {secs:8.2f} s")
        print(f"peak memory over baseline: {peak:,.0f} MB")
        return
    before = rss_mb()
    nxg, t_nx_build = timed(lambda: nx_build(graph))
    nx_mem = rss_mb() - before
    nx_results = {
        "guarantee circles": timed(lambda: nx_cycles(nxg[EdgeKind.guarantee]))[1],
        "circular trading": timed(lambda: nx_cycles(nxg[EdgeKind.invoice], 6))[1],
        "association groups": timed(lambda: nx_groups(nxg[EdgeKind.shareholding]))[1],
        "contagion (DebtRank, 1000 defaults)": timed(lambda: nx_debtrank(nxg, len(graph.ids), seeds))[1],
    }
    nx_lat = []
    for i in probes:
        start = time.perf_counter()
        nx_ego(nxg, int(i))
        nx_lat.append((time.perf_counter() - start) * 1000)
    nx_lat.sort()
    print(f"networkx build (from the built graph): {t_nx_build:.1f} s, memory {nx_mem:,.0f} MB")
    print(f"{'analysis':40s} {'rustworkx':>10s} {'networkx':>10s} {'ratio':>7s}")
    for name, secs in results.items():
        print(f"{name:40s} {secs:9.2f}s {nx_results[name]:9.2f}s {nx_results[name] / secs:6.1f}x")
    nx_p99 = nx_lat[int(0.99 * len(nx_lat)) - 1]
    print(f"{'ego p99':40s} {p99:8.3f}ms {nx_p99:8.3f}ms {nx_p99 / p99:6.1f}x")
    print(f"peak memory over baseline: {rss_mb() - base:,.0f} MB")


if __name__ == "__main__":
    main()
