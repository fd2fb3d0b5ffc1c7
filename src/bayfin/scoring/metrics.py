"""Discrimination and calibration metrics: AUC, KS, Gini, calibration by band, PSI."""

from __future__ import annotations

from typing import Any

import numpy as np

#: PSI above this means the live population has shifted from training (the industry's usual cut).
PSI_WARNING = 0.25


def auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Area under the ROC curve where higher ``risk`` means more likely ``y == 1`` (ties averaged)."""
    y = np.asarray(y, dtype=np.int64)
    order = np.argsort(risk, kind="mergesort")
    ranks = np.empty(len(risk), dtype=np.float64)
    sorted_risk = np.asarray(risk)[order]
    # Average ranks over ties so the AUC does not depend on input order.
    _, first, counts = np.unique(sorted_risk, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def ks(y: np.ndarray, risk: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance between the risk distributions of defaulters and the others."""
    y = np.asarray(y, dtype=np.int64)
    order = np.argsort(-np.asarray(risk), kind="mergesort")
    ys = y[order]
    pos = max(int(ys.sum()), 1)
    neg = max(len(ys) - int(ys.sum()), 1)
    return float(np.max(np.abs(np.cumsum(ys) / pos - np.cumsum(1 - ys) / neg)))


def summary(y: np.ndarray, risk: np.ndarray) -> dict[str, float]:
    """AUC, Gini (2·AUC − 1), KS and the default rate."""
    a = auc(y, risk)
    return {"auc": a, "gini": 2 * a - 1, "ks": ks(y, risk), "bad_rate": float(np.mean(y)), "n": float(len(y))}


def calibration(y: np.ndarray, pd_: np.ndarray, bands: int = 10) -> list[dict[str, Any]]:
    """Predicted vs observed default rate in ``bands`` equal-count bands of predicted PD."""
    order = np.argsort(pd_, kind="mergesort")
    rows = []
    for part in np.array_split(order, bands):
        if len(part) == 0:
            continue
        rows.append(
            {
                "n": len(part),
                "predicted": float(np.mean(pd_[part])),
                "observed": float(np.mean(y[part])),
            }
        )
    return rows


def psi(expected: np.ndarray, actual: np.ndarray, edges: np.ndarray) -> float:
    """Population stability index of ``actual`` against ``expected`` over the bins given by ``edges``."""
    e = np.histogram(expected, bins=edges)[0].astype(np.float64)
    a = np.histogram(actual, bins=edges)[0].astype(np.float64)
    e = np.clip(e / max(e.sum(), 1.0), 1e-6, None)
    a = np.clip(a / max(a.sum(), 1.0), 1e-6, None)
    return float(np.sum((a - e) * np.log(a / e)))


def score_edges(scores: np.ndarray, bins: int = 10) -> np.ndarray:
    """Decile edges of the training scores, open at both ends, for PSI."""
    inner = np.unique(np.quantile(scores, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.concatenate([[-np.inf], inner, [np.inf]])
