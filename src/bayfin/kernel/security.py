"""Who is calling: the principal behind a request, and the signed access tokens that carry it.

The identity module issues tokens (OIDC provider, SSO, SCIM) and manages key rotation; this kernel
piece only defines the principal, the token claims and the key set both sides use, so every module's
API can require a scope or role without importing the identity module.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from bayfin.kernel.errors import Unauthenticated
from bayfin.kernel.ids import new_id

ORG_TYPES = ("operator", "institution", "enterprise", "regulator", "requestor")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user or a client system, its organization, roles and scopes.

    ``organization_id`` is the organization's public code, the one other records refer to: the
    unified social credit code (统一社会信用代码) for an enterprise, the institution's code for a bank.
    """

    subject: str
    organization_id: str | None = None
    organization_type: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None
    token_id: str | None = None
    acr: str | None = None  # authentication assurance level reached (e.g. "mfa")
    #: How the user signed in (RFC 8176 method names: "pwd", "otp", "voiceprint").
    amr: tuple[str, ...] = ()
    #: When the user last actively signed in (epoch seconds), for "fresh login" checks.
    auth_time: int | None = None

    def has_scope(self, scope: str) -> bool:
        """True if the token grants ``scope``."""
        return scope in self.scopes

    def has_role(self, *roles: str) -> bool:
        """True if the principal holds any of ``roles``."""
        return any(role in self.roles for role in roles)


class TokenVerifier(Protocol):
    """Turns a bearer token into a principal, or raises :class:`Unauthenticated`."""

    def verify(self, token: str) -> Principal: ...


class KeyStore(Protocol):
    """Where signing keys live; the identity module provides a rotating, database-backed one."""

    def signing_key(self) -> RSAKey: ...

    def key_set(self) -> KeySet: ...


class FileKeyStore:
    """A JWKS file holding RSA keys; the newest is the signing key. Created on first use."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"no key set at {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write([RSAKey.generate_key(2048, parameters={"kid": new_id("k"), "use": "sig",
                                                               "alg": "RS256"}, private=True)])
        self._load()

    def _write(self, keys: list[RSAKey]) -> None:
        data = {"keys": [k.as_dict(private=True) for k in keys]}
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)

    def _load(self) -> None:
        data = json.loads(self.path.read_text())
        self._keys = [RSAKey.import_key(k) for k in data["keys"]]
        self._set = KeySet(self._keys)  # type: ignore[arg-type]

    def signing_key(self) -> RSAKey:
        """The newest key."""
        return self._keys[-1]

    def key_set(self) -> KeySet:
        """Every key that still verifies."""
        return self._set


#: The JOSE header ``typ`` of access tokens (RFC 9068 §2.1); ``application/at+jwt`` is the same.
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, not a secret)


def default_audience(issuer: str) -> str:
    """The resource-server identifier of bayfin's own API: the issuer's ``/v1`` base URL."""
    return issuer.rstrip("/") + "/v1"


def check_access_token(header: dict[str, Any], claims: dict[str, Any], audience: str) -> None:
    """Refuse what is signed by us but is no access token for this API (RFC 9068 §4): an ID token
    (``typ`` JWT, ``aud`` a client), or an access token minted for another resource server."""
    typ = str(header.get("typ") or "").lower()
    if typ.removeprefix("application/") != ACCESS_TOKEN_TYPE:
        raise Unauthenticated("the bearer token is not an access token (typ at+jwt)")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise Unauthenticated("the access token was issued for another audience")


class JwtTokens:
    """Issues and verifies RS256 access tokens carrying a :class:`Principal`; every token names
    this API as its audience unless another one is asked for."""

    def __init__(self, keys: KeyStore, issuer: str, ttl_seconds: int = 900,
                 audience: str | None = None) -> None:
        self.keys = keys
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self.audience = audience or default_audience(issuer)

    def issue(self, principal: Principal, *, audience: str | None = None,
              ttl_seconds: int | None = None, extra: dict[str, Any] | None = None) -> str:
        """Sign an access token (``typ`` at+jwt) for ``principal``, for this API unless
        ``audience`` names another resource server."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": principal.subject, "iat": now,
            "exp": now + (ttl_seconds or self.ttl_seconds), "jti": principal.token_id or new_id(),
            "scope": " ".join(sorted(principal.scopes)), "roles": sorted(principal.roles),
        }
        if principal.organization_id:
            claims["org"] = principal.organization_id
        if principal.organization_type:
            claims["org_type"] = principal.organization_type
        if principal.client_id:
            claims["client_id"] = principal.client_id
        if principal.acr:
            claims["acr"] = principal.acr
        if principal.amr:
            claims["amr"] = list(principal.amr)
        if principal.auth_time is not None:
            claims["auth_time"] = principal.auth_time
        claims["aud"] = audience or self.audience
        if extra:
            claims.update(extra)
        key = self.keys.signing_key()
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": ACCESS_TOKEN_TYPE}, claims, key)

    def claims(self, token: str) -> dict[str, Any]:
        """Verify signature, issuer and expiry of any token we signed (access or ID); return the
        claims. Use :meth:`access_claims` where the token must be an access token for this API."""
        return self._decode(token)[1]

    def access_claims(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token for this API (``typ`` at+jwt, ``aud`` ours)."""
        header, claims = self._decode(token)
        check_access_token(header, claims, self.audience)
        return claims

    def _decode(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            decoded = jwt.decode(token, self.keys.key_set(), algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            raise Unauthenticated("the access token is not valid") from exc
        claims = decoded.claims
        now = time.time()
        if claims.get("iss") != self.issuer:
            raise Unauthenticated("the access token was issued by someone else")
        if not isinstance(claims.get("exp"), int) or claims["exp"] < now:
            raise Unauthenticated("the access token has expired")
        return dict(decoded.header), claims

    def verify(self, token: str) -> Principal:
        """The principal a valid access token for this API carries."""
        return principal_from_claims(self.access_claims(token))


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Build a principal from verified token claims."""
    return Principal(
        subject=str(claims["sub"]),
        organization_id=claims.get("org"),
        organization_type=claims.get("org_type"),
        roles=frozenset(claims.get("roles") or ()),
        scopes=frozenset(str(claims.get("scope") or "").split()),
        client_id=claims.get("client_id"),
        token_id=claims.get("jti"),
        acr=claims.get("acr"),
        amr=tuple(str(m) for m in claims.get("amr") or () if isinstance(m, str)),
        auth_time=claims["auth_time"] if isinstance(claims.get("auth_time"), int) else None,
    )


def scopes(*names: str) -> frozenset[str]:
    """Convenience for building scope sets."""
    return frozenset(names)


def roles(names: Iterable[str]) -> frozenset[str]:
    """Convenience for building role sets."""
    return frozenset(names)
