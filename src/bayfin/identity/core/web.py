"""Shared helpers of the browser-facing endpoints: templates, CSRF, cookies."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from bayfin.identity.core.i18n import pick_language, texts
from bayfin.identity.core.services import IDENTITY, Identity

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
SSO_COOKIE = "bayfin_sso"
CSRF_COOKIE = "bayfin_csrf"
COOKIE_PATH = "/oauth2"


def identity_of(request: Request) -> Identity:
    """The identity services of the running platform."""
    ident: Identity = request.app.state.platform.service(IDENTITY)
    return ident


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """The form body as (name, value) pairs; file parts are ignored."""
    if request.method != "POST":
        return []
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def client_address(request: Request) -> str:
    """The caller's address (the proxy's X-Forwarded-For handling belongs to the ASGI server)."""
    return request.client.host if request.client else "unknown"


def language(request: Request, params: dict[str, str] | None = None) -> str:
    """``zh`` or ``en`` for this browser."""
    return pick_language((params or {}).get("ui_locales"), request.headers.get("accept-language"))


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """The browser's CSRF nonce and whether it must be set as a new cookie."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return nonce, False
    return secrets.token_urlsafe(24), True


def csrf_ok(request: Request, ident: Identity, form: dict[str, str]) -> bool:
    """True when the posted token matches the HMAC of the browser's nonce cookie."""
    nonce = request.cookies.get(CSRF_COOKIE)
    sent = form.get("csrf_token", "")
    return bool(nonce) and hmac.compare_digest(ident.form_token(nonce or ""), sent)


def page(request: Request, ident: Identity, name: str, lang: str, status: int = 200,
         **context: Any) -> Response:
    """Render a page with a CSRF token (setting the nonce cookie when new)."""
    nonce, fresh = csrf_nonce(request)
    response = templates.TemplateResponse(
        request, name, {"t": texts(lang), "csrf_token": ident.form_token(nonce), **context},
        status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'unsafe-inline'; " \
                                                  "frame-ancestors 'none'"
    if fresh:
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax", path=COOKIE_PATH,
                            secure=ident.cookie_secure)
    return response


def message(request: Request, ident: Identity, lang: str, heading_key: str, message_key: str,
            status: int = 200, **extra: Any) -> Response:
    """A simple message page."""
    t = texts(lang)
    return page(request, ident, "message.html", lang, status, heading=t[heading_key],
                message=t.get(message_key, message_key), **extra)
