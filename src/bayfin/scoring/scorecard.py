"""A points scorecard: optimal monotonic binning (optbinning), WoE, logistic regression, PDO scaling.

Fitting uses optbinning's ``BinningProcess``; scoring does not: the fitted bins are compiled into
plain arrays (split points, points per bin) so one firm scores in microseconds and a million firms in
a vectorised pass, and every score carries its adverse reason codes (the features that lost the most
points against their best value bin).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from bayfin.kernel.extras import optional_import

#: A column of feature values: a numpy array or a polars Series (strings stay in polars, no copy).
Column = np.ndarray | pl.Series


#: Points lost below this count as none (floating-point noise), so a firm in its best bins has no reasons.
LOSS_EPSILON = 1e-9


def _rows(columns: Mapping[str, Column]) -> int:
    return len(next(iter(columns.values()))) if columns else 0


@dataclass
class CompiledVariable:
    """One variable's bins: split points (numeric) or category groups, and WoE per bin."""

    name: str
    categorical: bool
    splits: list[float] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)
    woe: list[float] = field(default_factory=list)  # per bin, then the missing bin last
    coef: float = 0.0

    def bin_index(self, values: Column) -> np.ndarray:
        """The bin of each value; ``len(woe) - 1`` is the missing (or unseen category) bin."""
        missing = len(self.woe) - 1
        if self.categorical:
            if not isinstance(values, pl.Series):
                values = pl.Series(values, dtype=pl.Utf8, strict=False)
            lookup = self.category_bins()
            bins = values.cast(pl.Utf8).replace_strict(lookup, default=missing, return_dtype=pl.Int64)
            return bins.to_numpy()
        x = np.asarray(values.to_numpy() if isinstance(values, pl.Series) else values, dtype=np.float64)
        idx = np.searchsorted(np.asarray(self.splits, dtype=np.float64), x, side="right")
        idx[np.isnan(x)] = missing
        return idx

    def category_bins(self) -> dict[str, int]:
        """Category → bin index (categorical variables)."""
        return {c: i for i, g in enumerate(self.groups) for c in g}

    def bin_of(self, value: Any) -> int:
        """The bin of one value, without numpy or polars (the single-firm path); same as ``bin_index``."""
        missing = len(self.woe) - 1
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return missing
        if self.categorical:
            return self.category_bins().get(str(value), missing)
        return bisect.bisect_right(self.splits, float(value))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form for the model registry."""
        return {
            "name": self.name,
            "categorical": self.categorical,
            "splits": self.splits,
            "groups": self.groups,
            "woe": self.woe,
            "coef": self.coef,
        }


@dataclass
class Scorecard:
    """A fitted scorecard: compiled variables, intercept and PDO scaling."""

    variables: list[CompiledVariable]
    intercept: float
    pdo: float = 20.0
    base_score: float = 600.0
    base_odds: float = 50.0  # good:bad odds at base_score

    @property
    def factor(self) -> float:
        """Points per doubling of the odds divided by ln 2."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Score at odds of 1:1."""
        return self.base_score - self.factor * math.log(self.base_odds)

    def points_table(self) -> list[np.ndarray]:
        """Points per bin for each variable (intercept spread evenly across variables)."""
        share = (self.offset - self.factor * self.intercept) / max(len(self.variables), 1)
        return [share - self.factor * v.coef * np.asarray(v.woe) for v in self.variables]

    def best_points(self, table: Sequence[np.ndarray] | None = None) -> np.ndarray:
        """Per variable, the points of its best *value* bin: what a firm's reasons are measured against.

        The missing bin (last) is left out: a firm cannot improve by reporting nothing, and for
        features filled with 0 when absent it holds no training row at all (WoE 0), so measuring
        against it would name "tax arrears outstanding" for a firm with none. A firm whose value is
        missing is measured against the best value bin like any other."""
        table = self.points_table() if table is None else table
        return np.array([t[:-1].max() if len(t) > 1 else t.max() for t in table])

    def bins(self, columns: Mapping[str, Column]) -> np.ndarray:
        """The (n, variables) bin index matrix."""
        return np.column_stack([v.bin_index(columns[v.name]) for v in self.variables])

    def woe_matrix(self, columns: Mapping[str, Column]) -> np.ndarray:
        """The (n, variables) WoE matrix the logistic regression is fitted on."""
        b = self.bins(columns)
        return np.column_stack([np.asarray(v.woe)[b[:, j]] for j, v in enumerate(self.variables)])

    def score(self, columns: Mapping[str, Column]) -> np.ndarray:
        """Total score only: one lookup per variable, added up (no points matrix, no reasons)."""
        table = self.points_table()
        total: np.ndarray | None = None
        for j, v in enumerate(self.variables):
            pts = table[j][v.bin_index(columns[v.name])]
            total = pts if total is None else total + pts
        if total is None:
            return np.zeros(_rows(columns), dtype=np.float64)
        return total

    def score_points(self, columns: Mapping[str, Column]) -> tuple[np.ndarray, np.ndarray]:
        """Total score and the (n, variables) points matrix."""
        table = self.points_table()
        # Filled column by column in Fortran order (contiguous writes), then made row-major: the
        # row sums then add in the same order as a row-major stack, bit for bit.
        by_column = np.empty((_rows(columns), len(self.variables)), dtype=np.float64, order="F")
        for j, v in enumerate(self.variables):
            np.take(table[j], v.bin_index(columns[v.name]), out=by_column[:, j])
        pts = np.ascontiguousarray(by_column)
        return pts.sum(axis=1), pts

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """The model's probability of default at a score (inverse of the PDO scaling)."""
        logit = (self.offset - scores) / self.factor
        return 1.0 / (1.0 + np.exp(-logit))

    def reason_indices(self, pts: np.ndarray, top: int = 3) -> np.ndarray:
        """(n, top) indices of the variables that lost most points against their best value bin; -1 if none.

        ``argpartition`` picks each row's ``top`` biggest losses (linear time), then only those are
        ordered: biggest loss first, the earlier variable first on a tie.
        """
        n, k = pts.shape
        top = min(top, k)
        if n == 0 or top == 0:
            return np.full((n, top), -1, dtype=np.int64)
        lost = self.best_points()[None, :] - pts
        if top < k:
            picked = np.sort(np.argpartition(-lost, top - 1, axis=1)[:, :top], axis=1)
        else:
            picked = np.broadcast_to(np.arange(k), (n, k))
        picked_lost = np.take_along_axis(lost, picked, axis=1)
        order = np.argsort(-picked_lost, axis=1, kind="stable")
        idx = np.take_along_axis(picked, order, axis=1)
        return np.where(np.take_along_axis(picked_lost, order, axis=1) > LOSS_EPSILON, idx, -1)

    def reason_matrix(self, pts: np.ndarray, top: int = 3) -> np.ndarray:
        """(n, top) names of the variables that lost most points against their best value bin, or None."""
        idx = self.reason_indices(pts, top)
        names = np.array([v.name for v in self.variables] + [None], dtype=object)
        picked: np.ndarray = names[idx]  # -1 picks the trailing None
        return picked

    def reasons(self, pts: np.ndarray, top: int = 3) -> list[list[str]]:
        """Per row, the variables that lost the most points against their best value bin (adverse first)."""
        return [[n for n in row if n is not None] for row in self.reason_matrix(pts, top).tolist()]

    def score_one(self, values: Mapping[str, Any], top: int = 3) -> tuple[float, list[str]]:
        """Score and top adverse reasons of one firm from plain values (no frames); equals the batch path."""
        table = self.points_table()
        pts = [float(table[j][v.bin_of(values.get(v.name))]) for j, v in enumerate(self.variables)]
        # numpy's pairwise sum, so the total matches ``score_points`` bit for bit.
        total = float(np.asarray(pts, dtype=np.float64).sum()) if pts else 0.0
        lost = [float(b) - p for b, p in zip(self.best_points(table), pts, strict=True)]
        ranked = sorted(range(len(lost)), key=lambda j: -lost[j])[:top]
        return total, [self.variables[j].name for j in ranked if lost[j] > LOSS_EPSILON]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form for the model registry."""
        return {
            "variables": [v.to_dict() for v in self.variables],
            "intercept": self.intercept,
            "pdo": self.pdo,
            "base_score": self.base_score,
            "base_odds": self.base_odds,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Scorecard:
        """The inverse of :meth:`to_dict`."""
        return cls(
            variables=[CompiledVariable(**v) for v in doc["variables"]],
            intercept=float(doc["intercept"]),
            pdo=float(doc["pdo"]),
            base_score=float(doc["base_score"]),
            base_odds=float(doc["base_odds"]),
        )


def compile_binning(name: str, optb: Any, categorical: bool) -> CompiledVariable:
    """Bins and WoE (missing bin empirical) of one fitted ``OptimalBinning``."""
    table = optb.binning_table.build()
    n_bins = len(optb.splits) + (0 if categorical else 1)
    woe = [float(w) for w in table["WoE"].iloc[:n_bins]]
    missing_row = table.loc[table["Bin"].astype(str) == "Missing"]
    missing_woe = float(missing_row["WoE"].iloc[0]) if len(missing_row) else 0.0
    if categorical:
        groups = [[str(c) for c in g] for g in optb.splits]
        return CompiledVariable(name, True, groups=groups, woe=[*woe, missing_woe])
    return CompiledVariable(name, False, splits=[float(s) for s in optb.splits], woe=[*woe, missing_woe])


def fit_scorecard(
    columns: Mapping[str, Column],
    y: np.ndarray,
    numeric: Sequence[str],
    categorical: Sequence[str],
    *,
    c: float = 1.0,
    min_bin_size: float = 0.05,
    min_iv: float = 0.005,
    numeric_trend: str = "auto_asc_desc",
    pdo: float = 20.0,
    base_score: float = 600.0,
    base_odds: float = 50.0,
) -> tuple[Scorecard, dict[str, float]]:
    """Bin each variable (monotonic trend chosen per variable), fit LR on WoE; returns IV per variable too.

    ``numeric_trend`` is optbinning's ``monotonic_trend`` for numeric variables (``auto_asc_desc``:
    ascending or descending, whichever fits; ``auto`` also allows one peak or valley).
    ``y`` is 1 for default (the event). Variables whose information value is below ``min_iv`` are left
    out, as credit-risk teams drop non-predictive characteristics.
    """
    from sklearn.linear_model import LogisticRegression

    OptimalBinning = optional_import("optbinning", "fit").OptimalBinning

    compiled: list[CompiledVariable] = []
    ivs: dict[str, float] = {}
    for name in [*numeric, *categorical]:
        is_cat = name in categorical
        x = np.asarray(columns[name])
        if not is_cat and np.unique(x[~np.isnan(x.astype(np.float64))]).size < 2:
            ivs[name] = 0.0  # constant or wholly missing on this date: nothing to bin
            continue
        optb = OptimalBinning(
            name=name,
            dtype="categorical" if is_cat else "numerical",
            monotonic_trend=None if is_cat else numeric_trend,
            min_bin_size=min_bin_size,
            cat_cutoff=0.01 if is_cat else None,
        )
        optb.fit(x.astype(str) if is_cat else x.astype(np.float64), y)
        table = optb.binning_table.build()
        ivs[name] = float(table["IV"].iloc[-1])
        if ivs[name] >= min_iv:
            compiled.append(compile_binning(name, optb, is_cat))
    card = Scorecard(compiled, 0.0, pdo, base_score, base_odds)
    lr = LogisticRegression(C=c, max_iter=1000)
    lr.fit(card.woe_matrix(columns), y)
    for v, coef in zip(card.variables, lr.coef_[0], strict=True):
        v.coef = float(coef)
    card.intercept = float(lr.intercept_[0])
    return card, ivs
