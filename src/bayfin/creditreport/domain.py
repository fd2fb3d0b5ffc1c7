"""What a credit report shows: the consented slice of the hub's record, and indicators derived from it.

Pure: takes the hub's standard record (``creditdata.enterprise_record``) and the consent's grant, and
returns plain data. No database, no clock of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from typing_extensions import (
    TypedDict,  # pydantic reads these on Python 3.11 (the batch API answers with them)
)

#: Which of the hub's record types each consent category opens.
CATEGORY_RECORDS: dict[str, tuple[str, ...]] = {
    "registration": ("abnormal_operation", "administrative_penalty", "intellectual_property"),
    "tax": ("tax_payment",),
    "social_security": ("social_insurance", "provident_fund"),
    "customs": ("customs_trade",),
    "courts": ("judicial_case",),
    "utilities": ("utility_payment",),
}

#: The field that dates a one-off record (for the consent's data range); series use their months.
EVENT_DATE_FIELD = {
    "abnormal_operation": "listed_on",
    "administrative_penalty": "decided_on",
    "intellectual_property": "granted_on",
    "judicial_case": "filed_on",
}
#: Monthly series fields per record type (first month is the record's ``period``).
SERIES_FIELDS = {
    "tax_payment": ("tax_paid_fen", "vat_sales_fen"),
    "social_insurance": ("insured_headcount",),
    "provident_fund": ("contributors",),
    "customs_trade": ("import_fen", "export_fen"),
    "utility_payment": ("electricity_kwh", "water_m3"),
}


def add_months(first: date, n: int) -> date:
    """The first day of the month ``n`` months after ``first``'s month."""
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_floor(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def _in_range(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


def clip_record(record_type: str, row: Mapping[str, Any], start: date, end: date) -> dict[str, Any] | None:
    """The row limited to the consented data range: one-off records in or out by their date, series
    trimmed to the months inside the range (None when nothing is left)."""
    values = dict(row["values"])
    if record_type in EVENT_DATE_FIELD:
        if not _in_range(values.get(EVENT_DATE_FIELD[record_type]), start, end):
            return None
        return {**row, "values": values}
    fields = SERIES_FIELDS.get(record_type)
    if not fields:
        return {**row, "values": values}
    period: date | None = values.get("period")
    if period is None:
        return None
    length = max((len(values.get(f) or []) for f in fields), default=0)
    keep = [i for i in range(length) if month_floor(start) <= add_months(period, i) <= end]
    if not keep:
        return None
    first, last = keep[0], keep[-1] + 1
    for f in fields:
        series = values.get(f)
        if series is not None:
            values[f] = list(series[first:last])
    values["period"] = add_months(period, first)
    return {**row, "values": values}


def monthly(rows: Iterable[Mapping[str, Any]], field: str) -> dict[date, int]:
    """A month → value map from series rows (later deliveries win where periods overlap)."""
    out: dict[date, int] = {}
    for row in sorted(rows, key=lambda r: (r["as_of"], r["values"].get("period") or date.min)):
        values = row["values"]
        period, series = values.get("period"), values.get(field)
        if period is None or not series:
            continue
        for i, value in enumerate(series):
            if value is not None:
                out[add_months(period, i)] = int(value)
    return out


@dataclass(frozen=True)
class Trend:
    """Last 12 months against the 12 before, as a growth ratio and a word."""

    recent: int
    previous: int
    growth: Decimal | None
    direction: str  # growing | stable | declining | insufficient_data

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the report."""
        return {"recent_12m": self.recent, "previous_12m": self.previous,
                "growth": None if self.growth is None else str(self.growth),
                "direction": self.direction}


def trend(series: Mapping[date, int], until: date, band: Decimal = Decimal("0.10")) -> Trend:
    """Compare the 12 months up to ``until`` with the 12 months before them."""
    end = month_floor(until)
    recent_months = [add_months(end, -i) for i in range(12)]
    previous_months = [add_months(end, -12 - i) for i in range(12)]
    have_recent = [m for m in recent_months if m in series]
    have_previous = [m for m in previous_months if m in series]
    recent = sum(series[m] for m in have_recent)
    previous = sum(series[m] for m in have_previous)
    if len(have_recent) < 6 or len(have_previous) < 6 or previous <= 0:
        return Trend(recent, previous, None, "insufficient_data")
    growth = ((Decimal(recent) - Decimal(previous)) / Decimal(previous)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP)
    direction = "growing" if growth > band else "declining" if growth < -band else "stable"
    return Trend(recent, previous, growth, direction)


def headcount_trend(series: Mapping[date, int], until: date) -> dict[str, Any]:
    """Insured headcount now against twelve months earlier."""
    months = sorted(m for m in series if m <= until)
    if not months:
        return {"latest": None, "year_ago": None, "change": None, "direction": "insufficient_data"}
    latest_month = months[-1]
    year_ago = series.get(add_months(latest_month, -12))
    latest = series[latest_month]
    if year_ago is None:
        return {"latest": latest, "latest_month": latest_month, "year_ago": None, "change": None,
                "direction": "insufficient_data"}
    change = latest - year_ago
    direction = "stable"
    if year_ago and abs(change) / year_ago > 0.10:
        direction = "growing" if change > 0 else "declining"
    return {"latest": latest, "latest_month": latest_month, "year_ago": year_ago, "change": change,
            "direction": direction}


def _latest(rows: Sequence[Mapping[str, Any]], field: str) -> Any:
    dated = [r for r in rows if r["values"].get(field) is not None]
    if not dated:
        return None
    best = max(dated, key=lambda r: (r["values"].get("period") or date.min, r["as_of"]))
    return best["values"][field]


def indicators(domains: Mapping[str, Sequence[Mapping[str, Any]]], categories: frozenset[str],
               until: date) -> dict[str, Any]:
    """Derived indicators, each only when its category is consented (so none leaks another's data)."""
    out: dict[str, Any] = {}
    if "tax" in categories:
        tax = list(domains.get("tax_payment", []))
        out["revenue_trend"] = trend(monthly(tax, "vat_sales_fen"), until).as_dict()
        out["tax_credit_grade"] = _latest(tax, "credit_grade")
        out["tax_arrears_fen"] = _latest(tax, "arrears_fen") or 0
    if "social_security" in categories:
        insured = list(domains.get("social_insurance", []))
        out["headcount_trend"] = headcount_trend(monthly(insured, "insured_headcount"), until)
        out["social_insurance_arrears_fen"] = _latest(insured, "arrears_fen") or 0
    if "courts" in categories:
        cases = [r["values"] for r in domains.get("judicial_case", [])]
        out["litigation_as_defendant"] = sum(1 for c in cases if c.get("role") == "defendant")
        out["litigation_as_plaintiff"] = sum(1 for c in cases if c.get("role") == "plaintiff")
        out["enforcement_cases"] = sum(1 for c in cases if c.get("case_kind") == "enforcement")
        out["open_enforcement_cases"] = sum(1 for c in cases if c.get("case_kind") == "enforcement"
                                            and c.get("status") == "open")
        out["dishonest_debtor"] = any(c.get("case_kind") == "dishonest_debtor"
                                      and c.get("status") != "closed" for c in cases)
    if "registration" in categories:
        listings = [r["values"] for r in domains.get("abnormal_operation", [])]
        out["abnormal_operation"] = any(v.get("removed_on") is None or v["removed_on"] > until
                                        for v in listings)
        out["administrative_penalties"] = len(domains.get("administrative_penalty", []))
    return out


def consented_slice(record: Mapping[str, Any], categories: frozenset[str], start: date,
                    end: date) -> dict[str, list[dict[str, Any]]]:
    """The hub record's domains limited to the consented categories and data range."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for category in sorted(categories):
        for record_type in CATEGORY_RECORDS.get(category, ()):
            rows = record.get("domains", {}).get(record_type, [])
            clipped = [c for r in rows if (c := clip_record(record_type, r, start, end)) is not None]
            sections[record_type] = clipped
    return sections


class ReportConsent(TypedDict):
    """The consent a report was produced under: its id, purpose, categories and data range."""

    id: str
    purpose_code: str
    categories: list[str]
    data_from: date
    data_to: date


class ReportBody(TypedDict):
    """What a report discloses: the registration (when consented), the consented domains' rows within
    the data range, the indicators derived from them, and the consent."""

    registration: dict[str, Any] | None
    sections: dict[str, list[dict[str, Any]]]
    indicators: dict[str, Any]
    consent: ReportConsent


class CreditReport(ReportBody):
    """A credit report of one enterprise, for one institution, at one moment."""

    credit_code: str
    generated_at: datetime
    institution_id: str | None


class ReportRefusal(TypedDict):
    """Why one enterprise of a batch was not reported on (the problem's status, code, reason, message);
    the batch API answers with it as is."""

    credit_code: str
    consent_id: str
    status: int
    code: str
    reason: str
    message: str


class ReportBatch(TypedDict):
    """A batch of reports: how many were asked, delivered and refused, the reports and the refusals."""

    requested: int
    delivered: int
    refused: int
    reports: list[CreditReport]
    refusals: list[ReportRefusal]

