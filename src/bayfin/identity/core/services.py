"""The identity module's running services, provided on the platform under :data:`IDENTITY`."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from bayfin.identity.core.apps import AppLifecycle
from bayfin.identity.core.authn import Authenticator
from bayfin.identity.core.keys import DatabaseKeyStore
from bayfin.identity.core.service import IdentityService
from bayfin.identity.core.verifier import IdentityTokenVerifier, RevocationList
from bayfin.kernel.clock import Clock
from bayfin.kernel.platform import ServiceKey
from bayfin.kernel.security import JwtTokens


@dataclass
class Identity:
    """The identity module's services, provided on the platform under :data:`IDENTITY`."""

    issuer: str
    tokens: JwtTokens
    keys: DatabaseKeyStore
    revocations: RevocationList
    verifier: IdentityTokenVerifier
    service: IdentityService
    authenticator: Authenticator
    clock: Clock
    revocation_ttl: timedelta
    cookie_secure: bool
    form_key: bytes
    apps: AppLifecycle

    def close(self) -> None:
        """Stop the revocation and key listeners (called by ``Platform.dispose``)."""
        self.revocations.notifier.close()
        self.keys.notifier.close()

    def form_token(self, nonce: str) -> str:
        """The CSRF token bound to a browser's random nonce cookie (HMAC, so it cannot be forged)."""
        return hmac.new(self.form_key, nonce.encode(), hashlib.sha256).hexdigest()


#: ``platform.service(IDENTITY)``: the identity services of the running platform.
IDENTITY = ServiceKey("identity", Identity)
