"""What every console page shares: the page route (HTML errors, sign-in redirects), the signed-in
caller, rendering with security headers, and CSRF-checked forms."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import RedirectResponse, Response

from bayfin.kernel.errors import AppError, Forbidden, Unauthenticated
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.web import i18n
from bayfin.web.access import navigation
from bayfin.web.session import (
    LANG_COOKIE,
    ConsoleSession,
    clear_session,
    csrf_matches,
    csrf_token,
    read_session,
    write_session,
)
from bayfin.web.wiring import WEB, WebConsole

log = logging.getLogger(__name__)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self' {issuer}; base-uri 'none'")


class SignInRequired(Exception):
    """The page needs a signed-in user; the route answers with a redirect to the sign-in."""


class CsrfRefused(Forbidden):
    """A form came without this session's anti-forgery token."""

    code = "csrf"


def console_of(request: Request) -> WebConsole:
    """The console settings of the running platform."""
    platform: Platform = request.app.state.platform
    return platform.service(WEB)


def platform_of(request: Request) -> Platform:
    """The running platform."""
    platform: Platform = request.app.state.platform
    return platform


def language_of(request: Request) -> str:
    """``zh`` or ``en`` for this browser."""
    return i18n.pick(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


@dataclass
class Page:
    """The caller of a page (signed in or not) and what its templates need."""

    request: Request
    console: WebConsole
    platform: Platform
    lang: str
    session: ConsoleSession | None = None
    principal: Principal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def t(self) -> dict[str, str]:
        """The texts of the page's language."""
        return i18n.texts(self.lang)

    def require_principal(self) -> Principal:
        """The signed-in principal (pages that need one have it)."""
        if self.principal is None:
            raise SignInRequired()
        return self.principal


def _refresh(console: WebConsole, session: ConsoleSession) -> ConsoleSession | None:
    """New tokens from the refresh token (rotated by the identity platform), or None."""
    if not session.refresh_token:
        return None
    client = OAuth2Client(client_id=console.client_id, token_endpoint_auth_method="none",  # noqa: S106
                          transport=console.transport, timeout=10)
    try:
        token = client.refresh_token(console.endpoint("token"), refresh_token=session.refresh_token)
    except (OAuthError, OSError, ValueError) as exc:
        log.info("console token refresh failed", extra={"error": type(exc).__name__})
        return None
    finally:
        client.close()
    return replace(session, access_token=token["access_token"],
                   refresh_token=token.get("refresh_token") or session.refresh_token,
                   expires_at=int(time.time()) + int(token.get("expires_in", 900)))


def _page(request: Request) -> Page:
    platform = platform_of(request)
    return Page(request=request, console=console_of(request), platform=platform,
                lang=language_of(request))


def anonymous_page(request: Request) -> Page:
    """A page anyone may open; the caller is filled in when signed in."""
    page = _page(request)
    session = read_session(page.console, request)
    page.session = session
    if session is not None and session.expires_at > time.time():
        with contextlib.suppress(Unauthenticated):  # revoked or expired: shown as signed out
            page.principal = page.platform.token_verifier.verify(session.access_token)
    return page


def signed_in_page(request: Request) -> Page:
    """A page for a signed-in user: the principal comes from the verified access token (refreshed
    when it is about to expire); without a valid sign-in the route redirects to the SSO sign-in."""
    page = _page(request)
    session = read_session(page.console, request)
    if session is None:
        raise SignInRequired()
    if session.expires_at < time.time() + 30:
        refreshed = _refresh(page.console, session)
        if refreshed is None:
            raise SignInRequired()
        session = refreshed
        request.state.console_session = session
    try:
        page.principal = page.platform.token_verifier.verify(session.access_token)
    except Unauthenticated as exc:  # revoked (signed out elsewhere) or expired
        raise SignInRequired() from exc
    page.session = session
    return page


AnyPage = Annotated[Page, Depends(anonymous_page)]
SignedIn = Annotated[Page, Depends(signed_in_page)]


async def form_of(request: Request, page: Page) -> dict[str, str]:
    """The posted form (text fields only, first value each) after the CSRF check."""
    form = await request.form()
    data = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    sent = data.get("csrf_token") or request.headers.get("x-csrf-token")
    if not csrf_matches(page.console, page.session, sent):
        raise CsrfRefused("the form has no valid anti-forgery token")
    return data


async def form_lists(request: Request) -> dict[str, list[str]]:
    """Every value of every posted field (for checkbox groups)."""
    form = await request.form()
    out: dict[str, list[str]] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            out.setdefault(k, []).append(v)
    return out


def secure_headers(response: Response, console: WebConsole) -> Response:
    """Headers every console answer carries."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = CSP.format(issuer=console.issuer)
    return response


def render(page: Page, template: str, status: int = 200, **context: Any) -> Response:
    """Render a page template with the layout's context."""
    request = page.request
    response = templates.TemplateResponse(request, template, {
        "page": page, "t": page.t, "lang": page.lang, "principal": page.principal,
        "user_name": page.session.name if page.session else None,
        "csrf_token": csrf_token(page.console, page.session), "nav": navigation(page.principal),
        "path": request.url.path, "now": page.platform.clock.now(),
        "field": lambda name: i18n.field_label(name, page.lang), **context}, status_code=status)
    return secure_headers(response, page.console)


def error_page(request: Request, status: int, message_key: str, detail: str | None = None) -> Response:
    """The HTML error page (the layout, a heading, what happened and a way back)."""
    page = anonymous_page(request)
    return render(page, "error.html", status=status, status_code=status,
                  message=page.t.get(message_key, message_key), detail=detail)


def safe_next(target: str | None) -> str:
    """A console path to go to after sign-in; anything else becomes the start page."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def new_sid() -> str:
    """A fresh random session id."""
    return secrets.token_urlsafe(18)


class PageRoute(APIRoute):
    """A route whose failures are HTML pages: sign-in redirects, 403/404/409/422 with the layout."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler with the console's error pages and session-cookie refresh."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)
                clear_session(response)
                return response
            except CsrfRefused:
                return error_page(request, 403, "error_csrf")
            except AppError as exc:
                key = {401: "error_401", 403: "error_403", 404: "error_404"}.get(exc.status_code,
                                                                                  "error_title")
                return error_page(request, exc.status_code, key, exc.message)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ()))
                return error_page(request, 422, "error_title", f"{where}: {first.get('msg', '')}")
            except Exception:  # the cause goes to the log; the user gets the layout, not a trace
                log.exception("console page failed", extra={"path": request.url.path})
                return error_page(request, 500, "error_500")
            refreshed = getattr(request.state, "console_session", None)
            if isinstance(refreshed, ConsoleSession):
                write_session(console_of(request), response, refreshed)
            return response

        return handler


def _install_filters() -> None:
    from bayfin.web import formatting

    formatting.install(templates.env)


_install_filters()
