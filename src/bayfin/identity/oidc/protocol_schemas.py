"""Documented shapes of the OpenID Connect protocol answers (the standards define them; these models
only describe them in the OpenAPI document, the protocol library writes the bodies)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_ISSUER = "https://id.bayfin.example"


class ProviderMetadata(BaseModel):
    """OpenID Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "issuer": _ISSUER, "authorization_endpoint": f"{_ISSUER}/oauth2/authorize",
        "token_endpoint": f"{_ISSUER}/oauth2/token", "jwks_uri": f"{_ISSUER}/oauth2/jwks",
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"]}]})

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    revocation_endpoint: str
    introspection_endpoint: str
    end_session_endpoint: str
    response_types_supported: list[str]
    response_modes_supported: list[str]
    grant_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    code_challenge_methods_supported: list[str]
    scopes_supported: list[str]
    claims_supported: list[str]
    acr_values_supported: list[str]
    ui_locales_supported: list[str]
    frontchannel_logout_supported: bool
    backchannel_logout_supported: bool


class PublicJwk(BaseModel):
    """The public half of an RSA signing key (RFC 7517)."""

    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str
    n: str
    e: str


class JwksDocument(BaseModel):
    """The public signing keys, current and recently retired (RFC 7517 §5)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"keys": [
        {"kty": "RSA", "kid": "k-2026-12", "use": "sig", "alg": "RS256", "n": "0vx7…", "e": "AQAB"}]}]})

    keys: list[PublicJwk]


class TokenAnswer(BaseModel):
    """A successful token response (RFC 6749 §5.1; OpenID Connect Core §3.1.3.3)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "access_token": "eyJhbGciOiJSUzI1NiIs…", "token_type": "Bearer", "expires_in": 900,
        "refresh_token": "rt_…", "id_token": "eyJhbGciOiJSUzI1NiIs…", "scope": "openid profile"}]})

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str | None = None
    id_token: str | None = None
    scope: str | None = None


class RevocationAnswer(BaseModel):
    """RFC 7009 §2.2: the answer to a revocation is empty, whether or not the token was known."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class IntrospectionAnswer(BaseModel):
    """RFC 7662 §2.2: whether the token is active and, when it is, its claims."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"active": True, "token_type": "access_token", "sub": "u_01J…", "client_id": "sme-portal",
         "scope": "openid profile", "exp": 1767225600, "iss": _ISSUER}, {"active": False}]})

    active: bool
    token_type: str | None = None
    sub: str | None = None
    client_id: str | None = None
    scope: str | None = None
    exp: int | None = None
    iss: str | None = None


class UserinfoClaims(BaseModel):
    """Claims about the signed-in user, limited by the token's scopes (OpenID Connect Core §5.3)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"sub": "u_01J…", "name": "陈小明", "preferred_username": "chen", "email": "chen@example.cn",
         "locale": "zh-CN", "org": "BANK-A"}]})

    sub: str
    name: str | None = None
    preferred_username: str | None = None
    email: str | None = None
    locale: str | None = None
    org: str | None = Field(None, description="The user's organization code")
