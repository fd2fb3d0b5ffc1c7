"""The composite 0–100 risk index, vectorised over a frame of per-firm evidence features.

Seven documented dimensions, each scaled to 0–100, weighted into the index (weights sum to 1):

- ``compliance`` (0.20): finance business evidenced (rule or classifier) in a category the firm holds no
  licence for; 70 per unlicensed category, plus 30 when the police have a case on it.
- ``lure`` (0.15): promised annual return above the market rate (LPR 3.45%): 0 at the market rate,
  100 at 15 points above it.
- ``spread`` (0.10): people reached (victims counted by police and callers) and regions reached:
  20·ln(1+people) + 15 per region beyond the first.
- ``complaints`` (0.15): hotline complaint intensity: 30·ln(1+complaints), doubled weight for the
  last 90 days (a surge).
- ``evidence`` (0.20): keyword and evidence hits: 12 per tagged piece of evidence + 60 × the text
  classifier's highest risk probability.
- ``concealment`` (0.05): related firms (same legal representative or address) that carry risk evidence:
  40 each.
- ``abnormality`` (0.15): operating abnormality: capital not matching headcount and tax (40), frequent
  changes of legal representative or address (40), pay-outs stopped / owner unreachable (20).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from bayfin.riskmonitor.domain import LEVELS

WEIGHTS: dict[str, float] = {
    "compliance": 0.20,
    "lure": 0.15,
    "spread": 0.10,
    "complaints": 0.15,
    "evidence": 0.20,
    "concealment": 0.05,
    "abnormality": 0.15,
}

#: The feature columns :func:`score_frame` reads, with their neutral value.
FEATURES: dict[str, Any] = {
    "unlicensed_categories": 0,
    "police_cases": 0,
    "max_rate_bp": 0,
    "people": 0,
    "regions": 0,
    "complaints": 0,
    "recent_complaints": 0,
    "evidence_hits": 0,
    "classifier_max": 0.0,
    "related_risky": 0,
    "capital_mismatch": 0,
    "frequent_changes": 0,
    "withdrawal_blocked": 0,
}


def _cap(expr: pl.Expr) -> pl.Expr:
    return pl.min_horizontal(pl.lit(100.0), pl.max_horizontal(pl.lit(0.0), expr))


def dimension_exprs() -> dict[str, pl.Expr]:
    """Each dimension's 0–100 value as a polars expression over the feature columns."""
    c = pl.col
    return {
        "compliance": _cap(
            70.0 * c("unlicensed_categories") + 30.0 * (c("police_cases") > 0).cast(pl.Float64)
        ),
        "lure": _cap((c("max_rate_bp").cast(pl.Float64) - 345.0) / 15.0),
        "spread": _cap(
            20.0 * (c("people").cast(pl.Float64) + 1.0).log()
            + 15.0 * (c("regions").cast(pl.Float64) - 1.0).clip(lower_bound=0.0)
        ),
        "complaints": _cap(
            30.0 * (c("complaints").cast(pl.Float64) + 1.0).log()
            + 30.0 * (c("recent_complaints").cast(pl.Float64) + 1.0).log()
        ),
        "evidence": _cap(12.0 * c("evidence_hits") + 60.0 * c("classifier_max")),
        "concealment": _cap(40.0 * c("related_risky")),
        "abnormality": _cap(
            40.0 * c("capital_mismatch") + 40.0 * c("frequent_changes") + 20.0 * c("withdrawal_blocked")
        ),
    }


def score_frame(features: pl.DataFrame) -> pl.DataFrame:
    """Per firm: every dimension, the index (0–100, one decimal) and its level."""
    missing = [pl.lit(v).alias(k) for k, v in FEATURES.items() if k not in features.columns]
    frame = features.with_columns(missing) if missing else features
    dims = dimension_exprs()
    frame = frame.with_columns([e.round(1).alias(f"dim_{k}") for k, e in dims.items()])
    index = pl.sum_horizontal([WEIGHTS[k] * pl.col(f"dim_{k}") for k in WEIGHTS]).round(1)
    level = pl.lit("normal")
    for bound, name in reversed(LEVELS):
        level = pl.when(index >= bound).then(pl.lit(name)).otherwise(level)
    return frame.with_columns(index.alias("score"), level.alias("level"))


def explain(previous: dict[str, float] | None, current: dict[str, float]) -> list[dict[str, Any]]:
    """What moved the index: each dimension's weighted change, largest first (all of it when new)."""
    moves = []
    for name, weight in WEIGHTS.items():
        before = (previous or {}).get(name, 0.0)
        delta = round(weight * (current.get(name, 0.0) - before), 1)
        if delta:
            moves.append({"dimension": name, "points": delta, "value": current.get(name, 0.0)})
    return sorted(moves, key=lambda m: -abs(m["points"]))
