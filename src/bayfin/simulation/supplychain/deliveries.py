"""Demo deliveries for the supply-chain graph over the region's enterprise population.

Writes, beside the hub's deliveries: monthly VAT invoice flows seller→buyer (税务 增值税发票汇总),
shareholdings and legal representatives (市场监管), loan guarantees guarantor→borrower (a bank's
credit system), contact points (phone and address), and the bank's own monthly transfers between its
customers. The structure is realistic and known: chains of suppliers and dealers around core
enterprises, groups under common control, and — planted, recorded only in
``ground_truth/graph.json`` — a few guarantee circles and fake-invoice rings.

Everything outside the planted structures is acyclic by construction (trade and guarantees only go
from a lower to a higher rank of one random order), so the planted circles and rings are exactly the
ones an analysis should find.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from bayfin.simulation.creditdata import Population, Region, month_of
from bayfin.simulation.creditdata.writers import Sheet, damage, write_csv, yuan_text
from bayfin.supplychain import GRAPH_MANIFEST

MONTHS = 24
GRAPH_DIR = "graph"
TRUTH_FILE = "ground_truth/graph.json"


def person_id(seed: int, index: int) -> str:
    """A pseudonymous, stable identifier of a natural person (never the ID-card number itself)."""
    return "P" + hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()[:17].upper()


@dataclass
class GraphPlan:
    """The planted structure: every edge the deliveries will carry, by index into the population."""

    cores: list[int] = field(default_factory=list)
    tiers: dict[int, dict[str, list[list[int]]]] = field(default_factory=dict)
    trade: list[tuple[int, int, float, int, int]] = field(
        default_factory=list
    )  # seller, buyer, fen/month, start, end
    rings: list[list[int]] = field(default_factory=list)
    ring_amounts: list[int] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)
    group_controller: list[str] = field(default_factory=list)
    shareholdings: list[tuple[str, int, int]] = field(default_factory=list)  # holder, firm, basis points
    legal_reps: list[tuple[str, int]] = field(default_factory=list)
    guarantees: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # guarantor, borrower, fen, month
    circles: list[list[int]] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    bank_customer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def plan_graph(pop: Population, rng: np.random.Generator) -> GraphPlan:
    """Draw chains, groups, guarantees, contacts and the planted circles and rings."""
    n = len(pop)
    plan = GraphPlan()
    rank = rng.permutation(n)  # trade and guarantees go from lower to higher rank outside planted cycles
    large = [int(i) for i in np.flatnonzero(pop.size >= 2)]
    rng.shuffle(large)
    plan.cores = sorted(large[: max(2, n // 500)])
    used = set(plan.cores)
    free = [int(i) for i in rng.permutation(n) if int(i) not in used]
    cursor = 0

    def take(k: int) -> list[int]:
        nonlocal cursor
        out = free[cursor : cursor + k]
        cursor += k
        return out

    base = np.array([2_000, 20_000, 200_000, 2_000_000])  # yuan per month a firm of each size sells
    for core in plan.cores:
        t1 = take(int(rng.integers(4, 12)))
        t2: list[int] = []
        for s in t1:
            subs = take(int(rng.integers(1, 4)))
            t2 += subs
            for s2 in subs:
                plan.trade.append((s2, s, float(base[pop.size[s]] * 100 * rng.uniform(0.2, 0.6)), 0, MONTHS))
        dealers = take(int(rng.integers(3, 9)))
        plan.tiers[core] = {"upstream": [t1, t2], "downstream": [dealers]}
        for s in t1:
            start = 0 if rng.random() < 0.8 else int(rng.integers(6, 18))
            plan.trade.append((s, core, float(base[pop.size[s]] * 100 * rng.uniform(1, 3)), start, MONTHS))
        for d in dealers:
            plan.trade.append((core, d, float(base[pop.size[d]] * 100 * rng.uniform(1, 3)), 0, MONTHS))
    # Fake-invoice rings: small firms invoicing each other round a cycle with near-identical amounts.
    for _ in range(max(2, n // 1000)):
        ring = take(int(rng.integers(3, 6)))
        plan.rings.append(ring)
        plan.ring_amounts.append(int(rng.integers(50, 500)) * 10_000 * 100)
    # Planted guarantee circles (互保/联保): 2–4 firms guaranteeing each other round a cycle.
    circle_members: set[int] = set()
    for _ in range(max(2, n // 800)):
        circle = take(int(rng.integers(2, 5)))
        plan.circles.append(circle)
        circle_members.update(circle)
        for k, a in enumerate(circle):
            plan.guarantees.append(
                (
                    a,
                    circle[(k + 1) % len(circle)],
                    int(rng.integers(100, 800)) * 10_000 * 100,
                    int(rng.integers(0, MONTHS)),
                )
            )
    background = free[cursor:]
    # Background trade: each background firm sells to one or two others of higher rank.
    bg = np.array(background)
    for s in background:
        for b in rng.choice(bg, size=int(rng.integers(1, 3)), replace=False).tolist():
            if rank[s] < rank[b] and b not in used:
                start = int(rng.integers(0, 12))
                plan.trade.append(
                    (
                        s,
                        int(b),
                        float(base[pop.size[s]] * 30 * rng.uniform(0.3, 1.0)),
                        start,
                        int(rng.integers(start + 3, MONTHS + 1)),
                    )
                )
    # Groups under common control: a person or a parent firm holding ≥51% of several firms.
    pool = [i for i in background if pop.size[i] >= 1] or background
    group_members: set[int] = set()
    person_counter = n
    for g in range(max(2, n // 300)):
        members = [
            int(i)
            for i in rng.choice(pool, size=int(rng.integers(2, 5)), replace=False)
            if int(i) not in group_members
        ]
        if len(members) < 2:
            continue
        group_members.update(members)
        if g % 2 == 0:
            controller = person_id(pop.seed, person_counter)
            person_counter += 1
            for m in members:
                plan.shareholdings.append((controller, m, int(rng.integers(5100, 10001))))
                plan.legal_reps.append((controller, m))
        else:
            parent, subs = members[0], members[1:]
            controller = pop.credit_code[parent]
            for m in subs:
                plan.shareholdings.append((controller, m, int(rng.integers(5100, 10001))))
        plan.groups.append(sorted(members))
        plan.group_controller.append(controller)
    owned = {f for _, f, _ in plan.shareholdings}
    represented = {f for _, f in plan.legal_reps}
    for i in range(n):
        owner = person_id(pop.seed, i)
        if i not in owned:
            plan.shareholdings.append((owner, i, int(rng.integers(5100, 10001))))
        if i not in represented:
            plan.legal_reps.append((owner, i))
    # Minority stakes (< 50%) between unrelated firms: shareholding edges that are not control.
    for a, b in rng.choice(background, size=(max(1, n // 50), 2)).tolist():
        if a != b:
            plan.shareholdings.append((pop.credit_code[a], int(b), int(rng.integers(500, 3000))))
    # Guarantees: acyclic background (low rank guarantees high rank), core enterprises backing suppliers.
    for a, b in rng.choice(n, size=(max(2, n // 20), 2)).tolist():
        if rank[a] < rank[b] and a not in circle_members and b not in circle_members:
            plan.guarantees.append(
                (a, b, int(rng.integers(10, 500)) * 10_000 * 100, int(rng.integers(0, MONTHS)))
            )
    for core in plan.cores:
        for s in plan.tiers[core]["upstream"][0][:2]:
            plan.guarantees.append(
                (core, s, int(rng.integers(100, 1000)) * 10_000 * 100, int(rng.integers(0, 12)))
            )
    # Contact points: own phone and address; group members and ring members share theirs.
    plan.phone = [f"020-{80000000 + i * 13 % 9999999:08d}" for i in range(n)]
    plan.address = [f"地址{i:07d}" for i in range(n)]
    for members in plan.groups + plan.rings:
        for m in members[1:]:
            plan.phone[m] = plan.phone[members[0]]
            plan.address[m] = plan.address[members[0]]
    plan.bank_customer = rng.random(n) < 0.3
    return plan


def _month_text(m: int) -> str:
    return f"{month_of(m):%Y-%m}"


def write_graph_deliveries(region: Region) -> dict[str, Any]:
    """Write the graph deliveries and their ground truth; records each file in the region's manifest."""
    pop = region.population
    rng = region.rng("supplychain")
    plan = plan_graph(pop, rng)
    act = pop.activity(MONTHS)
    out = region.out_dir
    code = pop.credit_code
    for m in range(MONTHS):
        as_of = month_of(m + 1) + timedelta(days=9)
        sellers, buyers, amounts, counts = [], [], [], []
        for s, b, fen, start, end in plan.trade:
            if start <= m < end and act[s, m] > 0.05:
                sellers.append(code[s])
                buyers.append(code[b])
                amounts.append(int(fen * act[s, m] * rng.lognormal(0.0, 0.15)))
                counts.append(int(rng.integers(1, 30)))
        for ring, amount in zip(plan.rings, plan.ring_amounts, strict=True):
            if 6 <= m < 18:  # a ring trades for a year, the same money going round
                for k, s in enumerate(ring):
                    sellers.append(code[s])
                    buyers.append(code[ring[(k + 1) % len(ring)]])
                    amounts.append(amount + int(rng.integers(-100, 100)) * 100)
                    counts.append(int(rng.integers(1, 4)))
        sheet = Sheet(
            {
                "销方统一社会信用代码": list(sellers),
                "购方统一社会信用代码": list(buyers),
                "开票月份": [_month_text(m)] * len(sellers),
                "价税合计(元)": yuan_text(np.array(amounts, dtype=np.int64)),
                "发票份数": [str(c) for c in counts],
            },
            code="销方统一社会信用代码",
            dates={"开票月份": "%Y-%m"},
            money=["价税合计(元)"],
        )
        damage(sheet, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
        rel = f"{GRAPH_DIR}/invoices_{month_of(m):%Y%m}.csv"
        region.add(rel, "graph_invoices", as_of, write_csv(out / rel, sheet))
        customer = {code[i] for i in np.flatnonzero(plan.bank_customer)}
        rows = [
            (b, s, a * 9 // 10)
            for s, b, a in zip(sellers, buyers, amounts, strict=True)
            if s in customer and b in customer and a > 0
        ]
        transfers = Sheet(
            {
                "付款方统一社会信用代码": [r[0] for r in rows],
                "收款方统一社会信用代码": [r[1] for r in rows],
                "交易月份": [_month_text(m)] * len(rows),
                "金额(元)": yuan_text(np.array([r[2] for r in rows], dtype=np.int64)),
            },
            code="付款方统一社会信用代码",
            dates={"交易月份": "%Y-%m"},
            money=["金额(元)"],
        )
        rel = f"{GRAPH_DIR}/bank_transfers_{month_of(m):%Y%m}.csv"
        region.add(rel, "graph_transfers", as_of, write_csv(out / rel, transfers))
    as_of = date(2023, 1, 10)
    holders = Sheet(
        {
            "股东标识": [h for h, _, _ in plan.shareholdings],
            "被投资企业统一社会信用代码": [code[f] for _, f, _ in plan.shareholdings],
            "持股比例(%)": [f"{bp // 100}.{bp % 100:02d}" for _, _, bp in plan.shareholdings],
            "登记日期": ["2023-01-01"] * len(plan.shareholdings),
        },
        code="被投资企业统一社会信用代码",
        dates={"登记日期": "%Y-%m-%d"},
    )
    damage(holders, rng, region.defect_rate, as_of, text_lines=True, allow_encoding=False)
    rel = f"{GRAPH_DIR}/shareholdings.csv"
    region.add(rel, "graph_shareholdings", as_of, write_csv(out / rel, holders))
    reps = Sheet(
        {
            "人员标识": [p for p, _ in plan.legal_reps],
            "企业统一社会信用代码": [code[f] for _, f in plan.legal_reps],
            "职务": ["法定代表人"] * len(plan.legal_reps),
        },
        code="企业统一社会信用代码",
    )
    rel = f"{GRAPH_DIR}/legal_representatives.csv"
    region.add(rel, "graph_legal_reps", as_of, write_csv(out / rel, reps))
    g_as_of = month_of(MONTHS) + timedelta(days=9)
    guarantees = Sheet(
        {
            "担保合同编号": [f"DB{k:08d}" for k in range(len(plan.guarantees))],
            "担保人统一社会信用代码": [code[a] for a, _, _, _ in plan.guarantees],
            "借款人统一社会信用代码": [code[b] for _, b, _, _ in plan.guarantees],
            "担保金额(元)": yuan_text(np.array([f for _, _, f, _ in plan.guarantees], dtype=np.int64)),
            "签订月份": [_month_text(m) for _, _, _, m in plan.guarantees],
        },
        code="担保人统一社会信用代码",
        dates={"签订月份": "%Y-%m"},
        money=["担保金额(元)"],
    )
    rel = f"{GRAPH_DIR}/guarantees.csv"
    region.add(rel, "graph_guarantees", g_as_of, write_csv(out / rel, guarantees))
    contacts = Sheet(
        {"统一社会信用代码": list(code), "联系电话": plan.phone, "通讯地址": plan.address},
        code="统一社会信用代码",
    )
    rel = f"{GRAPH_DIR}/contacts.csv"
    region.add(rel, "graph_contacts", as_of, write_csv(out / rel, contacts))
    truth = {
        "cores": [code[c] for c in plan.cores],
        "tiers": {
            code[c]: {k: [[code[i] for i in tier] for tier in v] for k, v in t.items()}
            for c, t in plan.tiers.items()
        },
        "groups": [sorted(code[i] for i in g) for g in plan.groups],
        "guarantee_circles": [[code[i] for i in c] for c in plan.circles],
        "fake_invoice_rings": [[code[i] for i in r] for r in plan.rings],
    }
    path = out / TRUTH_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    return truth


def write_region_graph(out_dir: Path, population: Population, seed: int, defect_rate: float = 0.03) -> Region:
    """The graph deliveries of a region already generated in ``out_dir`` (same population and seed), and
    their manifest (kept apart from the hub's, whose sources it does not know), ready for the ingest."""
    region = Region(population=population, out_dir=out_dir, seed=seed, defect_rate=defect_rate)
    write_graph_deliveries(region)
    manifest = out_dir / GRAPH_MANIFEST
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_bytes(orjson.dumps({"files": region.entries}, option=orjson.OPT_INDENT_2))
    return region
