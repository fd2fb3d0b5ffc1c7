"""Browser endpoints: authorization (with SSO, consent and step-up), login, second factor, logout."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidRequestError
from authlib.oidc.core.errors import LoginRequiredError
from fastapi import APIRouter, Depends, Request
from joserfc import jwt
from joserfc.errors import JoseError
from starlette.responses import RedirectResponse, Response

from bayfin.api.deps import Session
from bayfin.identity.core import repository as repo
from bayfin.identity.core.authn import LoginRefused
from bayfin.identity.core.domain import acr_satisfies, safe_return_path, split_scope
from bayfin.identity.core.models import Consent
from bayfin.identity.core.web import (
    COOKIE_PATH,
    SSO_COOKIE,
    client_address,
    csrf_ok,
    form_pairs,
    identity_of,
    language,
    message,
    page,
)
from bayfin.identity.oidc import repository as oidc_repo
from bayfin.identity.oidc.oauth import BayfinAuthorizationServer, http_input
from bayfin.identity.oidc.oauth_models import AuthUser

router = APIRouter(prefix="/oauth2", tags=["identity: sign-in pages"], include_in_schema=False)
Form = Annotated[list[tuple[str, str]], Depends(form_pairs)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _next_for(request: Request) -> str:
    """The authorization URL to come back to, without ``prompt=login`` and ``max_age`` (so a
    forced login is not looped: the fresh ``auth_time`` in the ID token answers them); other
    prompt values (``consent``) stay."""
    query: list[tuple[str, str]] = []
    for key, value in request.query_params.multi_items():
        if key == "prompt":
            value = " ".join(p for p in value.split() if p != "login")
        if key != "max_age" and value:
            query.append((key, value))
    return f"{request.url.path}?{urlencode(query)}"


def _max_age(value: str | None) -> int | None:
    """The ``max_age`` request parameter (OIDC Core 3.1.2.1): seconds, or None when absent."""
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 12:
        raise InvalidRequestError("max_age must be a non-negative number of seconds")
    return int(value)


@router.get("/authorize")
@router.post("/authorize")
def authorize(request: Request, session: Session, form: Form) -> Response:
    """OIDC authorization endpoint: validates the request, then signs in (or reuses the SSO
    session), asks for a second factor or consent when needed, and redirects with a code."""
    ident = identity_of(request)
    params = dict(request.query_params)
    lang = language(request, params)
    server = BayfinAuthorizationServer(ident, session, http_input(request, form))
    sso = ident.authenticator.session_from_cookie(session, request.cookies.get(SSO_COOKIE))
    active = sso if sso is not None and sso.state == "active" else None
    owner = None
    if active is not None:
        user = repo.user_by_id(session, active.user_id)
        assert user is not None  # session_from_cookie checked the user
        owner = AuthUser(user, active.id, active.acr, active.auth_time, list(active.amr or []))
    oauth_request = server.create_oauth2_request(None)
    try:
        grant = server.get_consent_grant(oauth_request, end_user=owner)
        max_age = _max_age(params.get("max_age"))
    except OAuth2Error as error:
        if getattr(error, "redirect_uri", None):
            return server.handle_error_response(oauth_request, error)
        server.handle_error_response(oauth_request, error)  # audited; the browser gets a page
        return message(request, ident, lang, "error_title", error.description or error.error,
                       status=400)
    prompts = params.get("prompt", "").split()
    # An older sign-in than the app accepts, or prompt=login, means signing in again (OIDC Core
    # 3.1.2.1); the code then carries the new auth_time.
    stale = owner is not None and max_age is not None and \
        (ident.clock.now() - owner.auth_time).total_seconds() > max_age
    if owner is None or "login" in prompts or stale:
        if "none" in prompts:
            return server.handle_error_response(
                oauth_request, LoginRequiredError(redirect_uri=grant.redirect_uri or
                                                  params.get("redirect_uri"), state=params.get("state")))
        return _redirect("/oauth2/login?" + urlencode({"next": _next_for(request)}))
    if not acr_satisfies(owner.acr, params.get("acr_values", "").split()):
        return _redirect("/oauth2/mfa?" + urlencode({"next": _next_for(request)}))
    app = grant.client.app
    wanted = split_scope(grant.request.scope)
    consent = oidc_repo.consent(session, owner.user.id, app.id)
    if request.method == "POST":
        fields = dict(form)
        if not csrf_ok(request, ident, fields):
            return message(request, ident, lang, "error_title", "csrf", status=403)
        if fields.get("decision") != "allow":
            return server.handle_error_response(oauth_request, AccessDeniedError(
                redirect_uri=params.get("redirect_uri") or grant.client.get_default_redirect_uri(),
                state=params.get("state")))
        if consent is None:
            consent = Consent(user_id=owner.user.id, app_id=app.id, scopes=[],
                              granted_at=ident.clock.now())
            repo.add(session, consent)
        consent.scopes = sorted(set(consent.scopes or []) | set(wanted))
        consent.granted_at = ident.clock.now()
        ident.service.audit.record(session, actor=owner.user.id, action="identity.consent.grant",
                                   subject_type="app", subject_id=app.id,
                                   details={"scopes": sorted(wanted)})
    elif not app.first_party and not (consent and set(wanted) <= set(consent.scopes or [])):
        return page(request, ident, "consent.html", lang, app_name=app.name, scopes=wanted,
                    user_name=owner.user.display_name, action=str(request.url.path) + "?" +
                    str(request.url.query))
    response: Response = server.create_authorization_response(oauth_request, grant_user=owner,
                                                              grant=grant)
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form."""
    ident = identity_of(request)
    return page(request, ident, "login.html", language(request),
                next=safe_return_path(request.query_params.get("next")), username="")


