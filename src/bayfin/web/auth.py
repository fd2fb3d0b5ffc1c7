"""Sign-in and sign-out: the console is an OpenID Connect relying party of bayfin's own identity
platform (authorization code + PKCE S256 with Authlib's client; RP-initiated logout)."""

from __future__ import annotations

import secrets
import time
from typing import Annotated
from urllib.parse import urlencode

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import APIRouter, Query, Request
from joserfc import jwt
from joserfc.errors import JoseError
from starlette.responses import RedirectResponse, Response

from bayfin.kernel.errors import Unauthenticated
from bayfin.web.core import (
    AnyPage,
    PageRoute,
    error_page,
    form_of,
    new_sid,
    render,
    safe_next,
)
from bayfin.web.session import (
    COOKIE_PATH,
    LANG_COOKIE,
    LOGIN_COOKIE,
    LOGIN_MAX_AGE,
    ConsoleSession,
    clear_session,
    seal,
    unseal,
    write_session,
)
from bayfin.web.wiring import SCOPES, WebConsole

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _client(console: WebConsole) -> OAuth2Client:
    return OAuth2Client(client_id=console.client_id, token_endpoint_auth_method="none",  # noqa: S106 (public client)
                        scope=" ".join(SCOPES), redirect_uri=console.redirect_uri,
                        code_challenge_method="S256", transport=console.transport, timeout=10)


@router.get("/console/login")
def login(page: AnyPage, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    """Start the SSO sign-in: remember state, nonce and PKCE verifier in a sealed cookie, then go
    to the identity platform's authorization endpoint."""
    console = page.console
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    client = _client(console)
    try:
        url, state = client.create_authorization_url(
            console.endpoint("authorize"), code_verifier=verifier, nonce=nonce,
            ui_locales="zh-CN" if page.lang == "zh" else "en")
    finally:
        client.close()
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(LOGIN_COOKIE, seal(console, "login", {
        "state": state, "verifier": verifier, "nonce": nonce, "next": safe_next(next),
        "at": int(time.time())}), max_age=LOGIN_MAX_AGE, path=COOKIE_PATH, httponly=True,
        samesite="lax", secure=console.cookie_secure)
    return response


@router.get("/console/callback")
def callback(request: Request, page: AnyPage) -> Response:
    """Finish the sign-in: check state, swap the code (with the PKCE verifier) for tokens, check the
    ID token's issuer, audience and nonce, and open the console session."""
    console, params = page.console, dict(request.query_params)
    pending = unseal(console, "login", request.cookies.get(LOGIN_COOKIE))
    if pending is None or params.get("state") != pending.get("state") or "code" not in params \
            or int(pending.get("at", 0)) + LOGIN_MAX_AGE < time.time():
        return error_page(request, 400, "error_sso", params.get("error_description"))
    client = _client(console)
    try:
        token = client.fetch_token(console.endpoint("token"), code=params["code"],
                                   code_verifier=pending["verifier"], state=pending["state"])
    except (OAuthError, OSError, ValueError) as exc:
        return error_page(request, 400, "error_sso", type(exc).__name__)
    finally:
        client.close()
    try:
        claims = jwt.decode(token["id_token"], page.platform.tokens.keys.key_set(),
                            algorithms=["RS256"]).claims
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if claims.get("iss") != console.issuer or console.client_id not in audiences \
                or claims.get("nonce") != pending["nonce"]:
            raise ValueError("ID token not for this sign-in")
        page.platform.token_verifier.verify(token["access_token"])
    except (JoseError, ValueError, KeyError, Unauthenticated) as exc:
        return error_page(request, 400, "error_sso", type(exc).__name__)
    now = int(time.time())
    session = ConsoleSession(
        sid=new_sid(), access_token=token["access_token"], id_token=token["id_token"],
        refresh_token=token.get("refresh_token"),
        name=str(claims.get("name") or claims.get("preferred_username") or claims["sub"]),
        expires_at=now + int(token.get("expires_in", 900)), started_at=now)
    response = RedirectResponse(str(pending["next"]), status_code=303)
    write_session(console, response, session)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/console/logout")
async def logout(request: Request, page: AnyPage) -> Response:
    """Sign out: forget the console session and end the SSO session at the identity platform
    (RP-initiated logout with the ID token as hint), which revokes every token of it."""
    await form_of(request, page)
    console = page.console
    target = "/console/signed-out"
    if page.session is not None:
        target = console.endpoint("logout") + "?" + urlencode({
            "id_token_hint": page.session.id_token, "client_id": console.client_id,
            "post_logout_redirect_uri": f"{console.issuer}/console/signed-out"})
    response = RedirectResponse(target, status_code=303)
    clear_session(response)
    return response


@router.get("/console/signed-out")
def signed_out(page: AnyPage) -> Response:
    """Where the identity platform sends the browser after signing out."""
    return render(page, "welcome.html", signed_out=True)


@router.get("/console/lang/{lang}")
def switch_language(lang: str, page: AnyPage,
                    next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    """Remember the chosen language (zh or en) and go back to the page."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path=COOKIE_PATH,
                            samesite="lax", secure=page.console.cookie_secure)
    return response
