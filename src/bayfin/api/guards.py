"""Request guards that run before any endpoint code: body size per route class, content types, and a
NUL guard over the path, the query string and text bodies.

``RequestGuardMiddleware`` refuses a NUL character in the path or the query string before routing
(PostgreSQL cannot store one; SQLite silently does). The body is guarded on the app's first read of
it, when routing has chosen the route (``scope["route"]``), so the limit and media types are the
route's class:

==========  ===============================  ===========================================
class       routes                           accepted bodies
==========  ===============================  ===========================================
json        a declared JSON body             application/json or ``*+json``, 1 MiB
scim        ``/scim/v2``                     application/scim+json or application/json, 1 MiB
upload      a declared ``File`` parameter    multipart/form-data, 32 MiB, streamed
form        a declared ``Form`` body         form-urlencoded or multipart, 256 KiB
plain       no declared body (console forms, any, 256 KiB
            OAuth endpoints reading forms)
==========  ===============================  ===========================================

The body is read incrementally and never past the limit: a 413 problem+json answers as soon as the
limit is passed, whatever Content-Length claimed (or when it is absent: chunked). A JSON or
form-urlencoded body holding a NUL (raw, ``\\u0000`` or ``%00``) is refused with 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import params
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bayfin.api.problems import problem_response

KIB = 1024
MIB = 1024 * KIB
JSON_MEDIA = ("application/json",)
SCIM_MEDIA = ("application/scim+json", "application/json")
FORM_MEDIA = ("application/x-www-form-urlencoded", "multipart/form-data")
UPLOAD_MEDIA = ("multipart/form-data",)
#: A JSON escape of NUL, raw NUL, and a percent-encoded NUL in a form body.
_NUL_IN_JSON = re.compile(rb"\\u0000|\x00")
_NUL_IN_FORM = re.compile(rb"%00|\x00")


@dataclass(frozen=True)
class RouteClass:
    """How much body a class of route takes, in which media types, and whether it is buffered."""

    name: str
    limit: int
    media_types: tuple[str, ...] | None  # None: any media type (the endpoint parses it itself)
    buffered: bool = True
    allow_plus_json: bool = False

    def accepts(self, media_type: str) -> bool:
        """Whether a body of ``media_type`` (lower case, no parameters) may reach the route."""
        if self.media_types is None:
            return True
        return media_type in self.media_types or (self.allow_plus_json and media_type.endswith("+json"))


JSON = RouteClass("json", 1 * MIB, JSON_MEDIA, allow_plus_json=True)
SCIM = RouteClass("scim", 1 * MIB, SCIM_MEDIA)
UPLOAD = RouteClass("upload", 32 * MIB, UPLOAD_MEDIA, buffered=False)
FORM = RouteClass("form", 256 * KIB, FORM_MEDIA)
PLAIN = RouteClass("plain", 256 * KIB, None)


def _problem(status: int, code: str, title: str, detail: str, path: str) -> Any:
    return problem_response({"type": f"https://bayfin.dev/problems/{code}", "title": title,
                             "status": status, "detail": detail, "code": code, "instance": path})


def too_large(path: str, limit: int) -> Any:
    """The 413 problem for a body past ``limit`` bytes."""
    return _problem(413, "payload_too_large", "Payload too large",
                    f"the request body exceeds {limit} bytes for this route", path)


def nul_refused(path: str, where: str) -> Any:
    """The 422 problem for a NUL character in the request."""
    return _problem(422, "validation_failed", "Validation failed",
                    f"the {where} contains a NUL character, which no field may hold", path)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def media_type_of(scope: Scope) -> str:
    """The request's media type, lower case without parameters ('' when absent)."""
    value = _header(scope, b"content-type") or ""
    return value.split(";", 1)[0].strip().lower()


class _Refused(Exception):
    """Raised from ``receive`` when the body may not reach the route; the guard answers instead."""


