"""Risk and fraud analysts' pages: anti-fraud decisions and blocked amounts by typology, the
risk-index distribution, firm portraits and the lead queue, and the card terminals' operator view.

Each page reads through the module's own read functions and writes the audit entry its API writes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session as OrmSession
from starlette.responses import Response

from bayfin.antifraud import decision_totals, latest_decisions
from bayfin.api.deps import Session
from bayfin.kernel.security import Principal
from bayfin.kernel.tenancy import TenantScope
from bayfin.riskmonitor import LEVEL_RANK, latest_scores, lead_views
from bayfin.riskmonitor import portrait as risk_portrait
from bayfin.terminals import alarm_queue, site_map, terminal_rows
from bayfin.terminals import terminal_history as terminal_record
from bayfin.web.access import FRAUD_READER, RISK_ANALYST, TERMINALS_READER
from bayfin.web.core import Page, PageRoute, SignedIn, render, secure_headers

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LEVEL_COLOURS = {"normal": "#1d6b32", "attention": "#b58100", "high": "#c2410c", "critical": "#a3160b"}


def _audit(page: Page, session: OrmSession, principal: Principal, action: str, subject_type: str,
           subject_id: str, purpose: str, **details: Any) -> None:
    page.platform.audit.record(session, actor=principal.subject, actor_org=principal.organization_id,
                               action=action, subject_type=subject_type, subject_id=subject_id,
                               purpose=purpose, details={"via": "console", **details})


def _fraud_scope(page: Page, principal: Principal) -> TenantScope:
    """Institutions see their own decisions; operators and regulators see all (as the API); a user of
    no organization sees none (403)."""
    return TenantScope.of(principal, page.platform.tenant_subtree)


@router.get("/console/fraud")
def fraud(page: SignedIn, session: Session) -> Response:
    """Blocked amount by typology and the latest decisions (htmx refreshes the stream)."""
    principal = FRAUD_READER.check(page.require_principal())
    scope = _fraud_scope(page, principal)
    totals = decision_totals(session, scope, by="typology")
    # analysts work the held decisions: those are shown unless all are asked for
    show_all = page.request.query_params.get("show") == "all"
    decisions = latest_decisions(session, scope, held_only=not show_all)
    chart = {
        "tooltip": {"trigger": "axis"}, "grid": {"left": 150, "right": 20, "top": 10, "bottom": 30},
        "xAxis": {"type": "value", "name": page.t["amount"]},
        "yAxis": {"type": "category", "inverse": True, "data": [r["group"] for r in totals]},
        "series": [{"type": "bar", "itemStyle": {"color": "#a3160b"},
                    "data": [r["amount_protected_fen"] / 100 for r in totals]}]}
    template = "fraud_stream.html" if page.request.headers.get("hx-request") else "fraud.html"
    return render(page, template, totals=totals, decisions=decisions, chart=chart, show_all=show_all,
                  protected=sum(r["amount_protected_fen"] for r in totals))


@router.get("/console/risk")
def risk(page: SignedIn, session: Session) -> Response:
    """The risk-index distribution, the watchlist and the lead queue."""
    principal = RISK_ANALYST.check(page.require_principal())
    scores = list(latest_scores(session).values())
    bins = Counter(min(int(s.score // 10), 9) for s in scores)
    levels = Counter(s.level for s in scores)
    watch = sorted((s for s in scores if LEVEL_RANK[s.level] >= LEVEL_RANK["high"]), key=lambda s: -s.score)
    leads = lead_views(session)
    _audit(page, session, principal, "riskmonitor.watchlist.read", "enterprise", "*",
           "financial risk monitoring", firms=len(watch))
    chart = {
        "tooltip": {"trigger": "axis"}, "grid": {"left": 50, "right": 20, "top": 20, "bottom": 40},
        "xAxis": {"type": "category", "data": [f"{b * 10}–{b * 10 + 10}" for b in range(10)]},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "data": [bins.get(b, 0) for b in range(10)],
                    "itemStyle": {"color": "#0b5cad"}}]}
    return render(page, "risk.html", chart=chart, levels=levels, total=len(scores), watch=watch[:25],
                  leads=leads, colours=LEVEL_COLOURS)


@router.get("/console/risk/firms/{credit_code}")
def portrait(credit_code: str, page: SignedIn, session: Session) -> Response:
    """One firm's risk portrait: index history, tags with evidence, related firms, leads (audited)."""
    principal = RISK_ANALYST.check(page.require_principal())
    result = risk_portrait(session, credit_code)
    _audit(page, session, principal, "riskmonitor.portrait.read", "enterprise", result["credit_code"],
           "financial risk monitoring")
    chart = {
        "tooltip": {"trigger": "axis"}, "grid": {"left": 50, "right": 20, "top": 20, "bottom": 40},
        "xAxis": {"type": "category",
                  "data": [h["scored_at"].strftime("%Y-%m-%d") for h in result["history"]]},
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [{"type": "line", "data": [round(h["score"], 1) for h in result["history"]],
                    "itemStyle": {"color": "#a3160b"}}]}
    return render(page, "risk_portrait.html", p=result, chart=chart, colours=LEVEL_COLOURS)


@router.get("/console/terminals")
def terminals(page: SignedIn, session: Session) -> Response:
    """The sites map coloured by status, the alarm queue and the terminals."""
    principal = TERMINALS_READER.check(page.require_principal())
    alarms = alarm_queue(session, limit=100)
    rows = terminal_rows(session, limit=200, offset=0)
    _audit(page, session, principal, "terminals.alarms.list", "alarm", "*", "terminal compliance monitoring")
    return render(page, "terminals.html", alarms=alarms, terminals=rows)


@router.get("/console/terminals/map.svg")
def terminals_map(page: SignedIn, session: Session) -> Response:
    """The SVG map of sites coloured by status (the terminals module draws it)."""
    principal = TERMINALS_READER.check(page.require_principal())
    _audit(page, session, principal, "terminals.map.view", "site", "*", "terminal compliance monitoring")
    return secure_headers(Response(site_map(session), media_type="image/svg+xml"), page.console)


@router.get("/console/terminals/{terminal_id}")
def terminal_history(terminal_id: str, page: SignedIn, session: Session) -> Response:
    """One terminal's recent events, alarms and commands."""
    principal = TERMINALS_READER.check(page.require_principal())
    found = terminal_record(session, terminal_id)  # NotFound when there is no such terminal
    _audit(page, session, principal, "terminals.terminals.history", "terminal", found["terminal"]["id"],
           "terminal compliance monitoring")
    return render(page, "terminal.html", terminal=found["terminal"], events=found["events"],
                  alarms=found["alarms"], commands=found["commands"])
