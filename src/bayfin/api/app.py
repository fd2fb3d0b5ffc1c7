"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bayfin import __version__, registry
from bayfin.api.deps import can_rate_limit
from bayfin.api.docs import install_docs
from bayfin.api.guards import RequestGuardMiddleware
from bayfin.api.openapi import document_problems
from bayfin.api.ops import ops_router
from bayfin.api.problems import (
    RETRY_AFTER_HEADER,
    ErrorFormatMiddleware,
    install_problem_handlers,
    problem_schema,
)
from bayfin.bootstrap import SettingsTree, build_platform
from bayfin.kernel.logging import configure_logging
from bayfin.kernel.observability import HTTP_REQUEST_SECONDS, configure_tracing, configured_checks
from bayfin.kernel.platform import Platform
from bayfin.kernel.settings import Settings, get_settings

access_log = logging.getLogger("bayfin.access")


class RequestContextMiddleware:
    """Gives each request an id (echoed as X-Request-ID) and writes one access-log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        outer_root = scope.get("root_path", "")
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            elapsed = time.perf_counter() - started
            HTTP_REQUEST_SECONDS.labels(scope["method"], _route_template(scope, outer_root),
                                        str(status)).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("request", extra={
                    "request_id": request_id, "method": scope["method"], "path": scope["path"],
                    "status": status, "ms": round(elapsed * 1000, 2)})


def _route_template(scope: Scope, outer_root: str) -> str:
    """The matched route's template (``/v1/consents/{consent_id}``), never the raw path: raw paths
    would make one time series per id. Unmatched requests (scanners, typos) share one label."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return "unmatched"
    # a route inside a mounted app knows only its own part of the path; the mount added it to root_path
    return str(scope.get("root_path", ""))[len(outer_root):] + template


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Problem", "description": "RFC 9457 problem details",
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "code": {"type": "string"}, "instance": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object"}}},
    "required": ["type", "title", "status"],
}


class Health(BaseModel):
    """The process is alive, and which version it runs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok", "version": "0.9.0"}]})

    status: str
    version: str


#: Sub-packages whose operation ids keep the singular room name they had as ``<room>_endpoints.py``.
_ROOM_NAMES = {"cases": "case"}


def operation_id(route: APIRoute) -> str:
    """``module_action`` (e.g. ``consent_list_consents``): the module owning the endpoint, then its
    function name, in place of FastAPI's ``name_path_method`` default."""
    parts = route.endpoint.__module__.split(".")
    module = parts[1] if len(parts) > 1 and parts[0] == "bayfin" else "ops"
    # A module's second router file (``model_endpoints``, or ``endpoints`` in a sub-package such as
    # ``identity/scim``) names its own operations apart; the names stay those from before the rooms.
    if parts[-1].endswith("_endpoints"):
        room: str | None = parts[-1].removesuffix("_endpoints")
    elif parts[-1] == "endpoints" and len(parts) > 3:
        room = _ROOM_NAMES.get(parts[-2], parts[-2])
    else:
        room = None
    return f"{module}_{room}_{route.name}" if room else f"{module}_{route.name}"


def api_operations(app: FastAPI) -> Iterator[tuple[str, str, Dependant]]:
    """(path, method, dependency tree) of every documented operation, routers included."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            for method in context.methods or ():
                yield str(context.path_format), method.lower(), context.dependant


def _document_rate_limits(app: FastAPI, schema: dict[str, Any]) -> None:
    """Every operation that can answer 429 (a rate-limit dependency, or a documented 429) says so,
    with the Retry-After header it carries."""
    for path, method, dependant in api_operations(app):
        operation = schema["paths"].get(path, {}).get(method)
        if operation is not None and can_rate_limit(dependant):
            operation["responses"].setdefault(
                "429", problem_schema("The organization's rate limit or daily quota is spent"))
    for operations in schema["paths"].values():
        for operation in operations.values():
            limited = operation.get("responses", {}).get("429")
            if limited is not None:
                limited.setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER


def create_app(settings: Settings | SettingsTree | None = None, platform: Platform | None = None) -> FastAPI:
    """Build the API: platform created at start-up (or injected by tests), every module's router.
    ``settings`` may be the whole settings tree (``bayfin.bootstrap.create_app`` passes one with
    section overrides); the platform is then built from it."""
    tree = settings if isinstance(settings, SettingsTree) else None
    if isinstance(settings, SettingsTree):
        settings = settings.kernel
    settings = settings or (platform.settings if platform else get_settings())
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = app.state.platform is None
        if owned:
            app.state.platform = build_platform(tree or settings)
        if tracing is not None:
            tracing.instrument_engine(app.state.platform.engine)
        app.state.readiness_checks = configured_checks(settings, app.state.platform.engine)
        # Everything loaded at start-up (modules, models, rule sets, the platform) lives for the
        # process: move it out of the collector's reach, so a full collection during a request
        # walks only what requests made (it cost 400-700 ms pauses on the console's pages).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if owned:
                app.state.platform.dispose()
                app.state.platform = None
            if tracing is not None:
                tracing.shutdown()

    app = FastAPI(title="bayfin", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # api/docs.py serves them without a CDN
                  description="Guangdong fintech pilot platform: SME credit data, consent, scoring, "
                              "anti-fraud, identity. Every call needs a bearer token.",
                  generate_unique_id_function=operation_id)
    app.state.platform = platform
    app.add_middleware(RequestGuardMiddleware)  # inside the request context: refusals are logged too
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    install_docs(app)

    @app.get("/healthz", tags=["ops"], include_in_schema=True)
    def healthz() -> Health:
        """Liveness: the process answers (no authentication, no data)."""
        return Health(status="ok", version=__version__)

    for router in registry.routers():
        app.include_router(router)

    # /readyz and /metrics (operations); traces when BAYFIN_OTLP_ENDPOINT is set
    app.include_router(ops_router(settings))
    # Added last, so it is the outermost middleware: errors from every layer below (middleware
    # included) reach it.
    app.add_middleware(ErrorFormatMiddleware, formats=registry.error_formats())
    tracing = configure_tracing(settings, "bayfin-api", app=app)

    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original_openapi()
        document_problems(schema, _PROBLEM_SCHEMA)
        schema["components"].setdefault("securitySchemes", {})["bearer"] = {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        schema["security"] = [{"bearer": []}]
        _document_rate_limits(app, schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
