"""Point-in-time features of enterprises from the data hub, in bulk (polars) and for one firm.

Every feature uses only what the hub knew on ``as_of``: fact rows delivered on or before that day and
not yet replaced, and within them only months and events before it. One function computes features
from fact frames, so the batch path and the single-firm path cannot drift apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from bayfin.creditdata import facts_in_force

#: Tax credit grades from best to worst (纳税信用等级), as numbers for trends.
TAX_GRADES = {"A": 0, "B": 1, "M": 2, "C": 3, "D": 4}
CUSTOMS_GRADES = {"AA": 0, "A": 1, "B": 2, "C": 3}

#: The fact tables and columns features read.
SOURCES: dict[str, tuple[str, ...]] = {
    "registration": ("registered_capital_fen", "founded_on", "industry_code", "city_code", "status"),
    "tax_payment": ("period", "credit_grade", "tax_paid_fen", "vat_sales_fen", "arrears_fen"),
    "social_insurance": ("period", "insured_headcount", "arrears_fen"),
    "customs_trade": ("period", "customs_grade", "import_fen", "export_fen"),
    "judicial_case": ("role", "case_kind", "filed_on", "status"),
    "abnormal_operation": ("listed_on", "removed_on"),
    "administrative_penalty": ("decided_on",),
    "utility_payment": ("period", "electricity_kwh", "arrears_fen"),
}

NUMERIC_FEATURES: tuple[str, ...] = (
    "firm_age_years",
    "log_capital",
    "tax_grade",
    "tax_grade_change",
    "log_tax_paid",
    "tax_trend",
    "log_vat_sales",
    "vat_trend",
    "tax_arrears",
    "headcount",
    "headcount_trend",
    "si_arrears",
    "customs_active",
    "customs_grade",
    "lawsuits_as_defendant",
    "enforcements",
    "dishonest_debtor",
    "abnormal_listings",
    "abnormal_now",
    "penalties",
    "electricity_trend",
    "utility_arrears",
    "months_reported",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("industry_code", "city_code")
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

#: Plain-language description of each feature, for reason codes.
DESCRIPTIONS: dict[str, str] = {
    "firm_age_years": "the firm is young",
    "log_capital": "registered capital is small",
    "tax_grade": "the tax credit grade is weak",
    "tax_grade_change": "the tax credit grade has worsened",
    "log_tax_paid": "little tax paid in the last six months",
    "tax_trend": "tax paid is falling",
    "log_vat_sales": "VAT-declared sales are low",
    "vat_trend": "VAT-declared sales are falling",
    "tax_arrears": "tax arrears outstanding",
    "headcount": "few insured employees",
    "headcount_trend": "insured headcount is falling",
    "si_arrears": "social-insurance contributions in arrears",
    "customs_active": "no recent import or export activity",
    "customs_grade": "customs credit grade is weak",
    "lawsuits_as_defendant": "lawsuits against the firm",
    "enforcements": "court enforcement against the firm",
    "dishonest_debtor": "listed as a dishonest debtor",
    "abnormal_listings": "history of abnormal-operation listings",
    "abnormal_now": "currently listed for abnormal operation",
    "penalties": "administrative penalties",
    "electricity_trend": "electricity use is falling",
    "utility_arrears": "utility bills in arrears",
    "months_reported": "little data reported (thin file)",
    "industry_code": "the industry carries higher risk",
    "city_code": "the city carries higher risk",
}


#: What each feature is about, for the reason given when its value is missing.
SUBJECTS: dict[str, str] = {
    "firm_age_years": "founding date",
    "log_capital": "registered capital",
    "tax_grade": "tax credit grade",
    "tax_grade_change": "tax credit grade history",
    "log_tax_paid": "tax paid",
    "tax_trend": "tax paid over time",
    "log_vat_sales": "VAT-declared sales",
    "vat_trend": "VAT-declared sales over time",
    "headcount": "insured headcount",
    "headcount_trend": "insured headcount over time",
    "customs_grade": "customs credit grade",
    "electricity_trend": "electricity use",
    "months_reported": "reported months",
    "industry_code": "industry",
    "city_code": "city",
}


def reason_text(feature: str, *, missing: bool = False) -> str:
    """The plain-language adverse reason for a feature; a missing value says that no data was reported."""
    if missing:
        return f"no {SUBJECTS.get(feature, feature)} data reported"
    return DESCRIPTIONS.get(feature, feature)


def load_facts(session: Session, as_of: date, codes: Iterable[str] | None = None) -> dict[str, pl.DataFrame]:
    """The fact rows in force on ``as_of`` for the features' sources (all firms, or ``codes``)."""
    wanted = list(codes) if codes is not None else None
    return {name: _frame(facts_in_force(session, name, columns, as_of=as_of, codes=wanted),
                         ("credit_code", *columns))
            for name, columns in SOURCES.items()}


