"""A module's own error format under its path prefix: problem+json answers from any layer below
the middleware (a route, a body-size limit, routing) are rewritten; other paths are untouched."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import Response

from bayfin.api.problems import ErrorFormatMiddleware, install_problem_handlers
from bayfin.identity.scim.schema import SCIM_JSON, scim_error
from bayfin.kernel.errors import Conflict


class _TooLarge:
    """Stands for a body-size middleware that answers 413 itself, before any route runs."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].endswith("/huge"):
            body = b'{"type":"about:blank","title":"Too large","status":413,"detail":"over 1 MiB"}'
            await Response(body, 413, media_type="application/problem+json")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/scim/v2/Users")
    def taken(request: Request) -> None:
        raise Conflict("userName is taken", scimType="uniqueness")

    @app.post("/v1/things")
    def other(request: Request) -> None:
        raise Conflict("duplicate")

    app.add_middleware(_TooLarge)
    app.add_middleware(ErrorFormatMiddleware, formats=[("/scim/v2", scim_error, SCIM_JSON)])
    return app


def test_problems_under_the_prefix_become_scim_errors_whoever_raised_them():
    client = TestClient(_app())
    for path, status, scim_type in (("/scim/v2/Users", 409, "uniqueness"), ("/scim/v2/huge", 413, None),
                                    ("/scim/v2/nowhere", 404, None)):
        r = client.post(path, content=b"{}")
        assert r.status_code == status
        assert r.headers["content-type"] == SCIM_JSON
        assert int(r.headers["content-length"]) == len(r.content)
        body = r.json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert body["status"] == str(status) and body.get("scimType") == scim_type


def test_other_paths_keep_problem_json():
    r = TestClient(_app()).post("/v1/things")
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"


def test_the_api_adds_the_error_format_middleware_outermost():
    """Every middleware the API adds (request context, and any added later) sits inside it, so
    their own problem answers under /scim/v2 are rewritten too."""
    from bayfin.api.app import create_app
    from bayfin.kernel.settings import Settings

    stack = create_app(Settings(environment="test")).user_middleware
    assert stack[0].cls is ErrorFormatMiddleware
    assert [m.cls for m in stack].count(ErrorFormatMiddleware) == 1 and len(stack) > 1
