"""Credit reports for institutions: consent checked and counted, the hub's record sliced, indicators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bayfin.consent import AccessGrant, ConsentService, DataCategory
from bayfin.creditdata import EnterpriseRecord, enterprise_record
from bayfin.creditreport.domain import (
    CreditReport,
    ReportBatch,
    ReportBody,
    ReportRefusal,
    consented_slice,
    indicators,
)
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import AppError, NotFound
from bayfin.kernel.security import Principal

MAX_BATCH = 1000


def _registration(record: EnterpriseRecord, categories: frozenset[str]) -> dict[str, Any] | None:
    registration = record.get("registration")
    if "registration" not in categories or registration is None:
        return None
    return dict(registration)


def assemble(record: EnterpriseRecord, grant: AccessGrant, today: date) -> ReportBody:
    """The report body from a hub record and the consent's grant (pure)."""
    categories = frozenset(c.value for c in grant.categories)
    sections = consented_slice(record, categories, grant.data_from, grant.data_to)
    until = min(grant.data_to, today)
    return {
        "registration": _registration(record, categories),
        "sections": sections,
        "indicators": indicators(sections, categories, until),
        "consent": {"id": grant.consent_id, "purpose_code": grant.purpose.value,
                    "categories": sorted(categories), "data_from": grant.data_from,
                    "data_to": grant.data_to},
    }


@dataclass
class CreditReports:
    """Builds reports on one transaction; every report is one audited consent use."""

    session: Session
    consents: ConsentService
    clock: Clock

    def report(self, principal: Principal, credit_code: str, consent_id: str) -> CreditReport:
        """The credit report of one enterprise under one consent (raises consent or hub errors)."""
        code = credit_code.strip().upper()
        grant = self.consents.authorize_use(principal, consent_id, code, action="credit_report.read",
                                            details={"endpoint": "credit_report"})
        record = enterprise_record(self.session, code)
        now = self.clock.now()
        body = assemble(record, grant, now.date())
        return {"credit_code": code, "generated_at": now, "institution_id": principal.organization_id,
                "registration": body["registration"], "sections": body["sections"],
                "indicators": body["indicators"], "consent": body["consent"]}

    def batch(self, principal: Principal, items: list[tuple[str, str]]) -> ReportBatch:
        """Reports for up to 1,000 (credit code, consent id) pairs; refusals listed, never failing all."""
        reports: list[CreditReport] = []
        refusals: list[ReportRefusal] = []
        for credit_code, consent_id in items:
            try:
                reports.append(self.report(principal, credit_code, consent_id))
            except AppError as exc:
                refusals.append({"credit_code": credit_code, "consent_id": consent_id,
                                 "status": exc.status_code, "code": exc.code,
                                 "reason": exc.extra.get("reason", exc.code), "message": exc.message})
        return {"requested": len(items), "delivered": len(reports), "refused": len(refusals),
                "reports": reports, "refusals": refusals}


def snapshot(record: EnterpriseRecord, categories: frozenset[str], today: date) -> dict[str, Any]:
    """What post-loan monitoring watches, limited to the consented categories (pure)."""
    domains = record.get("domains", {})
    ind = indicators(domains, categories, today)
    watched: dict[str, Any] = {}
    if DataCategory.tax.value in categories:
        watched["tax_credit_grade"] = ind.get("tax_credit_grade")
        watched["tax_arrears_fen"] = ind.get("tax_arrears_fen")
    if DataCategory.courts.value in categories:
        watched["litigation_as_defendant"] = ind.get("litigation_as_defendant")
        watched["open_enforcement_cases"] = ind.get("open_enforcement_cases")
        watched["dishonest_debtor"] = ind.get("dishonest_debtor")
    if DataCategory.registration.value in categories:
        registration = record.get("registration")
        watched["registration_status"] = (registration["values"] if registration else {}).get("status")
        watched["abnormal_operation"] = ind.get("abnormal_operation")
    return watched


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-by-field differences between two snapshots (pure)."""
    return [{"field": k, "before": before.get(k), "after": after.get(k)}
            for k in sorted(after) if before.get(k) != after.get(k)]


def current_record(session: Session, credit_code: str) -> EnterpriseRecord | None:
    """The hub's current record, or None when the hub knows nothing of the firm."""
    try:
        return enterprise_record(session, credit_code)
    except NotFound:
        return None