def facts_from_record(record: Mapping[str, Any]) -> dict[str, pl.DataFrame]:
    """Fact frames from one ``creditdata.service.enterprise_record`` (the single-firm path)."""
    code = record["credit_code"]
    frames: dict[str, pl.DataFrame] = {}
    for name, columns in SOURCES.items():
        if name == "registration":
            reg = record.get("registration")
            rows = [(code, *(reg["values"].get(c) for c in columns))] if reg else []
        else:
            rows = [(code, *(r["values"].get(c) for c in columns)) for r in record["domains"].get(name, [])]
        frames[name] = _frame(rows, ("credit_code", *columns))
    return frames


_SCHEMA: dict[str, Any] = {
    "credit_code": pl.Utf8,
    "registered_capital_fen": pl.Int64,
    "founded_on": pl.Date,
    "industry_code": pl.Utf8,
    "city_code": pl.Utf8,
    "status": pl.Utf8,
    "period": pl.Date,
    "credit_grade": pl.Utf8,
    "customs_grade": pl.Utf8,
    "arrears_fen": pl.Int64,
    "role": pl.Utf8,
    "case_kind": pl.Utf8,
    "filed_on": pl.Date,
    "listed_on": pl.Date,
    "removed_on": pl.Date,
    "decided_on": pl.Date,
}


def _frame(rows: list[Any], columns: tuple[str, ...]) -> pl.DataFrame:
    schema = {c: _SCHEMA.get(c, pl.List(pl.Int64)) for c in columns}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _month_index(d: pl.Expr) -> pl.Expr:
    return d.dt.year().cast(pl.Int32) * 12 + d.dt.month().cast(pl.Int32) - 1


def _monthly(frame: pl.DataFrame, series: list[str], as_of: date) -> pl.DataFrame:
    """Long (credit_code, month, series…) rows for months before ``as_of``; the latest row wins a month."""
    limit = as_of.year * 12 + as_of.month - 1
    if frame.height == 0:
        return pl.DataFrame(
            schema={"credit_code": pl.Utf8, "month": pl.Int32, **{s: pl.Int64 for s in series}}
        )
    long = (
        frame.select("credit_code", "period", *series)
        .with_columns(pl.int_ranges(0, pl.col(series[0]).list.len()).alias("_i"))
        .explode(["_i", *series])
        .with_columns((_month_index(pl.col("period")) + pl.col("_i")).cast(pl.Int32).alias("month"))
        .filter(pl.col("month") < limit)
    )
    return long.group_by("credit_code", "month").agg(pl.col(s).drop_nulls().last() for s in series)


def _trend(long: pl.DataFrame, column: str, as_of: date, name: str) -> pl.DataFrame:
    """Level (mean of the last 6 months) and trend (log ratio to the 6 months before) per firm."""
    limit = as_of.year * 12 + as_of.month - 1
    recent = pl.col("month") >= limit - 6
    prior = (pl.col("month") >= limit - 12) & ~recent
    return (
        long.group_by("credit_code")
        .agg(
            pl.col(column).filter(recent).mean().alias(f"{name}_level"),
            pl.col(column).filter(prior).mean().alias(f"{name}_prior"),
            pl.col("month").n_unique().alias(f"{name}_months"),
        )
        .with_columns(
            (
                (
                    (pl.col(f"{name}_level").fill_null(0.0) + 1.0)
                    / (pl.col(f"{name}_prior").fill_null(0.0) + 1.0)
                ).log()
            ).alias(f"{name}_trend")
        )
    )


