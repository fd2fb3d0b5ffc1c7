"""Authlib's model interfaces over bayfin's rows: clients, authorization codes, tokens, users."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin

from bayfin.identity.core.domain import app_allowed_scope, redirect_uri_matches
from bayfin.identity.core.models import App, AuthorizationCode, RefreshToken, User
from bayfin.identity.core.service import client_secret_matches
from bayfin.kernel.clock import utcnow


@dataclass
class AuthUser:
    """The resource owner of a grant: the user plus the SSO session and assurance it came with."""

    user: User
    session_id: str | None
    acr: str | None
    auth_time: datetime
    amr: list[str] | None = None


class OAuthClient(ClientMixin):  # type: ignore[misc]
    """A registered app as Authlib sees it; redirect URIs match exactly. ``now`` decides whether
    a rotated-out client secret is still inside its grace period."""

    def __init__(self, app: App, now: datetime | None = None) -> None:
        self.app = app
        self.now = now

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.app.redirect_uris or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return app_allowed_scope(scope, self.app.scopes or [])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_matches(redirect_uri, self.app.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        app = self.app
        if client_secret_matches(app.secret_hash, client_secret):
            return True
        now = self.now or utcnow()
        return (app.previous_secret_expires_at is not None and app.previous_secret_expires_at > now
                and client_secret_matches(app.previous_secret_hash, client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.app.client_type == "public":
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in (self.app.grant_types or [])

    def check_grant_type(self, grant_type: str) -> bool:
        return self.app.active and grant_type in (self.app.grant_types or [])

    @property
    def is_public(self) -> bool:
        """True for clients that cannot keep a secret (PKCE is mandatory for them)."""
        return self.app.client_type == "public"


class OAuthCode(AuthorizationCodeMixin):  # type: ignore[misc]
    """A stored authorization code."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str | None:
        return self.row.acr

    def get_amr(self) -> list[str] | None:
        return list(self.row.amr) if self.row.amr else None


class OAuthRefreshToken(TokenMixin):  # type: ignore[misc]
    """A stored refresh token."""

    def __init__(self, row: RefreshToken, now: datetime) -> None:
        self.row = row
        self._now = now

    def check_client(self, client: OAuthClient) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - self._now).total_seconds()))

    def is_expired(self) -> bool:
        return self.row.expires_at <= self._now

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or self.row.used_at is not None


class OAuthAccessToken(TokenMixin):  # type: ignore[misc]
    """A signed access token, known by its verified claims (revocation looked up on demand)."""

    def __init__(self, claims: dict[str, Any], revoked: bool) -> None:
        self.claims = claims
        self._revoked = revoked

    def check_client(self, client: OAuthClient) -> bool:
        return self.claims.get("client_id") == client.get_client_id()

    def get_scope(self) -> str:
        return str(self.claims.get("scope") or "")

    def get_expires_in(self) -> int:
        return max(0, int(self.claims["exp"] - time.time()))

    def is_expired(self) -> bool:
        return bool(self.claims["exp"] <= time.time())

    def is_revoked(self) -> bool:
        return self._revoked
