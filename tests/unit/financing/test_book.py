"""The column-wise product book answers exactly what the simple reference matcher answers."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bayfin.financing.book import ProductBook
from bayfin.financing.matching import TAX_GRADE_ORDER, Demand, Firm, Product, ProductType, lead_list, match

TODAY = date(2025, 3, 1)
CITIES = [f"44{c:04d}" for c in range(0, 20)]
INDUSTRIES = ["C", "C39", "C13", "F", "F50", "I65", "H62", "A01"]


def _product(rng: random.Random, i: int) -> Product:
    low = rng.randint(1, 60) * 10_000_00
    start = TODAY + timedelta(days=rng.randint(-400, 30))
    return Product(
        id=f"p{i:05d}", institution_id=f"BANK-{i % 7}", type=rng.choice(list(ProductType)),
        min_amount_fen=low, max_amount_fen=low + rng.randint(0, 400) * 10_000_00,
        min_term_months=rng.randint(1, 12), max_term_months=rng.randint(12, 60),
        min_rate=Decimal("0.03") + Decimal(rng.randint(0, 300)) / 10_000,
        max_rate=Decimal("0.06") + Decimal(rng.randint(0, 900)) / 10_000,
        cities=frozenset(rng.sample(CITIES, rng.randint(1, 4))) if rng.random() < 0.5 else frozenset(),
        industries=frozenset(rng.sample(INDUSTRIES, 2)) if rng.random() < 0.3 else frozenset(),
        min_firm_age_years=Decimal(rng.randint(0, 36)) / 12,
        min_tax_grade=rng.choice([None, *TAX_GRADE_ORDER]),
        min_score=rng.choice([None, rng.randint(480, 720)]),
        no_dishonest_debtor=rng.random() < 0.8, collateral_required=rng.random() < 0.2,
        active_from=start if rng.random() < 0.5 else None,
        active_to=start + timedelta(days=rng.randint(0, 700)) if rng.random() < 0.5 else None,
    )


def _case(rng: random.Random, i: int) -> tuple[Demand, Firm]:
    firm = Firm(f"firm{i}", rng.choice([*CITIES, None]), rng.choice(["C3911", "F5011", "I6510", None]),
                Decimal(rng.randint(0, 60)) / 12, rng.choice([None, "X", *TAX_GRADE_ORDER]),
                rng.choice([None, rng.randint(430, 780)]), rng.random() < 0.1)
    demand = Demand(f"d{i}", firm.credit_code, rng.randint(1, 400) * 10_000_00, rng.randint(1, 72),
                    "working capital", rng.random() < 0.5)
    return demand, firm


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_book_matches_exactly_as_the_reference_on_random_products_and_firms(seed):
    rng = random.Random(seed)
    products = [_product(rng, i) for i in range(400)]
    book = ProductBook(products)
    for i in range(40):
        demand, firm = _case(rng, i)
        assert book.match(demand, firm, TODAY) == match(demand, firm, products, TODAY)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_top_k_keeps_the_reference_order_of_the_best_eligible_products_and_near_misses(k):
    rng = random.Random(11)
    products = [_product(rng, i) for i in range(600)]
    book = ProductBook(products)
    for i in range(30):
        demand, firm = _case(rng, i)
        reference = match(demand, firm, products, TODAY)
        eligible = [m for m in reference if m.eligible][:k]
        near = [m for m in reference if not m.eligible][:k]
        assert book.match(demand, firm, TODAY, top_k=k) == eligible + near


def test_many_equal_fits_still_yield_the_reference_top_k():
    rng = random.Random(5)
    base = _product(rng, 0)
    products = [Product(**{**base.__dict__, "id": f"p{i:03d}", "active_from": None, "active_to": None})
                for i in range(50)]
    demand = Demand("d", "firm", base.min_amount_fen, base.min_term_months, "x", True)
    firm = Firm("firm", None, None, Decimal(10), "A", 800, False)
    reference = match(demand, firm, products, TODAY)
    assert len(reference) == 50
    assert book_top(products, demand, firm, 5) == reference[:5]


def book_top(products, demand, firm, k):
    return ProductBook(products).match(demand, firm, TODAY, top_k=k)


def test_the_books_lead_list_equals_the_reference_lead_list():
    rng = random.Random(9)
    products = [_product(rng, i) for i in range(200)]
    cases = [_case(rng, i) for i in range(30)]
    assert ProductBook(products).lead_list(cases, TODAY) == lead_list(products, cases, TODAY)


def test_an_empty_book_matches_nothing():
    demand, firm = _case(random.Random(1), 0)
    assert ProductBook([]).match(demand, firm, TODAY) == []


def test_the_book_cache_rebuilds_only_when_the_version_key_changes():
    from bayfin.financing.config import ActiveProducts, ProductBookCache

    built = []

    def build():
        built.append(1)
        return ActiveProducts(ProductBook([]), {})

    cache = ProductBookCache()
    first = cache.get((3, "t1"), build)
    assert cache.get((3, "t1"), build) is first and len(built) == 1
    assert cache.get((3, "t2"), build) is not first and len(built) == 2