def compute_features(facts: Mapping[str, pl.DataFrame], as_of: date) -> pl.DataFrame:
    """One row of features per enterprise with a registration in ``facts``, as of ``as_of``."""
    reg = (
        facts["registration"]
        .group_by("credit_code")
        .agg(pl.all().drop_nulls().last())
        .select(
            "credit_code",
            ((pl.lit(as_of) - pl.col("founded_on")).dt.total_days() / 365.25).alias("firm_age_years"),
            (pl.col("registered_capital_fen").cast(pl.Float64) / 100.0 + 1.0).log10().alias("log_capital"),
            pl.col("industry_code").fill_null("unknown"),
            pl.col("city_code").fill_null("unknown"),
        )
    )
    tax = facts["tax_payment"].sort("period")
    tax_long = _monthly(tax, ["tax_paid_fen", "vat_sales_fen"], as_of)
    grades = (
        tax.filter(pl.col("credit_grade").is_not_null())
        .group_by("credit_code", maintain_order=True)
        .agg(
            pl.col("credit_grade")
            .replace_strict(TAX_GRADES, default=None, return_dtype=pl.Float64)
            .alias("g"),
            pl.col("arrears_fen").drop_nulls().last().alias("tax_arrears"),
        )
        .select(
            "credit_code",
            pl.col("g").list.last().alias("tax_grade"),
            (pl.col("g").list.last() - pl.col("g").list.get(-2, null_on_oob=True))
            .fill_null(0.0)
            .alias("tax_grade_change"),
            "tax_arrears",
        )
    )
    paid = _trend(tax_long, "tax_paid_fen", as_of, "tax").select(
        "credit_code",
        (pl.col("tax_level").fill_null(0.0) / 100.0 + 1.0).log10().alias("log_tax_paid"),
        pl.col("tax_trend"),
        pl.col("tax_months").alias("months_reported"),
    )
    vat = _trend(tax_long, "vat_sales_fen", as_of, "vat").select(
        "credit_code",
        (pl.col("vat_level").fill_null(0.0) / 100.0 + 1.0).log10().alias("log_vat_sales"),
        "vat_trend",
    )
    si = facts["social_insurance"].sort("period")
    si_long = _monthly(si, ["insured_headcount"], as_of)
    heads = _trend(si_long, "insured_headcount", as_of, "hc").select(
        "credit_code", pl.col("hc_level").alias("headcount"), pl.col("hc_trend").alias("headcount_trend")
    )
    si_arrears = si.group_by("credit_code", maintain_order=True).agg(
        pl.col("arrears_fen").drop_nulls().last().alias("si_arrears")
    )
    customs = facts["customs_trade"].sort("period")
    cus_long = _monthly(customs, ["import_fen", "export_fen"], as_of)
    limit = as_of.year * 12 + as_of.month - 1
    cus = (
        cus_long.filter(pl.col("month") >= limit - 12)
        .group_by("credit_code")
        .agg(
            ((pl.col("import_fen").fill_null(0) + pl.col("export_fen").fill_null(0)).sum() > 0)
            .cast(pl.Float64)
            .alias("customs_active")
        )
    )
    cgrade = (
        customs.filter(pl.col("customs_grade").is_not_null())
        .group_by("credit_code", maintain_order=True)
        .agg(
            pl.col("customs_grade")
            .last()
            .replace_strict(CUSTOMS_GRADES, default=None, return_dtype=pl.Float64)
        )
        .rename({"customs_grade": "customs_grade"})
    )
    cases = facts["judicial_case"].filter(pl.col("filed_on") < as_of)
    court = cases.group_by("credit_code").agg(
        ((pl.col("role") == "defendant") & (pl.col("case_kind") == "civil_judgment"))
        .sum()
        .alias("lawsuits_as_defendant"),
        (pl.col("case_kind") == "enforcement").sum().alias("enforcements"),
        (pl.col("case_kind") == "dishonest_debtor").any().cast(pl.Float64).alias("dishonest_debtor"),
    )
    abn = (
        facts["abnormal_operation"]
        .filter(pl.col("listed_on") < as_of)
        .group_by("credit_code")
        .agg(
            pl.len().alias("abnormal_listings"),
            (pl.col("removed_on").is_null() | (pl.col("removed_on") > as_of))
            .any()
            .cast(pl.Float64)
            .alias("abnormal_now"),
        )
    )
    pen = (
        facts["administrative_penalty"]
        .filter(pl.col("decided_on") < as_of)
        .group_by("credit_code")
        .agg(pl.len().alias("penalties"))
    )
    util = facts["utility_payment"].sort("period")
    util_long = _monthly(util, ["electricity_kwh"], as_of)
    elec = _trend(util_long, "electricity_kwh", as_of, "el").select(
        "credit_code", pl.col("el_trend").alias("electricity_trend")
    )
    util_arrears = util.group_by("credit_code", maintain_order=True).agg(
        pl.col("arrears_fen").drop_nulls().last().alias("utility_arrears")
    )
    out = reg
    for part in (grades, paid, vat, heads, si_arrears, cus, cgrade, court, abn, pen, elec, util_arrears):
        out = out.join(part, on="credit_code", how="left")
    zero_when_missing = [
        "tax_arrears", "si_arrears", "utility_arrears", "customs_active", "lawsuits_as_defendant",
        "enforcements", "dishonest_debtor", "abnormal_listings", "abnormal_now", "penalties",
        "months_reported", "log_tax_paid", "log_vat_sales", "headcount",
    ]  # fmt: skip
    return (
        out.with_columns(
            [pl.col(c).cast(pl.Float64).fill_null(0.0) for c in zero_when_missing]
            + [pl.col(c).cast(pl.Float64) for c in NUMERIC_FEATURES if c not in zero_when_missing]
        )
        .with_columns(
            ((pl.col(c) / 100.0) + 1.0).log10() for c in ("tax_arrears", "si_arrears", "utility_arrears")
        )
        .select("credit_code", *FEATURES)
        .sort("credit_code")
    )


