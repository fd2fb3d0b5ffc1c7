"""Per-firm evidence features for the index, built with polars from plain frames (no I/O).

Inputs (any may be empty, columns as named):
- ``firms``: credit_code, legal_representative, address, city_code, capital_fen, headcount, changes
  (distinct legal representatives + addresses on record, minus 2)
- ``evidence``: id, credit_code, source, occurred_on, people, amount_fen, region_code, text
- ``tags``: credit_code, tag, method, confidence
- ``licences``: credit_code, licence_type, valid_until
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

import polars as pl

from bayfin.riskmonitor.domain import CATEGORY_LICENCE

#: Largest group of firms sharing a legal representative (in a city) or an address treated as related.
MAX_RELATED_GROUP = 12

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

FIRM_SCHEMA = {
    "credit_code": pl.String,
    "legal_representative": pl.String,
    "address": pl.String,
    "city_code": pl.String,
    "capital_fen": pl.Int64,
    "headcount": pl.Int64,
    "changes": pl.Int64,
}
EVIDENCE_SCHEMA = {
    "id": pl.Int64,
    "credit_code": pl.String,
    "source": pl.String,
    "occurred_on": pl.Date,
    "people": pl.Int64,
    "amount_fen": pl.Int64,
    "region_code": pl.String,
    "promised_rate_bp": pl.Int64,
}
TAG_SCHEMA = {"credit_code": pl.String, "tag": pl.String, "method": pl.String, "confidence": pl.Float64}
LICENCE_SCHEMA = {"credit_code": pl.String, "licence_type": pl.String, "valid_until": pl.Date}

#: A tag counts towards the index from this confidence on (rules are 1.0, the classifier its probability).
TAG_CONFIDENCE = 0.5
#: Registered capital per insured employee above which capital "does not match" headcount (fen): 2,000万.
CAPITAL_PER_HEAD_FEN = 20_000_000 * 100


def _conform(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """The frame with exactly the schema's columns and types (an empty frame may have no columns)."""
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame.select(
        [
            pl.col(k).cast(v) if k in frame.columns else pl.lit(None, dtype=v).alias(k)
            for k, v in schema.items()
        ]
    )


def related_pairs(firms: FrameT) -> FrameT:
    """Pairs (credit_code, related_code, relation): same legal representative in a city, or same address."""
    pairs = []
    for keys, relation in (
        (["legal_representative", "city_code"], "legal_representative"),
        (["address"], "address"),
    ):
        # A name or address shared by very many firms is a coincidence (common names, business centres),
        # not a relation; such groups are left out, which also keeps the self-join linear in practice.
        base = firms.select("credit_code", *keys).drop_nulls()
        base = base.filter(pl.len().over(keys) <= MAX_RELATED_GROUP)
        joined = base.join(base, on=keys, suffix="_other").filter(
            pl.col("credit_code") != pl.col("credit_code_other")
        )
        pairs.append(
            joined.select(
                "credit_code",
                pl.col("credit_code_other").alias("related_code"),
                pl.lit(relation).alias("relation"),
            )
        )
    return pl.concat(pairs).unique(subset=["credit_code", "related_code"], keep="first")


def build_features(
    firms: pl.DataFrame, evidence: pl.DataFrame, tags: pl.DataFrame, licences: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """One row per firm with every column :func:`bayfin.riskmonitor.index.score_frame` reads."""
    firms, evidence = _conform(firms, FIRM_SCHEMA), _conform(evidence, EVIDENCE_SCHEMA)
    tags, licences = _conform(tags, TAG_SCHEMA), _conform(licences, LICENCE_SCHEMA)
    # One lazy plan, collected once: a single firm's re-scoring pays polars' per-query cost once.
    return _plan(firms.lazy(), evidence.lazy(), tags.lazy(), licences.lazy(), as_of).collect()


def _plan(
    firms: pl.LazyFrame, evidence: pl.LazyFrame, tags: pl.LazyFrame, licences: pl.LazyFrame, as_of: date
) -> pl.LazyFrame:
    # Aggregate tags are conclusions drawn from these features; counting them again would feed back.
    strong = tags.filter((pl.col("confidence") >= TAG_CONFIDENCE) & (pl.col("method") != "aggregate"))
    cats = strong.filter(pl.col("tag").str.starts_with("category:")).select(
        "credit_code", pl.col("tag").str.strip_prefix("category:").alias("category")
    )
    licence_map = pl.LazyFrame(
        {"category": list(CATEGORY_LICENCE), "licence_type": list(CATEGORY_LICENCE.values())}
    )
    held = licences.filter(pl.col("valid_until") >= as_of)
    unlicensed = (
        cats.unique()
        .join(licence_map, on="category", how="left")
        .join(
            held.select("credit_code", "licence_type", pl.lit(True).alias("held")),
            on=["credit_code", "licence_type"],
            how="left",
        )
        .filter(pl.col("held").is_null())
        .group_by("credit_code")
        .agg(pl.len().alias("unlicensed_categories"))
    )
    recent = as_of - timedelta(days=90)
    per_source = evidence.group_by("credit_code").agg(
        (pl.col("source") == "risk_police").sum().alias("police_cases"),
        (pl.col("source") == "risk_hotline").sum().alias("complaints"),
        ((pl.col("source") == "risk_hotline") & (pl.col("occurred_on") >= recent))
        .sum()
        .alias("recent_complaints"),
        pl.col("people").sum().alias("police_people"),
        pl.col("amount_fen").sum().alias("amount_fen"),
        pl.col("region_code").drop_nulls().n_unique().alias("regions"),
        pl.col("promised_rate_bp").max().alias("max_rate_bp"),
    )
    tag_counts = strong.group_by("credit_code").agg(
        pl.len().alias("evidence_hits"),
        pl.col("confidence").filter(pl.col("method") == "classifier").max().alias("classifier_max"),
        (pl.col("tag") == "fund_withdrawal_blocked").any().cast(pl.Int64).alias("withdrawal_blocked"),
    )
    evidenced = (
        pl.concat([evidence.select("credit_code"), strong.select("credit_code")]).drop_nulls().unique()
    )
    related = (
        related_pairs(firms)
        .join(evidenced.rename({"credit_code": "related_code"}), on="related_code", how="semi")
        .group_by("credit_code")
        .agg(pl.len().alias("related_risky"))
    )
    out = (
        firms.select("credit_code", "capital_fen", "headcount", "changes")
        .join(unlicensed, on="credit_code", how="left")
        .join(per_source, on="credit_code", how="left")
        .join(tag_counts, on="credit_code", how="left")
        .join(related, on="credit_code", how="left")
    )
    return out.with_columns(
        pl.col("unlicensed_categories", "police_cases", "complaints", "recent_complaints", "regions")
        .fill_null(0)
        .cast(pl.Int64),
        pl.col("evidence_hits", "related_risky", "withdrawal_blocked").fill_null(0).cast(pl.Int64),
        pl.col("max_rate_bp").fill_null(0),
        pl.col("classifier_max").fill_null(0.0),
        (pl.col("police_people").fill_null(0) + pl.col("complaints").fill_null(0)).alias("people"),
        pl.col("amount_fen").fill_null(0),
        (
            pl.col("capital_fen").fill_null(0)
            > CAPITAL_PER_HEAD_FEN * pl.col("headcount").fill_null(0).clip(lower_bound=1)
        )
        .cast(pl.Int64)
        .alias("capital_mismatch"),
        (pl.col("changes").fill_null(0) >= 2).cast(pl.Int64).alias("frequent_changes"),
    ).drop("police_people")
