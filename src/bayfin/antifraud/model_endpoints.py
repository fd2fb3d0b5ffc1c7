"""HTTP API for the models in the running engine: the live and shadow versions, the shadow report,
and promotion of the shadow model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bayfin.antifraud.learning.shadow import ModelWatcher, shadow_report
from bayfin.antifraud.schemas import ModelStateOut, PromotedOut, ShadowReportOut
from bayfin.antifraud.wiring import fraud_service
from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Tenant, UoW, require
from bayfin.api.problems import problem_schema
from bayfin.kernel.errors import Conflict, NotFound
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal

router = APIRouter(prefix="/models", tags=["anti-fraud models"])  # mounted under /v1/fraud

Analyst = Annotated[Principal, Depends(require(scopes=("fraud:read",), roles=("fraud_analyst",)))]
# the engine and its models serve every bank: only the platform operator's supervisors change them
Supervisor = Annotated[Principal, Depends(require(scopes=("fraud:models",), roles=("fraud_supervisor",),
                                                  org_types=("operator",)))]
ERRORS: dict[int | str, dict[str, Any]] = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
NO_REGISTRY: dict[int | str, dict[str, Any]] = {**ERRORS, 404: problem_schema("No model registry configured")}


def _watcher(platform: Platform) -> ModelWatcher:
    watcher = fraud_service(platform).models
    if watcher is None:
        raise NotFound("this engine runs without a model registry (BAYFIN_FRAUD_MODELS_DIR)")
    return watcher


@router.get("", responses=NO_REGISTRY)
def model_state(principal: Analyst, platform: PlatformDep) -> ModelStateOut:
    """The live and shadow model versions loaded in this engine, and every registered version."""
    watcher = _watcher(platform)
    return ModelStateOut.model_validate({"loaded": watcher.loaded, "versions": watcher.registry.versions()})


@router.get("/shadow-report", responses={**NO_REGISTRY, 422: problem_schema("The query is malformed")})
def get_shadow_report(principal: Analyst, scope: Tenant, platform: PlatformDep, uow: UoW,
                      hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24 * 7) -> ShadowReportOut:
    """Live against shadow over recent decisions: agreement, decision changes, AUC/AP on case outcomes."""
    watcher = _watcher(platform)
    since = datetime.now(UTC) - timedelta(hours=hours)
    report = shadow_report(uow.session, since=since, scope=scope,
                           disagreement=fraud_service(platform).alert_policy.shadow_disagreement)
    return ShadowReportOut.model_validate({"loaded": watcher.loaded, "hours": hours, **report})


@router.post("/promote-shadow", responses={**NO_REGISTRY, 409: problem_schema("No shadow model is set")})
def promote_shadow(principal: Supervisor, platform: PlatformDep, uow: UoW) -> PromotedOut:
    """Make the shadow model live in the registry and in this engine (other workers follow on reload)."""
    watcher = _watcher(platform)
    try:
        version = watcher.promote_shadow()
    except LookupError as exc:
        raise Conflict(str(exc)) from exc
    platform.audit.record(uow.session, actor=principal.subject, actor_org=principal.organization_id,
                          action="antifraud.model.promote", subject_type="fraud_model",
                          subject_id=str(version), details={"version": version})
    return PromotedOut(promoted=version, loaded=watcher.loaded)
