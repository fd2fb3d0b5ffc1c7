"""Active loan products held column-wise for fast matching (pure; numpy).

:class:`ProductBook` answers exactly what :func:`bayfin.financing.matching.match` answers — the same
eligible products in the same order with the same fit, the same near misses with the same failed
criterion — but evaluates each criterion as one boolean mask over all products and computes the fit
vectorised, materialising only the top-k eligible products and near misses. The fits it returns are
recomputed with the reference :func:`expected_fit` on the few materialised products, so rounding is
identical; the vectorised fit only chooses which products to materialise (with a margin that covers
the reference's rounding to six decimals).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from bayfin.financing.matching import (
    CRITERIA,
    TAX_GRADE_ORDER,
    Demand,
    Firm,
    Match,
    Product,
    expected_fit,
    why,
)

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

#: The order criteria are named in (the reference's order), for the failed criterion of a near miss.
_ORDER = tuple(CRITERIA)
#: Vectorised fits differ from the reference's rounded fits by at most half a unit of the sixth
#: decimal plus float noise; candidates within this margin of the k-th best are recomputed exactly.
_MARGIN = 2e-6
_FAR_PAST = -(10**9)
_FAR_FUTURE = 10**9


class ProductBook:
    """Products as columns (one numpy array per field) and per-value masks for set criteria."""

    def __init__(self, products: Sequence[Product]) -> None:
        self.products = list(products)
        n = len(self.products)
        ps = self.products
        self.min_amount = np.array([p.min_amount_fen for p in ps], dtype=np.int64)
        self.max_amount = np.array([p.max_amount_fen for p in ps], dtype=np.int64)
        self.min_term = np.array([p.min_term_months for p in ps], dtype=np.int64)
        self.max_term = np.array([p.max_term_months for p in ps], dtype=np.int64)
        self.active_from = np.array(
            [p.active_from.toordinal() if p.active_from else _FAR_PAST for p in ps], dtype=np.int64)
        self.active_to = np.array(
            [p.active_to.toordinal() if p.active_to else _FAR_FUTURE for p in ps], dtype=np.int64)
        self.rate_mid = np.array([float((p.min_rate + p.max_rate) / 2) for p in ps], dtype=np.float64)
        self.has_cities = np.array([bool(p.cities) for p in ps], dtype=np.bool_)
        self.has_industries = np.array([bool(p.industries) for p in ps], dtype=np.bool_)
        self.city_masks = self._value_masks(n, [p.cities for p in ps])
        self.industry_masks = self._value_masks(n, [p.industries for p in ps])
        # Firm-age minimums are Decimals: compare exactly against each distinct minimum once.
        self.age_minimums = sorted({p.min_firm_age_years for p in ps})
        index = {v: i for i, v in enumerate(self.age_minimums)}
        self.age_code = np.array([index[p.min_firm_age_years] for p in ps], dtype=np.int64)
        self.grade_limit = np.array(
            [TAX_GRADE_ORDER.index(p.min_tax_grade) if p.min_tax_grade is not None else -1 for p in ps],
            dtype=np.int64)
        self.has_min_score = np.array([p.min_score is not None for p in ps], dtype=np.bool_)
        self.min_score = np.array([p.min_score or 0 for p in ps], dtype=np.int64)
        self.no_dishonest = np.array([p.no_dishonest_debtor for p in ps], dtype=np.bool_)
        self.collateral = np.array([p.collateral_required for p in ps], dtype=np.bool_)
        self.ids = np.array([p.id for p in ps], dtype=object)

    @staticmethod
    def _value_masks(n: int, sets: list[frozenset[str]]) -> dict[str, Bools]:
        rows: dict[str, list[int]] = defaultdict(list)
        for i, values in enumerate(sets):
            for v in values:
                rows[v].append(i)
        masks: dict[str, Bools] = {}
        for v, idx in rows.items():
            mask = np.zeros(n, dtype=np.bool_)
            mask[idx] = True
            masks[v] = mask
        return masks

    def __len__(self) -> int:
        return len(self.products)

    # -- the criteria --------------------------------------------------------------------------
    def failures(self, demand: Demand, firm: Firm, today: date) -> dict[str, Bools]:
        """One mask per criterion: True where the product fails it for this demand and firm."""
        n = len(self.products)
        none = np.zeros(n, dtype=np.bool_)
        t = today.toordinal()
        industry = firm.industry_code or ""
        industry_ok = none.copy()
        for k in range(len(industry) + 1):
            mask = self.industry_masks.get(industry[:k])
            if mask is not None:
                industry_ok |= mask
        city_ok = self.city_masks.get(firm.city_code, none) if firm.city_code is not None else none
        too_young = np.array([firm.firm_age_years < m for m in self.age_minimums], dtype=np.bool_)
        if firm.tax_grade in TAX_GRADE_ORDER:
            grade_fail = self.grade_limit < TAX_GRADE_ORDER.index(firm.tax_grade)
        else:
            grade_fail = self.grade_limit >= 0
        grade_fail &= self.grade_limit >= 0
        if firm.score is None:
            score_fail = self.has_min_score.copy()
        else:
            score_fail = self.has_min_score & (firm.score < self.min_score)
        return {
            "active": (self.active_from > t) | (t > self.active_to),
            "amount": (demand.amount_fen < self.min_amount) | (demand.amount_fen > self.max_amount),
            "term": (demand.term_months < self.min_term) | (demand.term_months > self.max_term),
            "city": self.has_cities & ~city_ok,
            "industry": self.has_industries & ~industry_ok,
            "firm_age": too_young[self.age_code] if n else none,
            "tax_grade": grade_fail,
            "score": score_fail,
            "dishonest_debtor": self.no_dishonest & firm.dishonest_debtor,
            "collateral": self.collateral & (not demand.collateral_offered),
        }

    def fits(self, demand: Demand, firm: Firm) -> Floats:
        """The expected fit of every product (unrounded), as :func:`expected_fit` computes it."""
        rate_part = np.maximum(0.0, 1.0 - self.rate_mid / 0.24)
        span = np.maximum(self.max_amount - self.min_amount, 1)
        centre = (self.min_amount + self.max_amount) / 2
        amount_part = np.maximum(0.0, 1.0 - np.abs(demand.amount_fen - centre) / span)
        if firm.score is None:
            approval = np.full(len(self.products), 0.5)
        else:
            odds = 1.0 / (1.0 + np.power(2.0, -(firm.score - self.min_score) / 20.0))
            approval = np.where(self.has_min_score, odds, 0.5)
        result: Floats = 0.4 * approval + 0.35 * rate_part + 0.25 * amount_part
        return result

    # -- matching ------------------------------------------------------------------------------
    def match(self, demand: Demand, firm: Firm, today: date, *, near_misses: bool = True,
              top_k: int | None = None) -> list[Match]:
        """Eligible products ranked by fit (best first), then near misses (one failed criterion);
        ``top_k`` keeps the best k of each. Equal to the reference ``matching.match``."""
        if not self.products:
            return []
        failed = self.failures(demand, firm, today)
        stacked = np.stack([failed[c] for c in _ORDER])
        count = stacked.sum(axis=0)
        fits = self.fits(demand, firm)
        eligible = self._materialise(np.flatnonzero(count == 0), fits, demand, firm, top_k, None)
        near: list[Match] = []
        if near_misses:
            near = self._materialise(np.flatnonzero(count == 1), fits, demand, firm, top_k, stacked)
        return eligible + near

    def _materialise(self, rows: npt.NDArray[np.intp], fits: Floats, demand: Demand, firm: Firm,
                     top_k: int | None, stacked: Bools | None) -> list[Match]:
        if top_k is not None and len(rows) > top_k:
            kth = np.partition(fits[rows], len(rows) - top_k)[len(rows) - top_k]
            rows = rows[fits[rows] >= kth - _MARGIN]
        out: list[Match] = []
        for i in rows.tolist():
            p = self.products[i]
            fit = expected_fit(p, demand, firm)
            if stacked is None:
                out.append(Match(p.id, p.institution_id, True, fit, why(p, demand, firm), []))
            else:
                criterion = _ORDER[int(np.argmax(stacked[:, i]))]
                out.append(Match(p.id, p.institution_id, False, fit, [], [criterion]))
        out.sort(key=lambda m: (-m.fit, m.product_id))
        return out if top_k is None else out[:top_k]

    def lead_list(self, demands: Sequence[tuple[Demand, Firm]], today: date,
                  institution_id: str | None = None) -> list[tuple[str, str, float]]:
        """(demand id, product id, fit) of every eligible pair — of one institution's products when
        named — best first; equal to the reference ``matching.lead_list``."""
        leads = [
            (d.id, m.product_id, m.fit)
            for d, f in demands
            for m in self.match(d, f, today, near_misses=False)
            if institution_id is None or m.institution_id == institution_id
        ]
        return sorted(leads, key=lambda t: (-t[2], t[0], t[1]))


def decimal_years(months: int | None) -> Decimal:
    """A firm age or minimum in months as years (exact Decimal)."""
    return Decimal(months or 0) / Decimal(12)
