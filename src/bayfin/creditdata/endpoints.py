"""HTTP API of the credit data hub: the enterprise record (audited) and the hub's batches and quarantine."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Session, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.creditdata import service
from bayfin.creditdata.domain import QuarantineView
from bayfin.creditdata.schemas import EnterpriseRecord, HubStatus
from bayfin.kernel.pagination import Page
from bayfin.kernel.security import Principal

router = APIRouter(tags=["credit data hub"])
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
# the role name alone is not enough: only the platform operator's organization holds it for real
Operator = Annotated[Principal, Depends(require(roles=("operator",), org_types=("operator",)))]


@router.get(
    "/v1/enterprises/{credit_code}",
    response_model=EnterpriseRecord,
    responses={
        **_AUTH_ERRORS,
        404: problem_schema("Invalid credit code, or no data on the enterprise"),
        422: problem_schema("Malformed as_of date"),
    },
)
def get_enterprise(
    credit_code: str,
    principal: Operator,
    session: Session,
    platform: PlatformDep,
    as_of: date | None = Query(None, description="Return the record as known on this date"),
    history: bool = Query(False, description="Include superseded values"),
) -> EnterpriseRecord:
    """An enterprise's standard record across departments, each value with source, batch and as-of date."""
    record = service.enterprise_record(session, credit_code, as_of, history=history)
    platform.audit.record(
        session,
        actor=principal.subject,
        actor_org=principal.organization_id,
        action="creditdata.enterprise.read",
        subject_type="enterprise",
        subject_id=record["credit_code"],
        purpose="platform operation",
        details={"as_of": as_of.isoformat() if as_of else None, "history": history},
    )
    return EnterpriseRecord.model_validate(record)


@router.get("/v1/hub/status", response_model=HubStatus, responses=_AUTH_ERRORS)
def get_hub_status(
    _principal: Operator,
    session: Session,
    limit: int = Query(100, ge=1, le=5000, description="Most recent batches"),
) -> HubStatus:
    """Every delivery batch's counts (rows in = stored + updated + unchanged + quarantined) and totals."""
    return HubStatus.model_validate(service.hub_status(session, limit=limit))


@router.get("/v1/hub/quarantine", response_model=Page[QuarantineView], responses=_AUTH_ERRORS)
def get_quarantine(
    _principal: Operator,
    session: Session,
    pager: Paging,
    source: str | None = None,
    batch_id: str | None = None,
    reason: str | None = None,
) -> Page[QuarantineView]:
    """Quarantined rows with source, batch, row number, reason and raw content."""
    rows = service.quarantine_rows(
        session, source=source, batch_id=batch_id, reason=reason, page=pager.page_request
    )
    return pager.page(rows, lambda r: (r["id"],), lambda r: r)