def features_as_of(session: Session, as_of: date, codes: Iterable[str] | None = None) -> pl.DataFrame:
    """Bulk features of every enterprise (or ``codes``) the hub knows on ``as_of``."""
    return compute_features(load_facts(session, as_of, codes), as_of)


def is_missing(value: Any) -> bool:
    """Whether a feature value is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- one firm, plain Python -------------------------------------------------------------------------
# The online path: the same definitions as ``compute_features`` over one firm's hub record, without
# building data frames (a polars pipeline of ~40 operations costs milliseconds for a single row).
# tests/integration/scoring/test_features.py holds the two equal on every firm of a generated region.


def features_of_record(record: Mapping[str, Any], as_of: date) -> dict[str, Any] | None:
    """One firm's feature values from its ``enterprise_record``; None without a registration in force."""
    reg = record.get("registration")
    if not reg:
        return None
    values = reg["values"]
    domains = record["domains"]
    limit = as_of.year * 12 + as_of.month - 1
    founded, capital = values.get("founded_on"), values.get("registered_capital_fen")
    out: dict[str, Any] = {
        "credit_code": record["credit_code"],
        "firm_age_years": None if founded is None else (as_of - founded).days / 365.25,
        "log_capital": None if capital is None else math.log10(float(capital) / 100.0 + 1.0),
    }
    tax = _by_period(domains, "tax_payment")
    tax_months = _months(tax, ("tax_paid_fen", "vat_sales_fen"), limit)
    graded = [r for r in tax if r.get("credit_grade") is not None]
    grades = [TAX_GRADES.get(r["credit_grade"]) for r in graded]
    out["tax_grade"] = float(grades[-1]) if grades and grades[-1] is not None else None
    if not grades:
        out["tax_grade_change"] = None
    elif len(grades) > 1 and grades[-1] is not None and grades[-2] is not None:
        out["tax_grade_change"] = float(grades[-1] - grades[-2])
    else:
        out["tax_grade_change"] = 0.0
    level, out["tax_trend"] = _level_trend(tax_months, "tax_paid_fen", limit)
    out["log_tax_paid"] = math.log10((level or 0.0) / 100.0 + 1.0)
    level, out["vat_trend"] = _level_trend(tax_months, "vat_sales_fen", limit)
    out["log_vat_sales"] = math.log10((level or 0.0) / 100.0 + 1.0)
    out["tax_arrears"] = _log_fen(_last(graded, "arrears_fen"))
    si = _by_period(domains, "social_insurance")
    level, out["headcount_trend"] = _level_trend(
        _months(si, ("insured_headcount",), limit), "insured_headcount", limit
    )
    out["headcount"] = float(level or 0.0)
    out["si_arrears"] = _log_fen(_last(si, "arrears_fen"))
    customs = _by_period(domains, "customs_trade")
    window = [m for k, m in _months(customs, ("import_fen", "export_fen"), limit).items() if k >= limit - 12]
    out["customs_active"] = float(sum((m["import_fen"] or 0) + (m["export_fen"] or 0) for m in window) > 0)
    grade = _last(customs, "customs_grade")
    out["customs_grade"] = None if grade is None else _float_or_none(CUSTOMS_GRADES.get(grade))
    cases = _before(domains, "judicial_case", "filed_on", as_of)
    out["lawsuits_as_defendant"] = float(
        sum(r.get("role") == "defendant" and r.get("case_kind") == "civil_judgment" for r in cases)
    )
    out["enforcements"] = float(sum(r.get("case_kind") == "enforcement" for r in cases))
    out["dishonest_debtor"] = float(any(r.get("case_kind") == "dishonest_debtor" for r in cases))
    listings = _before(domains, "abnormal_operation", "listed_on", as_of)
    out["abnormal_listings"] = float(len(listings))
    out["abnormal_now"] = float(any(r.get("removed_on") is None or r["removed_on"] > as_of for r in listings))
    out["penalties"] = float(len(_before(domains, "administrative_penalty", "decided_on", as_of)))
    util = _by_period(domains, "utility_payment")
    _, out["electricity_trend"] = _level_trend(
        _months(util, ("electricity_kwh",), limit), "electricity_kwh", limit
    )
    out["utility_arrears"] = _log_fen(_last(util, "arrears_fen"))
    out["months_reported"] = float(len(tax_months))
    out["industry_code"] = values.get("industry_code") or "unknown"
    out["city_code"] = values.get("city_code") or "unknown"
    return {name: out[name] for name in ("credit_code", *FEATURES)}


