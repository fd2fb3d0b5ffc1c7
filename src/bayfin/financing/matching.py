"""Matching a financing demand against loan products (pure): eligibility, near misses, ranking.

A product is eligible when every criterion holds; a near miss fails exactly one, and says which.
Eligible products are ranked by expected fit: a cheaper rate, an amount range centred on the demand,
and the approval likelihood implied by the firm's score against the product's minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

TAX_GRADE_ORDER = ("A", "B", "M", "C", "D")  # best first


class ProductType(StrEnum):
    """Kinds of loan product on the marketplace."""

    credit = "credit"
    mortgage = "mortgage"
    guarantee = "guarantee"
    supply_chain = "supply-chain"
    policy_backed = "policy-backed"


@dataclass(frozen=True)
class Product:
    """A published loan product with its eligibility rules (amounts in fen, rates as annual Decimal)."""

    id: str
    institution_id: str
    type: ProductType
    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int
    min_rate: Decimal
    max_rate: Decimal
    cities: frozenset[str] = frozenset()  # empty: any
    industries: frozenset[str] = frozenset()  # GB/T 4754 division prefixes; empty: any
    min_firm_age_years: Decimal = Decimal(0)
    min_tax_grade: str | None = None  # worst acceptable grade
    min_score: int | None = None
    no_dishonest_debtor: bool = True
    collateral_required: bool = False
    active_from: date | None = None
    active_to: date | None = None


@dataclass(frozen=True)
class Demand:
    """An enterprise's financing need."""

    id: str
    credit_code: str
    amount_fen: int
    term_months: int
    purpose: str
    collateral_offered: bool
    urgency: str = "normal"


@dataclass(frozen=True)
class Firm:
    """What matching knows about the applicant, from the hub and its score."""

    credit_code: str
    city_code: str | None
    industry_code: str | None
    firm_age_years: Decimal
    tax_grade: str | None
    score: int | None
    dishonest_debtor: bool


@dataclass
class Match:
    """One product's verdict for a demand: eligible or not, why, what failed, and its fit."""

    product_id: str
    institution_id: str
    eligible: bool
    fit: float
    reasons: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


#: What each criterion means when it holds (the "why it matched" of an eligible product).
CRITERIA: dict[str, str] = {
    "active": "the product is on offer",
    "amount": "the amount is in range",
    "term": "the term is in range",
    "city": "the firm's city is served",
    "industry": "the firm's industry is served",
    "firm_age": "the firm is old enough",
    "tax_grade": "the tax credit grade is good enough",
    "score": "the credit score meets the minimum",
    "dishonest_debtor": "not a dishonest debtor",
    "collateral": "collateral offered as required",
}


def _failed(p: Product, d: Demand, f: Firm, today: date, stop_after: int = 2) -> list[str]:
    """The criteria the product fails for this demand and firm (stops counting at ``stop_after``)."""
    out: list[str] = []
    if (p.active_from is not None and p.active_from > today) or (
        p.active_to is not None and today > p.active_to
    ):
        out.append("active")
    if not p.min_amount_fen <= d.amount_fen <= p.max_amount_fen:
        out.append("amount")
    if not p.min_term_months <= d.term_months <= p.max_term_months:
        out.append("term")
    if len(out) >= stop_after:
        return out
    if p.cities and f.city_code not in p.cities:
        out.append("city")
    if p.industries and not any((f.industry_code or "").startswith(i) for i in p.industries):
        out.append("industry")
    if f.firm_age_years < p.min_firm_age_years:
        out.append("firm_age")
    if p.min_tax_grade is not None and (
        f.tax_grade not in TAX_GRADE_ORDER
        or TAX_GRADE_ORDER.index(f.tax_grade) > TAX_GRADE_ORDER.index(p.min_tax_grade)
    ):
        out.append("tax_grade")
    if p.min_score is not None and (f.score is None or f.score < p.min_score):
        out.append("score")
    if p.no_dishonest_debtor and f.dishonest_debtor:
        out.append("dishonest_debtor")
    if p.collateral_required and not d.collateral_offered:
        out.append("collateral")
    return out


