"""RFC 9457 problem+json rendering for every error the API can return."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bayfin.kernel.errors import AppError

log = logging.getLogger("bayfin.api")
PROBLEM_JSON = "application/problem+json"
#: The type of an endpoint's ``responses=`` mapping.
Responses = dict[int | str, dict[str, Any]]


#: The OpenAPI description of the header every 429 answer carries.
RETRY_AFTER_HEADER: dict[str, Any] = {
    "description": "Seconds to wait before the call can succeed again",
    "schema": {"type": "integer", "minimum": 1}}


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A problem+json response with the body's status."""
    return Response(orjson.dumps(body, default=str), status_code=int(body["status"]),
                    media_type=PROBLEM_JSON, headers=headers)


def problem_schema(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses=`` entry documenting a problem+json error."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref":
            "#/components/schemas/Problem"}}}}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append({"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg"),
                    "type": err.get("type")})
    return out


def _bearer_challenge(exc: AppError) -> str:
    """RFC 6750 §3 challenge; with the step-up error of RFC 9470 (``error``, ``max_age``) when the
    refusal asks for a more recent sign-in."""
    challenge = 'Bearer realm="bayfin"'
    if exc.extra.get("error") == "insufficient_user_authentication":
        challenge += ', error="insufficient_user_authentication"'
        if isinstance(exc.extra.get("max_age"), int):
            challenge += f', max_age={exc.extra["max_age"]}'
    return challenge


def _raised_in_database_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and str(last.tb_frame.f_globals.get("__name__", "")).startswith(
        "sqlalchemy.engine")


def _refused_by_database(request: Request, error: str) -> Response:
    log.warning("database refused a value", extra={"path": request.url.path, "error": error})
    return problem_response({
        "type": "https://bayfin.dev/problems/validation_failed", "title": "Validation failed",
        "status": 422, "detail": "a value is outside what the database can store",
        "code": "validation_failed", "instance": request.url.path})


def install_problem_handlers(app: FastAPI) -> None:
    """Render AppError, validation errors, HTTP errors and unexpected failures as problem+json."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        headers = {"WWW-Authenticate": _bearer_challenge(exc)} if exc.status_code == 401 else None
        if exc.status_code == 429 and "retry_after" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
        return problem_response(exc.problem(request.url.path), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return problem_response({
            "type": "https://bayfin.dev/problems/validation_failed", "title": "Validation failed",
            "status": 422, "detail": "the request does not match the expected shape",
            "code": "validation_failed", "instance": request.url.path,
            "errors": _validation_errors(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return problem_response({
            "type": "about:blank", "title": str(exc.detail) if exc.detail else "Error",
            "status": exc.status_code, "detail": str(exc.detail), "code": f"http_{exc.status_code}",
            "instance": request.url.path}, getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        # The last safety net behind the schema types (kernel/fields.py): a value the database
        # refuses (a number out of a column's range, NUL in text) is the caller's bad input. It is
        # logged as a warning all the same, since the schema layer should have caught it.
        return _refused_by_database(request, type(exc.orig).__name__)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # SQLite's driver raises a bare OverflowError for an integer past 64 bits, outside
        # SQLAlchemy's DBAPI error wrapping; any other overflow is a bug and stays a 500.
        if _raised_in_database_driver(exc):
            return _refused_by_database(request, "OverflowError")
        return await _unexpected(request, exc)

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> Response:
        # The database could not take the request now: a writer holds SQLite's lock past the busy
        # timeout (or a stale snapshot cannot be upgraded), PostgreSQL picked this transaction as a
        # deadlock or serialization victim, or the server is unreachable. Nothing was committed, so
        # the client may retry (an idempotent write then replays or applies once): 503, not 500.
        log.warning("database unavailable for a request", extra={
            "path": request.url.path, "error": type(exc.orig).__name__})
        return problem_response({
            "type": "https://bayfin.dev/problems/database_unavailable", "title": "Database unavailable",
            "status": 503, "detail": "the database could not take this request now; nothing was changed, "
            "retry shortly", "code": "database_unavailable", "instance": request.url.path},
            {"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response({
            "type": "https://bayfin.dev/problems/internal", "title": "Internal error",
            "status": 500, "detail": "an unexpected error occurred; it has been logged",
            "code": "internal", "instance": request.url.path})


#: ``(path prefix, renderer, media type)``: a module whose API speaks its own error format (SCIM's
#: error message under ``/scim/v2``) renders the platform's problem documents in it.
ErrorFormat = tuple[str, Callable[[dict[str, Any]], bytes], str]


class ErrorFormatMiddleware:
    """Rewrites problem+json answers under a path prefix into that API's own error format, whoever
    produced them (a route, authentication, routing's 404/405, validation, another middleware)."""

    def __init__(self, app: ASGIApp, formats: list[ErrorFormat]) -> None:
        self.app = app
        self.formats = formats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fmt = next((f for f in self.formats if scope["type"] == "http"
                    and str(scope["path"]).startswith(f[0])), None)
        if fmt is None:
            await self.app(scope, receive, send)
            return
        _, render, media_type = fmt
        start: Message | None = None
        chunks: list[bytes] = []

        async def _send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers") or []).get(b"content-type", b"")
                if ctype.startswith(PROBLEM_JSON.encode()):
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                try:
                    problem = orjson.loads(b"".join(chunks))
                except orjson.JSONDecodeError:
                    problem = {"status": start["status"], "detail": "error"}
                body = render(problem if isinstance(problem, dict) else {"status": start["status"]})
                headers = [(k, v) for k, v in start.get("headers") or []
                           if k.lower() not in (b"content-type", b"content-length")]
                headers += [(b"content-type", media_type.encode()),
                            (b"content-length", str(len(body)).encode())]
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, _send)