def _by_period(domains: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    rows = [r["values"] for r in domains.get(name, [])]
    # polars' sort: nulls first, ties keep their order
    return sorted(rows, key=lambda r: (r.get("period") is not None, r.get("period") or date.min))


def _before(domains: Mapping[str, Any], name: str, column: str, as_of: date) -> list[dict[str, Any]]:
    return [
        r["values"] for r in domains.get(name, []) if (d := r["values"].get(column)) is not None and d < as_of
    ]


def _months(rows: list[dict[str, Any]], series: tuple[str, ...], limit: int) -> dict[int, dict[str, Any]]:
    """Month index → the last non-null value of each series that month, for months before ``limit``."""
    months: dict[int, dict[str, Any]] = {}
    for row in rows:
        period, first = row.get("period"), row.get(series[0])
        if period is None or not first:
            continue
        base = period.year * 12 + period.month - 1
        for i in range(len(first)):
            if base + i >= limit:
                continue
            slot = months.setdefault(base + i, dict.fromkeys(series))
            for name in series:
                values = row.get(name)
                if values is not None and i < len(values) and values[i] is not None:
                    slot[name] = values[i]
    return months


def _level_trend(
    months: Mapping[int, Mapping[str, Any]], column: str, limit: int
) -> tuple[float | None, float | None]:
    """Mean of the last 6 months and the log ratio to the 6 before (None, None for a firm with no months)."""
    if not months:
        return None, None
    recent = [m[column] for k, m in months.items() if k >= limit - 6 and m[column] is not None]
    prior = [m[column] for k, m in months.items() if limit - 12 <= k < limit - 6 and m[column] is not None]
    level = sum(recent) / len(recent) if recent else None
    before = sum(prior) / len(prior) if prior else None
    return level, math.log(((level or 0.0) + 1.0) / ((before or 0.0) + 1.0))


def _last(rows: list[dict[str, Any]], column: str) -> Any:
    return next((r[column] for r in reversed(rows) if r.get(column) is not None), None)


def _log_fen(value: Any) -> float:
    return math.log10(float(value or 0) / 100.0 + 1.0)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
