"""The graph's queries on small graphs whose answers are known by construction."""

from decimal import Decimal

import pytest

from bayfin.creditdata.domain import make_credit_code
from bayfin.supplychain.graph import (
    EdgeKind,
    EdgeRow,
    SupplyGraph,
    association_groups,
    chain_tiers,
    circular_trading,
    concentration,
    ego_network,
    guarantee_circles,
    hhi,
    stability,
)
from bayfin.supplychain.risk import (
    Circle,
    FinanceTerms,
    debtrank,
    dishonest_counterparty_signals,
    flow_drop_signals,
    guarantor_capacity_signals,
    new_circle_signals,
    receivable_offers,
)
from bayfin.supplychain.svg import render_ego_svg

C = [make_credit_code("9", "1", "440100", f"{10000000 + i:08d}") for i in range(40)]
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def invoices(seller, buyer, amount, months=MONTHS):
    return [EdgeRow(EdgeKind.invoice, seller, buyer, m, amount) for m in months]


def guarantee(a, b, amount):
    return EdgeRow(EdgeKind.guarantee, a, b, f"{a}>{b}", amount)


@pytest.fixture
def graph():
    g = SupplyGraph()
    # core C0 buys from C1 (3/4) and C2 (1/4); C3 supplies C1; C0 sells to C4.
    g.add(invoices(C[1], C[0], 300_00) + invoices(C[2], C[0], 100_00) + invoices(C[3], C[1], 50_00)
          + invoices(C[0], C[4], 500_00))
    # a fake-invoice ring C10→C11→C12→C10 with matching amounts in 4 months
    for k in range(3):
        g.add(invoices([C[10], C[11], C[12]][k], [C[11], C[12], C[10]][k], 1_000_000_00 + k * 100,
                       MONTHS[3:7]))
    # a real trade cycle C20→C21→C20 with very different amounts: not a ring
    g.add(invoices(C[20], C[21], 900_00) + invoices(C[21], C[20], 100_00))
    # guarantees: a chain C5→C6→C7 (no circle), a 2-circle C8⇄C9, a 3-circle C13→C14→C15→C13
    g.add([guarantee(C[5], C[6], 10_000_00), guarantee(C[6], C[7], 20_000_00),
           guarantee(C[8], C[9], 30_000_00), guarantee(C[9], C[8], 40_000_00),
           guarantee(C[13], C[14], 1_00), guarantee(C[14], C[15], 2_00), guarantee(C[15], C[13], 3_00)])
    # control: person P1 controls C30, C31; C32 controls C33 (60%); C34 holds 20% of C35 (no control)
    person = "P" + "A" * 17
    g.add([EdgeRow(EdgeKind.shareholding, person, C[30], "", 0, 6000),
           EdgeRow(EdgeKind.shareholding, person, C[31], "", 0, 5100),
           EdgeRow(EdgeKind.shareholding, C[32], C[33], "", 0, 6000),
           EdgeRow(EdgeKind.shareholding, C[34], C[35], "", 0, 2000)])
    return g


def test_guarantee_circles_are_found_exactly_with_their_amounts(graph):
    circles = guarantee_circles(graph)
    assert sorted(c.firms for c in circles) == sorted([(C[8], C[9]), (C[13], C[14], C[15])])
    two = next(c for c in circles if len(c.firms) == 2)
    assert two.amounts_fen == (30_000_00, 40_000_00) and two.at_stake_fen == 70_000_00


def test_circular_trading_needs_matching_amounts_not_just_a_cycle(graph):
    rings = circular_trading(graph)
    assert [r.firms for r in rings] == [(C[10], C[11], C[12])]
    assert rings[0].matching_months == tuple(MONTHS[3:7])
    assert circular_trading(graph, min_months=5) == []


def test_groups_are_components_over_control_and_minority_stakes_do_not_join(graph):
    groups = association_groups(graph)
    assert sorted(g.members for g in groups) == sorted([(C[30], C[31]), tuple(sorted((C[32], C[33])))])
    assert next(g for g in groups if C[30] in g.members).controllers == ("P" + "A" * 17,)


def test_upstream_tiers_carry_the_share_of_the_cores_flow(graph):
    tiers = {m.credit_code: m for m in chain_tiers(graph, C[0], "upstream", hops=2)}
    assert tiers[C[1]].tier == 1 and tiers[C[1]].share == pytest.approx(0.75)
    assert tiers[C[2]].share == pytest.approx(0.25)
    assert tiers[C[3]].tier == 2 and tiers[C[3]].share == pytest.approx(0.75) and tiers[C[3]].via == C[1]
    assert [m.credit_code for m in chain_tiers(graph, C[0], "downstream")] == [C[4]]
    assert [m.credit_code for m in chain_tiers(graph, C[0], "upstream", hops=1, min_share=0.5)] == [C[1]]


def test_concentration_is_the_hhi_of_shares():
    assert hhi([100]) == 10_000
    assert hhi([50, 50]) == 5_000
    assert hhi([]) == 0


def test_concentration_of_the_core(graph):
    assert concentration(graph, C[0]) == {"supplier_hhi": 6250, "customer_hhi": 10_000, "suppliers": 2,
                                          "customers": 1}


