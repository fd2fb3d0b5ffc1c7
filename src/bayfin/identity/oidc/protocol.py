"""OIDC protocol endpoints for software: discovery, JWKS, token, revocation, introspection, userinfo.

They speak OAuth's own JSON error format (RFC 6749 §5.2), which client libraries expect, rather
than problem+json."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from bayfin.api.deps import AUTH_ERRORS, Session, require
from bayfin.identity.core import repository as repo
from bayfin.identity.core.keys import JWKS_MAX_AGE
from bayfin.identity.core.web import form_pairs, identity_of
from bayfin.identity.oidc.oauth import BayfinAuthorizationServer, http_input
from bayfin.identity.oidc.protocol_schemas import (
    IntrospectionAnswer,
    JwksDocument,
    ProviderMetadata,
    RevocationAnswer,
    TokenAnswer,
    UserinfoClaims,
)
from bayfin.kernel.security import Principal

router = APIRouter(tags=["identity: OpenID Connect"])
Form = Annotated[list[tuple[str, str]], Depends(form_pairs)]
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "OAuth error (invalid_request, invalid_grant, unsupported_grant_type…)"},
    401: {"description": "OAuth invalid_client"},
}


@router.get("/.well-known/openid-configuration", response_model=ProviderMetadata)
def discovery(request: Request) -> dict[str, Any]:
    """The OpenID Provider metadata document."""
    issuer = identity_of(request).issuer.rstrip("/")
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/authorize",
        "token_endpoint": f"{issuer}/oauth2/token",
        "userinfo_endpoint": f"{issuer}/oauth2/userinfo",
        "jwks_uri": f"{issuer}/oauth2/jwks",
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "end_session_endpoint": f"{issuer}/oauth2/logout",
        "response_types_supported": ["code"],
        "prompt_values_supported": ["none", "login", "consent"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access", "identity:factors"],
        "claims_supported": ["sub", "name", "preferred_username", "email", "locale", "sid", "acr",
                             "amr", "auth_time"],
        "acr_values_supported": ["pwd", "mfa"],
        "ui_locales_supported": ["zh-CN", "en"],
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }


@router.get("/oauth2/jwks", response_model=JwksDocument)
def jwks(request: Request) -> JSONResponse:
    """The public signing keys, current and recently retired."""
    return JSONResponse(identity_of(request).keys.public_jwks(),
                        headers={"Cache-Control":
                                 f"public, max-age={int(JWKS_MAX_AGE.total_seconds())}"})


@router.post("/oauth2/token", response_model=TokenAnswer, responses=_OAUTH_ERRORS)
def token(request: Request, session: Session, form: Form) -> Response:
    """Token endpoint: authorization_code (+PKCE), refresh_token (rotating), client_credentials."""
    server = BayfinAuthorizationServer(identity_of(request), session, http_input(request, form))
    response: Response = server.create_token_response(None)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/oauth2/revoke", response_model=RevocationAnswer, responses=_OAUTH_ERRORS)
def revoke(request: Request, session: Session, form: Form) -> Response:
    """RFC 7009 token revocation."""
    server = BayfinAuthorizationServer(identity_of(request), session, http_input(request, form))
    response: Response = server.create_endpoint_response("revocation", None)
    return response


@router.post("/oauth2/introspect", response_model=IntrospectionAnswer, responses=_OAUTH_ERRORS)
def introspect(request: Request, session: Session, form: Form) -> Response:
    """RFC 7662 token introspection (confidential clients)."""
    server = BayfinAuthorizationServer(identity_of(request), session, http_input(request, form))
    response: Response = server.create_endpoint_response("introspection", None)
    return response


@router.get("/oauth2/userinfo", response_model=UserinfoClaims, response_model_exclude_none=True,
            responses={401: AUTH_ERRORS[401], 403: AUTH_ERRORS[403]})
def userinfo(request: Request, session: Session,
             principal: Annotated[Principal, Depends(require(scopes=("openid",)))]) -> dict[str, Any]:
    """Claims about the signed-in user, limited by the token's scopes."""
    user = repo.user_by_id(session, principal.subject)
    info: dict[str, Any] = {"sub": principal.subject}
    if user is None:
        return info
    if principal.has_scope("profile"):
        info.update(name=user.display_name, preferred_username=user.username)
        if user.locale:
            info["locale"] = user.locale
    if principal.has_scope("email") and user.email:
        info["email"] = user.email
    if principal.organization_id:
        info["org"] = principal.organization_id
    return info
