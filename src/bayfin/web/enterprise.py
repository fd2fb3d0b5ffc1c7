"""Enterprise pages: the firm's own credit record, its consents to decide, and who viewed its data."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bayfin.api.deps import Session
from bayfin.consent import ConsentAction, ConsentService, ConsentStatus, DataCategory
from bayfin.creditdata import EnterpriseRecord, enterprise_record
from bayfin.kernel.audit import entries_for_subject
from bayfin.kernel.errors import NotFound, ValidationFailed
from bayfin.web.access import ENTERPRISE
from bayfin.web.core import Page, PageRoute, SignedIn, form_lists, form_of, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ACTIONS = ("reject", "pause", "resume", "revoke")
PROVENANCE = ("record_key", "source", "batch_id", "row_number", "as_of", "replaced_on")


def consents_of(page: Page, session: Any) -> ConsentService:
    """The consent service on this request's transaction (the one the API uses)."""
    platform = page.platform
    return ConsentService(session, platform.audit, platform.clock, platform.tokens.keys)


def _code(page: Page) -> str:
    principal = ENTERPRISE.check(page.require_principal())
    if not principal.organization_id:
        raise NotFound("your sign-in names no enterprise")
    return principal.organization_id


@router.get("/console/firm")
def own_record(page: SignedIn, session: Session) -> Response:
    """The enterprise's standard record at the hub, each value with its source and date (audited)."""
    code = _code(page)
    principal = page.require_principal()
    try:
        record: EnterpriseRecord | None = enterprise_record(session, code)
    except NotFound:
        record = None
    page.platform.audit.record(session, actor=principal.subject, actor_org=code,
                               action="creditdata.enterprise.read", subject_type="enterprise",
                               subject_id=code, purpose="own record",
                               outcome="ok" if record else "not_found", details={"via": "console"})
    domains = []
    if record:
        for name, rows in record["domains"].items():
            if not rows:
                continue
            fields = list(rows[0]["values"].keys())
            latest = sorted(rows, key=lambda r: r["as_of"], reverse=True)
            domains.append({"name": name, "fields": fields, "rows": latest[:12], "count": len(rows),
                            "sources": sorted({r["source"] for r in rows}),
                            "latest": latest[0]["as_of"]})
    return render(page, "firm_record.html", code=code, record=record, domains=domains)


def _consent_lists(page: Page, session: Any) -> dict[str, list[Any]]:
    rows = consents_of(page, session).list_for(page.require_principal(), limit=200)
    return {"pending": [c for c in rows if c.status == ConsentStatus.requested],
            "live": [c for c in rows if c.status in (ConsentStatus.active, ConsentStatus.paused)],
            "past": [c for c in rows if c.status in (ConsentStatus.rejected, ConsentStatus.revoked,
                                                     ConsentStatus.expired)]}


def _consents_page(page: Page, session: Any, status: int = 200, **extra: Any) -> Response:
    _code(page)
    done = page.request.query_params.get("done")
    return render(page, "firm_consents.html", status=status, **_consent_lists(page, session),
                  categories=[c.value for c in DataCategory],
                  done=page.t.get(f"consent.done.{done}") if done else None, **extra)


@router.get("/console/firm/consents")
def consents(page: SignedIn, session: Session) -> Response:
    """Requests to approve, narrow or reject; live consents to pause, resume or revoke."""
    return _consents_page(page, session)


def _parse_date(value: str | None, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "YYYY-MM-DD"
        return None


@router.post("/console/firm/consents/{consent_id}/approve")
async def approve(consent_id: str, request: Request, page: SignedIn, session: Session) -> Response:
    """Approve a request, keeping only the ticked categories and the (narrowed) data range."""
    form = await form_of(request, page)
    lists = await form_lists(request)
    _code(page)
    errors: dict[str, str] = {}
    wanted = lists.get("categories", [])
    try:
        categories = frozenset(DataCategory(c) for c in wanted)
    except ValueError:
        categories = frozenset()
        errors[f"categories-{consent_id}"] = "?"
    if not wanted:
        errors[f"categories-{consent_id}"] = page.t["consent.categories"] + ": " + page.t["required"]
    data_from = _parse_date(form.get("data_from"), f"data_from-{consent_id}", errors)
    data_to = _parse_date(form.get("data_to"), f"data_to-{consent_id}", errors)
    if not errors:
        try:
            consents_of(page, session).approve(page.require_principal(), consent_id,
                                               categories=categories, data_from=data_from,
                                               data_to=data_to)
            return RedirectResponse("/console/firm/consents?done=approve", status_code=303)
        except ValidationFailed as exc:
            errors[f"data_from-{consent_id}"] = exc.message
    typed = {"id": consent_id, "categories": wanted, "data_from": form.get("data_from", ""),
             "data_to": form.get("data_to", "")}
    session.rollback()
    return _consents_page(page, session, status=422, errors=errors, typed=typed)


@router.post("/console/firm/consents/{consent_id}/{action}")
async def change(consent_id: str, action: str, request: Request, page: SignedIn,
                 session: Session) -> Response:
    """Reject a request, or pause, resume or revoke a consent; effective on the very next query."""
    await form_of(request, page)
    _code(page)
    if action not in ACTIONS:
        raise NotFound(f"no consent action {action}")
    consents_of(page, session).change(page.require_principal(), consent_id,
                                      ConsentAction(action), "user_request")
    return RedirectResponse(f"/console/firm/consents?done={action}", status_code=303)


@router.get("/console/firm/access-log")
def access_log(page: SignedIn, session: Session) -> Response:
    """Who looked at, or tried to look at, the enterprise's data, newest first."""
    code = _code(page)
    rows = entries_for_subject(session, "enterprise", code, limit=200)
    return render(page, "firm_access.html", entries=rows)