class _Request:
    """One request's body guard: decides on the first ``receive`` (routing has then chosen the
    route, named in ``scope["route"]``), and reads the body only up to its class's limit."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.upstream = receive
        self.problem: Any = None
        self.route_class: RouteClass | None = None
        self.size = 0

    def refuse(self, problem: Any) -> _Refused:
        self.problem = problem
        return _Refused()

    async def receive(self) -> Message:
        if self.problem is not None:
            raise _Refused()
        if self.route_class is None:
            return await self._first()
        message = await self.upstream()
        if message["type"] == "http.request" and not self.route_class.buffered:
            self.size += len(message.get("body", b""))
            if self.size > self.route_class.limit:
                raise self.refuse(too_large(self.scope.get("path", ""), self.route_class.limit))
        return message

    async def _first(self) -> Message:
        route = self.scope.get("route")
        rc = self.route_class = route_class_of(route) if isinstance(route, APIRoute) else PLAIN
        path = self.scope.get("path", "")
        declared = _header(self.scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > rc.limit:
            raise self.refuse(too_large(path, rc.limit))
        if not rc.buffered:
            problem = self._media_problem(_has_body(self.scope))
            if problem is not None:
                raise self.refuse(problem)
            return await self.receive()
        chunks: list[bytes] = []
        while True:
            message = await self.upstream()
            if message["type"] != "http.request":
                return message  # the client left mid-body: never hand on a truncated body as whole
            chunk = message.get("body", b"")
            self.size += len(chunk)
            if self.size > rc.limit:
                raise self.refuse(too_large(path, rc.limit))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = self._media_problem(bool(body))
        if problem is None and body:
            problem = _text_problem(media_type_of(self.scope), body, path)
        if problem is not None:
            raise self.refuse(problem)
        return {"type": "http.request", "body": body, "more_body": False}

    def answered_unread(self) -> None:
        """The app answers without reading the body: Starlette's form parser skips a body whose
        media type is not a form's, so a form route must still refuse it (415)."""
        route = self.scope.get("route")
        self.route_class = route_class_of(route) if isinstance(route, APIRoute) else PLAIN
        self.problem = self._media_problem(_has_body(self.scope))

    def _media_problem(self, has_body: bool) -> Any | None:
        rc = self.route_class
        media_type = media_type_of(self.scope)
        if rc is None or not has_body or rc.accepts(media_type):
            return None
        allowed = ", ".join(rc.media_types or ())
        return _problem(415, "unsupported_media_type", "Unsupported media type",
                        f"this route takes {allowed}, not {media_type or 'a body without a type'}",
                        self.scope.get("path", ""))


def _text_problem(media_type: str, body: bytes, path: str) -> Any | None:
    """A 422 for a JSON body that is not UTF-8 (RFC 8259 §8.1), or a JSON or form body with NUL."""
    if media_type == "application/x-www-form-urlencoded":
        return nul_refused(path, "body") if _NUL_IN_FORM.search(body) else None
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return _problem(422, "validation_failed", "Validation failed",
                            "a JSON body is UTF-8 text", path)
        return nul_refused(path, "body") if _NUL_IN_JSON.search(body) else None
    return None


class RequestGuardMiddleware:
    """Refuses a NUL character in the path or query string (422) before routing, and guards every
    route's body by its class: size (413), media type (415), NUL in a text body (422)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or b""
        where = None
        if "\x00" in scope.get("path", "") or b"%00" in raw_path or b"\x00" in raw_path:
            where = "path"
        elif _NUL_IN_FORM.search(scope.get("query_string") or b""):
            where = "query string"
        if where is not None:
            await nul_refused(scope.get("path", "").replace("\x00", ""), where)(scope, receive, send)
            return
        guard = _Request(scope, receive)
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and guard.route_class is None:
                guard.answered_unread()
            if guard.problem is not None:
                return  # whatever the app made of the refused body, the answer is the guard's
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guard.receive, guarded_send)
        except Exception:
            if guard.problem is None or started:
                raise
        if guard.problem is not None and not started:
            await guard.problem(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    declared = _header(scope, b"content-length")
    if declared is not None:
        return declared.strip() not in ("", "0")
    return _header(scope, b"transfer-encoding") is not None


def route_class_of(route: APIRoute) -> RouteClass:
    """The body class of a route, from its path and its declared body parameters."""
    if route.path.startswith("/scim/v2"):
        return SCIM
    if route.body_field is None:
        return PLAIN
    body_params = route.dependant.body_params
    if any(isinstance(p.field_info, params.File) for p in body_params):
        return UPLOAD
    if isinstance(route.body_field.field_info, params.Form):
        return FORM
    return JSON
