"""Operator pages: the platform dashboard, the data hub's status per source, audit-log verification."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from bayfin.api.deps import Session
from bayfin.creditdata import hub_status
from bayfin.kernel.audit import verify_chain
from bayfin.web import dashboard
from bayfin.web import repository as repo
from bayfin.web.access import OPERATOR
from bayfin.web.core import PageRoute, SignedIn, form_of, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/console/dashboard")
def dashboard_page(page: SignedIn, session: Session) -> Response:
    """The pilot's figures: enterprises and financings by city on the Guangdong map, by industry and
    bank, the first-time-borrower share and the monthly trend."""
    principal = OPERATOR.check(page.require_principal())
    figures = dashboard.figures(session, page.platform, principal, page.lang)
    return render(page, "dashboard.html", f=figures, charts=dashboard.charts(figures, page.t))


@router.get("/console/hub")
def hub(page: SignedIn, session: Session) -> Response:
    """Every delivery source's batches and row counts, with quarantine counts by reason."""
    OPERATOR.check(page.require_principal())
    status = hub_status(session, limit=5000)
    per_source: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"batches": 0, "rows_in": 0, "stored": 0, "updated": 0, "unchanged": 0,
                 "quarantined": 0, "latest": None, "record_types": set()})
    for b in status["batches"]:
        s = per_source[b["source"]]
        s["batches"] += 1
        for k in ("rows_in", "stored", "updated", "unchanged", "quarantined"):
            s[k] += int(b[k])
        s["latest"] = max(filter(None, (s["latest"], b["as_of"])))
        s["record_types"].add(b["record_type"])
    reasons = repo.quarantine_by_source_and_reason(session)
    return render(page, "hub.html", totals=status["totals"], by_reason=status["quarantine_by_reason"],
                  sources=sorted(per_source.items()), reasons=reasons)


@router.get("/console/audit")
def audit(page: SignedIn, session: Session) -> Response:
    """The audit log's newest entries and a button that verifies the whole chain."""
    OPERATOR.check(page.require_principal())
    return render(page, "audit.html", entries=repo.recent_audit_entries(session), result=None)


@router.post("/console/audit/verify")
async def verify(request: Request, page: SignedIn, session: Session) -> Response:
    """Recompute the whole HMAC chain (read-only: nothing is sealed); htmx swaps in the result."""
    await form_of(request, page)
    principal = OPERATOR.check(page.require_principal())
    platform = page.platform
    report = verify_chain(session, platform.settings.audit_key.get_secret_value().encode())
    platform.audit.record(session, actor=principal.subject, actor_org=principal.organization_id,
                          action="audit.verify", subject_type="audit_log", subject_id="chain",
                          outcome="ok" if report.ok else "problems",
                          details={"entries": report.entries, "problems": len(report.problems)})
    template = "audit_result.html" if request.headers.get("hx-request") else "audit.html"
    return render(page, template, entries=repo.recent_audit_entries(session), result=report)