def test_a_steady_year_long_relation_is_stable_and_a_patchy_one_is_not(graph):
    steady = graph.link(EdgeKind.invoice, C[1], C[0])
    assert stability(steady) == 1.0
    patchy = graph.link(EdgeKind.invoice, C[10], C[11])
    assert stability(patchy, "2024-12") < 0.4


def test_adding_a_month_again_replaces_it_rather_than_doubling(graph):
    graph.add([EdgeRow(EdgeKind.invoice, C[1], C[0], "2024-12", 0)])
    link = graph.link(EdgeKind.invoice, C[1], C[0])
    assert link.amount_fen == 300_00 * 11 and link.months["2024-12"] == 0


def test_debtrank_passes_a_borrowers_default_to_its_guarantor_and_explains_it():
    g = SupplyGraph()
    g.add([guarantee(C[5], C[6], 500_000)])  # C5 guarantees 5 000 元 of C6's loan
    result = debtrank(g, {C[6]: 1.0})
    # default capacity is 10 000 元 with no sales: half of it is lost
    assert result.exposure(C[5]) == pytest.approx(0.5)
    assert result.drivers(C[5]) == [{"credit_code": C[6], "channel": "guarantee", "contribution": 0.5}]
    assert result.exposure(C[6]) == 0.0


def test_debtrank_ends_round_a_circle_and_each_firm_propagates_once(graph):
    result = debtrank(graph, {C[8]: 1.0})
    assert result.exposure(C[9]) == pytest.approx(1.0)
    assert result.exposure(C[8]) == 0.0  # already defaulted; capped at 1
    assert result.rounds <= 3
    assert result.exposure(C[5]) == 0.0  # not linked


def test_a_core_buyers_sharp_drop_signals_and_a_steady_one_stays_quiet(graph):
    graph.add([EdgeRow(EdgeKind.invoice, C[1], C[0], "2024-12", 10_00),
               EdgeRow(EdgeKind.invoice, C[2], C[0], "2024-12", 10_00)])
    fired = flow_drop_signals(graph, [C[0]], "2024-12")
    assert [(s.kind, s.subject) for s in fired] == [("core_flow_drop", C[0])]
    assert fired[0].details["suppliers"] == sorted([C[1], C[2]])
    assert flow_drop_signals(graph, [C[0]], "2024-11") == []


def test_a_dishonest_counterparty_signals_its_trading_partners_only(graph):
    fired = dishonest_counterparty_signals(graph, {C[3]}, "2024-12")
    assert [(s.subject, s.details["counterparty"]) for s in fired] == [(C[1], C[3])]
    assert dishonest_counterparty_signals(graph, {C[39]}, "2024-12") == []


def test_a_guarantor_beyond_its_capacity_signals(graph):
    import numpy as np

    capacity = np.full(len(graph.ids), 25_000_00.0)
    fired = guarantor_capacity_signals(graph, capacity, "2024-12")
    assert sorted(s.subject for s in fired) == sorted([C[8], C[9]])


def test_only_a_circle_not_seen_before_signals():
    circle = Circle((C[8], C[9]), (1, 2))
    assert len(new_circle_signals([circle], set(), "2024-12")) == 1
    assert new_circle_signals([circle], {f"{C[8]}>{C[9]}"}, "2024-12") == []


def test_receivable_limit_and_rate_follow_the_verified_flow_and_chain_position(graph):
    offers = {o["supplier"]: o for o in receivable_offers(graph, C[0], "2024-12")}
    tier1 = offers[C[1]]
    # 300 元 a month for 6 months in the window, stability 1: 0.7 × 300 × 3 = 630 元
    assert tier1["limit_fen"] == 630_00 and tier1["tier"] == 1
    assert tier1["annual_rate"] == "0.0425"  # 6% − 1% tier 1 − 0.75% stability
    assert offers[C[3]]["tier"] == 2 and offers[C[3]]["annual_rate"] == "0.0475"
    assert tier1["bank_corroborated_months"] == 0
    graph.add([EdgeRow(EdgeKind.transfer, C[0], C[1], m, 270_00) for m in MONTHS[-2:]])
    corroborated = {o["supplier"]: o for o in receivable_offers(graph, C[0], "2024-12")}
    assert corroborated[C[1]]["bank_corroborated_months"] == 2
    scored = receivable_offers(graph, C[0], "2024-12", FinanceTerms(floor_rate=Decimal("0.04")),
                               scores={C[1]: 1.0})
    assert next(o for o in scored if o["supplier"] == C[1])["annual_rate"] == "0.0400"


def test_the_ego_network_reaches_radius_hops_and_draws_as_svg(graph):
    one = ego_network(graph, C[1], 1)
    assert {n["id"] for n in one["nodes"]} == {C[1], C[0], C[3]}
    two = ego_network(graph, C[1], 2)
    assert {n["id"] for n in two["nodes"]} == {C[1], C[0], C[3], C[2], C[4]}
    svg = render_ego_svg(two)
    assert svg.startswith("<svg") and svg.count("<circle") == 5 and svg.count("<line") >= 4 + 6