@router.post("/login")
def login(request: Request, session: Session, form: Form) -> Response:
    """Check the password (with lock-out), open the SSO session and go on."""
    ident = identity_of(request)
    lang = language(request)
    fields = dict(form)
    next_url = safe_return_path(fields.get("next"))
    if not csrf_ok(request, ident, fields):
        return message(request, ident, lang, "error_title", "csrf", status=403)
    try:
        user = ident.authenticator.authenticate(session, fields.get("username", ""),
                                                fields.get("password", ""), client_address(request))
    except LoginRefused as refused:
        from bayfin.identity.core.i18n import texts

        t = texts(lang)
        if refused.locked_for is not None:
            error = t["locked"].format(seconds=max(1, int(refused.locked_for.total_seconds())))
            status = 429
        else:
            error, status = t["bad_credentials"], 401
        return page(request, ident, "login.html", lang, status, next=next_url, error=error,
                    username=fields.get("username", "")[:120])
    previous = ident.authenticator.session_from_cookie(session, request.cookies.get(SSO_COOKIE))
    if previous is not None:  # a new sign-in replaces the browser's session rather than adding one
        ident.service.end_session(session, previous, ident.clock.now())
    started = ident.authenticator.start_session(session, user)
    target = next_url if started.session.state == "active" else (
        "/oauth2/mfa?" + urlencode({"next": next_url}))
    response = _redirect(target)
    response.set_cookie(SSO_COOKIE, started.cookie, httponly=True, samesite="lax", path=COOKIE_PATH,
                        secure=ident.cookie_secure, max_age=8 * 3600)
    return response


@router.get("/mfa")
def mfa_page(request: Request, session: Session) -> Response:
    """The second-factor form (at login for enrolled users, or for step-up)."""
    ident = identity_of(request)
    lang = language(request)
    next_url = safe_return_path(request.query_params.get("next"))
    sso = ident.authenticator.session_from_cookie(session, request.cookies.get(SSO_COOKIE))
    if sso is None:
        return _redirect("/oauth2/login?" + urlencode({"next": next_url}))
    if not repo.confirmed_factors(session, sso.user_id):
        return message(request, ident, lang, "mfa_title", "mfa_missing", status=403)
    return page(request, ident, "mfa.html", lang, next=next_url)