def approval_likelihood(p: Product, f: Firm) -> float | None:
    """The approval likelihood implied by the firm's score against the product's minimum (20 points
    double the odds, even odds at the minimum); None when the product sets no minimum or the firm has
    no score."""
    if p.min_score is None or f.score is None:
        return None
    return 1.0 / (1.0 + float(2.0 ** (-(f.score - p.min_score) / 20.0)))


def expected_fit(p: Product, d: Demand, f: Firm) -> float:
    """Expected fit in [0, 1]: cheaper, amount nearer the range's middle, likelier approval."""
    rate = float((p.min_rate + p.max_rate) / 2)
    rate_part = max(0.0, 1.0 - rate / 0.24)  # 24% a year: the judicial ceiling on private lending
    span = max(p.max_amount_fen - p.min_amount_fen, 1)
    centre = (p.min_amount_fen + p.max_amount_fen) / 2
    amount_part = max(0.0, 1.0 - abs(d.amount_fen - centre) / span)
    likelihood = approval_likelihood(p, f)
    approval = 0.5 if likelihood is None else likelihood
    return round(0.4 * approval + 0.35 * rate_part + 0.25 * amount_part, 6)


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}"


def _percent(rate: Decimal) -> str:
    return f"{rate * 100:.2f}%"


def why(p: Product, d: Demand, f: Firm) -> list[str]:
    """Why an eligible product matched, in plain language: what its fit rests on (the rate, where the
    amount sits in the product's range, the approval likelihood from the score), then each condition
    the product sets that the firm meets. Conditions the product does not set are not listed."""
    out = [f"rate {_percent(p.min_rate)}–{_percent(p.max_rate)} a year",
           f"{_yuan(d.amount_fen)} yuan within its {_yuan(p.min_amount_fen)}–{_yuan(p.max_amount_fen)} "
           f"yuan range, for {d.term_months} months ({p.min_term_months}–{p.max_term_months})"]
    likelihood = approval_likelihood(p, f)
    if likelihood is not None:
        out.append(f"credit score {f.score} against its minimum {p.min_score}: "
                   f"approval likelihood {likelihood:.0%}")
    imposed = {"city": bool(p.cities), "industry": bool(p.industries),
               "firm_age": p.min_firm_age_years > 0, "tax_grade": p.min_tax_grade is not None,
               "dishonest_debtor": p.no_dishonest_debtor, "collateral": p.collateral_required}
    out += [CRITERIA[c] for c, sets in imposed.items() if sets]
    return out


def match(
    demand: Demand, firm: Firm, products: list[Product], today: date, near_misses: bool = True
) -> list[Match]:
    """Eligible products ranked by fit (best first), then near misses (one failed criterion) if asked."""
    eligible: list[Match] = []
    near: list[Match] = []
    for p in products:
        failed = _failed(p, demand, firm, today)
        if not failed:
            fit = expected_fit(p, demand, firm)
            eligible.append(Match(p.id, p.institution_id, True, fit, why(p, demand, firm), []))
        elif near_misses and len(failed) == 1:
            near.append(Match(p.id, p.institution_id, False, expected_fit(p, demand, firm), [], failed))
    eligible.sort(key=lambda m: (-m.fit, m.product_id))
    near.sort(key=lambda m: (-m.fit, m.product_id))
    return eligible + near


def lead_list(
    products: list[Product], demands: list[tuple[Demand, Firm]], today: date
) -> list[tuple[str, str, float]]:
    """For an institution's products: (demand id, product id, fit) of every eligible pair, best first."""
    leads = [
        (d.id, m.product_id, m.fit)
        for d, f in demands
        for m in match(d, f, products, today, near_misses=False)
    ]
    return sorted(leads, key=lambda t: (-t[2], t[0], t[1]))
