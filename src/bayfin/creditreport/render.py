"""The printable HTML credit report."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from bayfin.creditdata import RECORD_TYPES
from bayfin.creditreport.domain import CreditReport

_env = Environment(loader=PackageLoader("bayfin.creditreport", "templates"),
                   autoescape=select_autoescape(["html"]))

INDICATOR_LABELS = {
    "revenue_trend": "开票收入趋势 Revenue trend (VAT sales, 12 m vs prior 12 m)",
    "tax_credit_grade": "纳税信用等级 Tax credit grade",
    "tax_arrears_fen": "欠税 Tax arrears",
    "headcount_trend": "参保人数趋势 Insured headcount trend",
    "social_insurance_arrears_fen": "社保欠费 Social-insurance arrears",
    "litigation_as_defendant": "被告案件 Cases as defendant",
    "litigation_as_plaintiff": "原告案件 Cases as plaintiff",
    "enforcement_cases": "执行案件 Enforcement cases",
    "open_enforcement_cases": "未结执行案件 Open enforcement cases",
    "dishonest_debtor": "失信被执行人 Dishonest debtor",
    "abnormal_operation": "经营异常 Listed for abnormal operation",
    "administrative_penalties": "行政处罚 Administrative penalties",
}


def _labels() -> dict[str, str]:
    labels = dict(INDICATOR_LABELS)
    for record_type in RECORD_TYPES.values():
        for spec in record_type.fields:
            labels.setdefault(spec.name, f"{spec.label} {spec.name}")
    return labels


LABELS = _labels()
TITLES = {name: f"{rt.label} {name}" for name, rt in RECORD_TYPES.items()}


def render_report(report: CreditReport) -> str:
    """The report as a self-contained, printable HTML page (Chinese and English labels)."""
    return _env.get_template("report.html").render(report=report, labels=LABELS, titles=TITLES)
