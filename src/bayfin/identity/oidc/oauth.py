"""The OAuth 2 / OpenID Connect server: Authlib's framework-agnostic grants and endpoints, bound to
bayfin's tables, with a thin adapter from Starlette requests to Authlib's request objects.

A server object is built per request around that request's database session, so grants never share
state between requests.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Payload
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core import OpenIDCode, UserInfo
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bayfin.identity.core import repository as repo
from bayfin.identity.core.domain import app_allowed_scope, user_granted_scope
from bayfin.identity.core.hashing import sha256
from bayfin.identity.core.models import AuthorizationCode, RefreshToken
from bayfin.identity.core.verifier import record_revocation
from bayfin.identity.oidc import repository as oidc_repo
from bayfin.identity.oidc.oauth_models import (
    AuthUser,
    OAuthAccessToken,
    OAuthClient,
    OAuthCode,
    OAuthRefreshToken,
)
from bayfin.kernel.errors import BadRequest, Unauthenticated
from bayfin.kernel.ids import new_id
from bayfin.kernel.security import Principal

if TYPE_CHECKING:
    from bayfin.identity.core.services import Identity

CODE_TTL = timedelta(minutes=5)
REFRESH_TTL = timedelta(days=7)
ID_TOKEN_TTL = 3600
CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


@dataclass
class HttpInput:
    """The parts of an HTTP request Authlib needs, read by the endpoint (form already parsed)."""

    method: str
    path: str
    headers: dict[str, str]
    query: list[tuple[str, str]]
    form: list[tuple[str, str]] = field(default_factory=list)


def http_input(request: Request, form: list[tuple[str, str]],
               query: list[tuple[str, str]] | None = None) -> HttpInput:
    """What Authlib needs of this request."""
    return HttpInput(method=request.method, path=request.url.path,
                     headers={k.title(): v for k, v in request.headers.items()},
                     query=list(request.query_params.multi_items()) if query is None else query,
                     form=form)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: dict[str, list[str]] = {}
        for k, v in pairs:
            self._data.setdefault(k, v)
            self._datalist.setdefault(k, []).append(v)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """Authlib's request over an :class:`HttpInput`; the URI is rebuilt on the issuer so transport
    checks see the public address, not the proxy hop."""

    def __init__(self, http: HttpInput, issuer: str) -> None:
        query = urlencode(http.query)
        super().__init__(http.method, issuer.rstrip("/") + http.path + (f"?{query}" if query else ""),
                         headers=http.headers)
        self._args = dict(http.query)
        self._form = dict(http.form)
        self.payload = _Payload(http.query + http.form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only ("plain" offers no protection against an intercepted request)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant; public clients must send a PKCE challenge."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if self.request.client.is_public and not self.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("public clients must use PKCE (code_challenge, S256)",
                                      redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        owner: AuthUser = request.user
        server: BayfinAuthorizationServer = self.server
        data = request.payload.data
        repo.add(server.session, AuthorizationCode(
            code_hash=sha256(code), client_id=request.client.get_client_id(),
            user_id=owner.user.id, session_id=owner.session_id,
            redirect_uri=request.payload.redirect_uri or request.client.get_default_redirect_uri(),
            scope=request.scope or "", nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method") or (
                "S256" if data.get("code_challenge") else None),
            acr=owner.acr, amr=owner.amr, auth_time=owner.auth_time,
            expires_at=server.now() + CODE_TTL))
        server.session.flush()

    def query_authorization_code(self, code: str, client: OAuthClient) -> OAuthCode | None:
        server: BayfinAuthorizationServer = self.server
        row = oidc_repo.authorization_code(server.session, sha256(code))
        if row is None or row.client_id != client.get_client_id() or row.expires_at <= server.now():
            return None
        if row.used_at is not None:
            server.revoke_code_grant(row)
            return None
        return OAuthCode(row)

    def delete_authorization_code(self, authorization_code: OAuthCode) -> None:
        # Kept (marked used) until it expires, so a replay can be recognised and answered.
        authorization_code.row.used_at = self.server.now()
        self.server.session.flush()

    def authenticate_user(self, authorization_code: OAuthCode) -> AuthUser | None:
        row = authorization_code.row
        server: BayfinAuthorizationServer = self.server
        return server.live_owner(row.user_id, row.session_id, row.acr, row.auth_time, row.amr)


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation: each refresh token works once; presenting a used one revokes its family."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthRefreshToken | None:
        server: BayfinAuthorizationServer = self.server
        row = oidc_repo.refresh_token(server.session, sha256(refresh_token))
        if row is None:
            return None
        now = server.now()
        if row.used_at is not None or row.revoked_at is not None:
            if row.used_at is not None:
                server.revoke_family(row.family_id, reason="reuse")
            return None
        if row.expires_at <= now:
            return None
        self.request.refresh_family = row.family_id
        return OAuthRefreshToken(row, now)

    def authenticate_user(self, refresh_token: OAuthRefreshToken) -> AuthUser | None:
        row = refresh_token.row
        server: BayfinAuthorizationServer = self.server
        # The original sign-in time travels on: refreshing never makes a login fresh again.
        return server.live_owner(row.user_id, row.session_id, row.acr,
                                 row.auth_time or row.issued_at, row.amr)

    def revoke_old_credential(self, refresh_token: OAuthRefreshToken) -> None:
        refresh_token.row.used_at = self.server.now()
        self.server.session.flush()


class ServiceGrant(ClientCredentialsGrant):  # type: ignore[misc]
    """Client credentials for institution systems (confidential clients only)."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]


