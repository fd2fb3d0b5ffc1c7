"""Matching a demand to products: eligibility, near misses naming the failed criterion, ranking."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from bayfin.financing.matching import Demand, Firm, Product, ProductType, lead_list, match

TODAY = date(2025, 3, 1)
FIRM = Firm("91440101000000019F", "440100", "C39", Decimal(4), "B", 650, False)
DEMAND = Demand("d1", FIRM.credit_code, 500_000_00, 12, "working capital", collateral_offered=False)


def product(pid, **kw):
    base = Product(pid, "BANK-A", ProductType.credit, 100_000_00, 1_000_000_00, 6, 36,
                   Decimal("0.04"), Decimal("0.06"))
    return replace(base, **kw)


def test_an_eligible_product_says_why_it_matched():
    [m] = match(DEMAND, FIRM, [product("p1", min_score=630, cities=frozenset({"440100"}))], TODAY)
    assert m.eligible and not m.failed
    assert m.reasons[:3] == [
        "rate 4.00%–6.00% a year",
        "500,000 yuan within its 100,000–1,000,000 yuan range, for 12 months (6–36)",
        "credit score 650 against its minimum 630: approval likelihood 67%",
    ]
    assert "the firm's city is served" in m.reasons and "not a dishonest debtor" in m.reasons


def test_the_why_leaves_out_conditions_the_product_does_not_set():
    [m] = match(DEMAND, FIRM, [product("p1", no_dishonest_debtor=False)], TODAY)
    assert len(m.reasons) == 2  # the rate and the amount: no score minimum, no city list, no collateral
    assert not any("score" in r or "city" in r or "collateral" in r for r in m.reasons)


def test_a_near_miss_names_the_one_criterion_that_failed():
    cases = {
        "amount": product("a", max_amount_fen=400_000_00),
        "city": product("c", cities=frozenset({"440600"})),
        "industry": product("i", industries=frozenset({"F5"})),
        "firm_age": product("g", min_firm_age_years=Decimal(5)),
        "tax_grade": product("t", min_tax_grade="A"),
        "score": product("s", min_score=700),
        "collateral": product("k", collateral_required=True),
        "active": product("w", active_to=date(2025, 1, 1)),
        "term": product("m", max_term_months=6),
    }
    for criterion, p in cases.items():
        [m] = match(DEMAND, FIRM, [p], TODAY)
        assert not m.eligible and m.failed == [criterion], criterion


def test_products_failing_two_criteria_are_not_shown_and_dishonest_debtors_are_excluded():
    two = product("x", min_score=700, collateral_required=True)
    assert match(DEMAND, FIRM, [two], TODAY) == []
    [m] = match(DEMAND, replace(FIRM, dishonest_debtor=True), [product("p")], TODAY)
    assert m.failed == ["dishonest_debtor"]


def test_cheaper_products_and_likelier_approval_rank_first():
    cheap = product("cheap", min_rate=Decimal("0.03"), max_rate=Decimal("0.04"))
    dear = product("dear", min_rate=Decimal("0.08"), max_rate=Decimal("0.10"))
    easy = product("easy", min_score=500)
    hard = product("hard", min_score=640)
    ranked = [m.product_id for m in match(DEMAND, FIRM, [dear, cheap], TODAY)]
    assert ranked == ["cheap", "dear"]
    ranked = [m.product_id for m in match(DEMAND, FIRM, [hard, easy], TODAY)]
    assert ranked == ["easy", "hard"]


def test_eligible_products_come_before_near_misses_and_lead_lists_hold_only_eligible_pairs():
    ok, miss = product("ok"), product("miss", min_score=900)
    assert [m.product_id for m in match(DEMAND, FIRM, [miss, ok], TODAY)] == ["ok", "miss"]
    other = Demand("d2", "x", 50_000_00, 12, "equipment", False)  # below every minimum amount
    leads = lead_list([ok, miss], [(DEMAND, FIRM), (other, FIRM)], TODAY)
    assert leads == [("d1", "ok", leads[0][2])]
