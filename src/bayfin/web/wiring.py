"""Start-up wiring: the console's OIDC client settings and its cookie keys."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import httpx

from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.kernel.settings import Environment

CLIENT_ID = "bayfin-console"
#: What the console asks the identity platform for; the user's roles decide what is granted.
SCOPES = ("openid", "profile", "consent:manage", "consent:request", "credit:read", "fraud:read",
          "terminals:read", "financing:apply", "financing:products", "financing:review",
          "financing:statistics", "financing:operate")


@dataclass
class WebConsole:
    """The console's settings, provided on the platform under :data:`WEB`."""

    issuer: str
    client_id: str
    cookie_key: bytes
    cookie_secure: bool
    #: Tests may route the token endpoint calls through an in-process transport.
    transport: httpx.BaseTransport | None = None

    @property
    def redirect_uri(self) -> str:
        """Where the identity platform sends the browser back with a code."""
        return f"{self.issuer}/console/callback"

    @property
    def post_logout_uri(self) -> str:
        """Where the identity platform sends the browser after ending the SSO session."""
        return f"{self.issuer}/"

    def endpoint(self, name: str) -> str:
        """An identity-platform endpoint (authorize, token, logout) under the issuer."""
        return f"{self.issuer}/oauth2/{name}"


def configure(platform: Platform) -> WebConsole:
    """Derive the cookie key from the platform secret and register the console settings."""
    settings = platform.settings
    key = hmac.new(settings.audit_key.get_secret_value().encode(), b"web-console-cookies",
                   hashlib.sha256).digest()
    console = WebConsole(issuer=settings.issuer.rstrip("/"), client_id=CLIENT_ID, cookie_key=key,
                         cookie_secure=settings.issuer.startswith("https://")
                         or settings.environment is Environment.production)
    return platform.provide(WEB, console)


WEB = ServiceKey("web", WebConsole)