class BayfinOpenIDCode(OpenIDCode):  # type: ignore[misc]
    """ID tokens signed with the current platform key; they carry ``sid`` for RP-initiated logout."""

    def __init__(self, ident: Identity) -> None:
        super().__init__(require_nonce=False)
        self.ident = ident
        self._key: Any = None

    def resolve_client_private_key(self, client: OAuthClient) -> Any:
        # The key the header named: the signing key may change between the two calls when the
        # next key's activation time passes.
        return self._key if self._key is not None else self.ident.keys.signing_key()

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return "RS256"

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        self._key = self.ident.keys.signing_key()
        return {"alg": "RS256", "kid": str(self._key.kid)}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        return {"iss": self.ident.issuer, "aud": [client.get_client_id()],
                "exp": int(time.time()) + ID_TOKEN_TTL}

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # codes are single-use and hashed; a replayed nonce cannot mint a second token

    def generate_user_info(self, user: AuthUser, scope: str) -> UserInfo:
        info = UserInfo(sub=user.user.id, sid=user.session_id)
        scopes = scope.split()
        if "profile" in scopes:
            info["name"] = user.user.display_name
            info["preferred_username"] = user.user.username
            if user.user.locale:
                info["locale"] = user.user.locale
        if "email" in scopes and user.user.email:
            info["email"] = user.user.email
        return info


class BayfinRevocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: revoking an access token refuses its id; a refresh token takes its family with it."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return self.server.find_token(token_string)

    def revoke_token(self, token: Any, request: OAuth2Request) -> None:
        server: BayfinAuthorizationServer = self.server
        if isinstance(token, OAuthRefreshToken):
            server.revoke_family(token.row.family_id, reason="revoked")
        else:
            now = server.now()
            record_revocation(server.session, "token", str(token.claims["jti"]), at=now,
                              expires_at=now + server.ident.revocation_ttl)
            server.schedule_revocation_refresh()


class BayfinIntrospection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662 for confidential clients (resource servers)."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return self.server.find_token(token_string)

    def check_permission(self, token: Any, client: OAuthClient, request: OAuth2Request) -> bool:
        return not client.is_public

    def introspect_token(self, token: Any) -> dict[str, Any]:
        if isinstance(token, OAuthRefreshToken):
            row = token.row
            return {"active": True, "token_type": "refresh_token", "client_id": row.client_id,
                    "sub": row.user_id, "scope": row.scope,
                    "exp": int(row.expires_at.timestamp()), "iss": self.server.ident.issuer}
        claims = dict(token.claims)
        claims.update({"active": True, "token_type": "access_token"})
        return claims


class BayfinAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server bound to one request's session."""

    def __init__(self, ident: Identity, session: Session, http: HttpInput) -> None:
        super().__init__(scopes_supported=None)
        self.ident = ident
        self.session = session
        self.http = http
        self.register_token_generator("default", self._generate)
        self.register_grant(CodeGrant, [S256Only(required=True), BayfinOpenIDCode(ident)])
        self.register_grant(RefreshGrant)
        self.register_grant(ServiceGrant)
        self.register_endpoint(BayfinRevocation)
        self.register_endpoint(BayfinIntrospection)
        self._last_jti: str | None = None
        self._refresh_scheduled = False

    def now(self) -> Any:
        """The platform clock's time."""
        return self.ident.clock.now()

    # Authlib hooks -----------------------------------------------------------------------------
    def query_client(self, client_id: str) -> OAuthClient | None:
        app = repo.app_by_client_id(self.session, client_id)
        return OAuthClient(app, self.now()) if app is not None and app.active else None

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return StarletteOAuth2Request(self.http, self.ident.issuer)

    def create_json_request(self, request: Any) -> Any:
        raise BadRequest("this endpoint takes form-encoded requests")

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        hdrs = dict(headers or [])
        if isinstance(body, dict):
            hdrs.pop("Content-Type", None)
            return JSONResponse(body, status_code=status, headers=hdrs)
        return Response(body or "", status_code=status, headers=hdrs)

    def handle_error_response(self, request: Any, error: Any) -> Response:
        client_id = getattr(getattr(request, "payload", None), "client_id", None)
        client_id = str(client_id)[:100] if client_id else None
        self.ident.service.audit.record(
            self.session, actor=client_id or "anonymous", action="identity.oauth.refuse",
            subject_type="client", subject_id=client_id or "unknown", outcome="refused",
            details={"error": error.error, "path": self.http.path})
        response: Response = super().handle_error_response(request, error)
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    # tokens ------------------------------------------------------------------------------------
    def _generate(self, grant_type: str, client: OAuthClient, user: AuthUser | None = None,
                  scope: str | None = None, expires_in: int | None = None,
                  include_refresh_token: bool = True) -> dict[str, Any]:
        app = client.app
        jti = new_id("at")
        ttl = self.ident.tokens.ttl_seconds
        extra: dict[str, Any] = {}
        if user is None:
            org = repo.org_by_id(self.session, app.organization_id) if app.organization_id else None
            granted = app_allowed_scope(scope, app.scopes or [])
            principal = Principal(subject=app.client_id, organization_id=org.code if org else None,
                                  organization_type=org.org_type if org else None,
                                  roles=frozenset(app.service_roles or []),
                                  scopes=frozenset(granted.split()), client_id=app.client_id,
                                  token_id=jti)
        else:
            u = user.user
            org = repo.org_by_id(self.session, u.organization_id) if u.organization_id else None
            roles, permissions = self.ident.service.roles_and_permissions(self.session, u.id, app.id)
            granted = user_granted_scope(app_allowed_scope(scope or "openid", app.scopes or []),
                                         permissions)
            principal = Principal(subject=u.id, organization_id=org.code if org else None,
                                  organization_type=org.org_type if org else None,
                                  roles=frozenset(roles), scopes=frozenset(granted.split()),
                                  client_id=app.client_id, token_id=jti, acr=user.acr,
                                  amr=tuple(user.amr or ()),
                                  auth_time=int(user.auth_time.timestamp()))
            if user.session_id:
                extra["sid"] = user.session_id
        token: dict[str, Any] = {
            "token_type": "Bearer", "expires_in": ttl, "scope": granted,
            "access_token": self.ident.tokens.issue(principal, ttl_seconds=ttl, extra=extra or None)}
        if user is not None and include_refresh_token:
            token["refresh_token"] = secrets.token_urlsafe(48)
        self._last_jti = jti
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        client: OAuthClient = request.client
        owner: AuthUser | None = request.user
        now = self.now()
        family_id = getattr(request, "refresh_family", None) or new_id("rtf")
        code = request.authorization_code
        if code is not None:
            code.row.family_id, code.row.access_jti = family_id, self._last_jti
        if token.get("refresh_token") and owner is not None:
            repo.add(self.session, RefreshToken(
                token_hash=sha256(token["refresh_token"]),
                family_id=family_id,
                client_id=client.get_client_id(), user_id=owner.user.id,
                session_id=owner.session_id, scope=token.get("scope") or "", acr=owner.acr,
                amr=owner.amr, auth_time=owner.auth_time, access_jti=self._last_jti,
                issued_at=now, expires_at=now + REFRESH_TTL))
        self.ident.service.audit.record(
            self.session, actor=owner.user.id if owner else client.get_client_id(),
            actor_org=(owner.user.organization_id if owner else client.app.organization_id),
            action="identity.token.issue", subject_type="client",
            subject_id=client.get_client_id(),
            details={"grant_type": request.payload.grant_type, "jti": self._last_jti,
                     "refresh": bool(token.get("refresh_token"))})
        self.session.flush()

    # helpers used by grants and endpoints -----------------------------------------------------
    def live_owner(self, user_id: str, session_id: str | None, acr: str | None,
                   auth_time: Any, amr: list[str] | None = None) -> AuthUser | None:
        """The grant's user if still active and their SSO session (if any) has not ended."""
        user = repo.user_by_id(self.session, user_id)
        if user is None or not user.active:
            return None
        if session_id is not None:
            sso = oidc_repo.sso_session(self.session, session_id)
            if sso is None or sso.ended_at is not None:
                return None
        return AuthUser(user=user, session_id=session_id, acr=acr, auth_time=auth_time, amr=amr)

    def revoke_family(self, family_id: str, *, reason: str) -> None:
        """Revoke every refresh token of a family and the access tokens they minted."""
        now = self.now()
        jtis = repo.revoke_refresh_tokens(self.session, now, family_id=family_id)
        for jti in jtis:
            record_revocation(self.session, "token", jti, at=now,
                              expires_at=now + self.ident.revocation_ttl)
        first = oidc_repo.any_refresh_token_of_family(self.session, family_id)
        self.ident.service.audit.record(
            self.session, actor=first.client_id if first else "unknown",
            action="identity.refresh_family.revoke", subject_type="refresh_family",
            subject_id=family_id, outcome="refused" if reason.endswith("reuse") else "ok",
            details={"reason": reason, "access_tokens": len(jtis)})
        self.session.flush()
        self.schedule_revocation_refresh()

    def revoke_code_grant(self, code: AuthorizationCode) -> None:
        """A used code came back: revoke the access token and refresh family it produced."""
        if code.family_id:
            self.revoke_family(code.family_id, reason="code_reuse")
        if code.access_jti:
            now = self.now()
            record_revocation(self.session, "token", code.access_jti, at=now,
                              expires_at=now + self.ident.revocation_ttl)
            self.schedule_revocation_refresh()

    def schedule_revocation_refresh(self) -> None:
        """Refresh the in-process revocation list once this transaction commits."""
        if not self._refresh_scheduled:
            from bayfin.identity.core.service import after_commit

            after_commit(self.session, self.ident.revocations.changed)
            self._refresh_scheduled = True

    def find_token(self, token_string: str) -> Any:
        """An access token (by signature) or a refresh token (by hash), or None."""
        if token_string.count(".") == 2:
            try:
                claims = self.ident.tokens.access_claims(token_string)
            except Unauthenticated:
                return None
            revoked = self.ident.revocations.refuses(str(claims["sub"]), int(claims.get("iat") or 0),
                                                     claims.get("sid"), claims.get("jti"),
                                                     claims.get("client_id"))
            return OAuthAccessToken(claims, revoked)
        row = oidc_repo.refresh_token(self.session, sha256(token_string))
        return OAuthRefreshToken(row, self.now()) if row is not None else None
