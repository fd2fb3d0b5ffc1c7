"""Operations endpoints, without authentication: readiness and Prometheus metrics (liveness,
``/healthz``, is in app.py)."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from bayfin.api.problems import problem_schema
from bayfin.kernel.errors import ServiceUnavailable, Unauthenticated
from bayfin.kernel.observability import metrics_authorized, readiness_body, render_metrics, run_checks
from bayfin.kernel.settings import Settings


class NotReady(ServiceUnavailable):
    """A service the API needs does not answer: the orchestrator should send traffic elsewhere."""

    code = "not_ready"
    title = "Not ready"


class CheckState(BaseModel):
    """One dependency as the readiness check found it."""

    status: Literal["up", "down"]
    ms: float
    error: str | None = None


class Readiness(BaseModel):
    """Every configured dependency answered (a 503 problem names the ones that did not)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "ready", "down": [],
        "checks": {"database": {"status": "up", "ms": 1.8}, "redis": {"status": "up", "ms": 0.9}}}]})

    status: Literal["ready", "not ready"]
    down: list[str]
    checks: dict[str, CheckState]


def ops_router(settings: Settings) -> APIRouter:
    """``/readyz`` and ``/metrics`` for the orchestrator and the Prometheus scrape."""
    router = APIRouter(tags=["ops"])
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    @router.get("/readyz", responses={503: problem_schema("a dependency is down; the problem names it")})
    async def readyz(request: Request) -> Readiness:
        """Readiness: the database, and Redis, NATS and MQTT where configured, each answer within
        ``BAYFIN_READINESS_TIMEOUT`` seconds; 503 problem+json naming what is down otherwise."""
        checks = request.app.state.readiness_checks
        results = await asyncio.to_thread(run_checks, checks, settings.readiness_timeout)
        body = readiness_body(results)
        if body["down"]:
            raise NotReady(f"not ready: {', '.join(body['down'])} down", down=body["down"],
                           checks=body["checks"])
        return Readiness.model_validate(body)

    @router.get("/metrics", response_class=Response,
                responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
                           401: problem_schema("BAYFIN_METRICS_TOKEN is set and was not sent")})
    def metrics(request: Request) -> Response:
        """Prometheus metrics of every API worker process (bearer ``BAYFIN_METRICS_TOKEN`` when set)."""
        if not metrics_authorized(request.headers.get("authorization"), token):
            raise Unauthenticated("/metrics needs the scrape token")
        payload, content_type = render_metrics()
        return Response(payload, media_type=content_type)

    return router