@router.post("/mfa")
def mfa(request: Request, session: Session, form: Form) -> Response:
    """Verify the second factor and raise the session's assurance to ``mfa``."""
    ident = identity_of(request)
    lang = language(request)
    fields = dict(form)
    next_url = safe_return_path(fields.get("next"))
    if not csrf_ok(request, ident, fields):
        return message(request, ident, lang, "error_title", "csrf", status=403)
    sso = ident.authenticator.session_from_cookie(session, request.cookies.get(SSO_COOKIE))
    if sso is None:
        return _redirect("/oauth2/login?" + urlencode({"next": next_url}))
    if not ident.authenticator.check_factor(session, sso, fields.get("factor", "totp"),
                                            fields.get("code", "")):
        from bayfin.identity.core.i18n import texts

        return page(request, ident, "mfa.html", lang, 401, next=next_url,
                    error=texts(lang)["bad_code"])
    return _redirect(next_url)


@router.get("/welcome")
def welcome(request: Request) -> Response:
    """Where a sign-in without a destination lands."""
    ident = identity_of(request)
    return message(request, ident, language(request), "login_title", "welcome")


@router.get("/logout")
@router.post("/logout")
def logout(request: Request, session: Session, form: Form) -> Response:
    """RP-initiated logout: ends the SSO session (and so every app's tokens of it), then returns to
    the app's registered post-logout URI. Without a valid ``id_token_hint`` the user confirms."""
    ident = identity_of(request)
    lang = language(request)
    params = {**dict(request.query_params), **dict(form)}
    hint_claims = None
    if params.get("id_token_hint"):
        try:
            hint = jwt.decode(params["id_token_hint"], ident.keys.key_set(), algorithms=["RS256"])
            # An ID token only: an access token (typ at+jwt) held by some app is no logout hint.
            is_access = str(hint.header.get("typ") or "").lower().endswith("at+jwt")
            hint_claims = None if is_access else hint.claims
        except (JoseError, ValueError):
            hint_claims = None
        if hint_claims is not None and hint_claims.get("iss") != ident.issuer:
            hint_claims = None
    if hint_claims is None and not (request.method == "POST" and csrf_ok(request, ident, params)):
        hidden = [(k, v) for k, v in params.items()
                  if k in ("post_logout_redirect_uri", "state", "client_id")]
        return message(request, ident, lang, "logout_title", "logout_confirm",
                       form_action="/oauth2/logout", button=texts_button(lang), hidden=hidden)
    now = ident.clock.now()
    ended: list[str] = []
    sso = ident.authenticator.session_from_cookie(session, request.cookies.get(SSO_COOKIE))
    targets = [sso] if sso is not None else []
    if hint_claims and hint_claims.get("sid"):
        hinted = oidc_repo.sso_session(session, str(hint_claims["sid"]))
        if hinted is not None and hinted.ended_at is None and hinted not in targets:
            targets.append(hinted)
    for target in targets:
        ident.service.end_session(session, target, now)
        ended.append(target.id)
        ident.service.audit.record(session, actor=target.user_id, action="identity.logout",
                                   subject_type="user", subject_id=target.user_id,
                                   details={"sid": target.id})
    client_id = params.get("client_id")
    if hint_claims:
        aud = hint_claims.get("aud")
        client_id = aud[0] if isinstance(aud, list) and aud else (aud or client_id)
    app = repo.app_by_client_id(session, str(client_id)) if client_id else None
    back = params.get("post_logout_redirect_uri")
    if app is not None and back and back in (app.post_logout_redirect_uris or []):
        sep = "&" if "?" in back else "?"
        response: Response = _redirect(back + (sep + urlencode({"state": params["state"]})
                                               if params.get("state") else ""))
    else:
        response = message(request, ident, lang, "logout_title", "logged_out")
    response.delete_cookie(SSO_COOKIE, path=COOKIE_PATH)
    return response


def texts_button(lang: str) -> str:
    """The sign-out button label."""
    from bayfin.identity.core.i18n import texts

    return texts(lang)["logout_button"]
