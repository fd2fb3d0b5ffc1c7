"""Start-up wiring: the rotating key store, the revoking verifier and the identity services
(provided under :data:`IDENTITY`)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from bayfin.identity.core.apps import AppLifecycle
from bayfin.identity.core.authn import Authenticator
from bayfin.identity.core.factors import FactorRegistry
from bayfin.identity.core.keys import DatabaseKeyStore
from bayfin.identity.core.notify import KEYS_CHANNEL
from bayfin.identity.core.passwords import Argon2Parameters, Passwords
from bayfin.identity.core.service import IdentityService
from bayfin.identity.core.services import IDENTITY, Identity
from bayfin.identity.core.tenancy import OrganizationTree
from bayfin.identity.core.verifier import IdentityTokenVerifier, RevocationList
from bayfin.identity.oidc.oauth import ID_TOKEN_TTL
from bayfin.integrations.redis_notifier import RedisNotifier
from bayfin.kernel.platform import Platform
from bayfin.kernel.settings import Environment


def configure(platform: Platform, *, argon2: Argon2Parameters | None = None) -> Identity:
    """Install the database-backed key store and the revoking verifier; register the services."""
    settings = platform.settings
    access_ttl = platform.tokens.ttl_seconds
    # Old keys and revocations must outlive every token they could concern.
    grace = timedelta(seconds=max(access_ttl, ID_TOKEN_TTL) + 60)
    keys = DatabaseKeyStore(platform.session_factory, platform.tokens.keys, grace=grace)
    platform.tokens.keys = keys
    revocations = RevocationList(platform.session_factory)
    verifier = IdentityTokenVerifier(platform.tokens, keys, revocations)
    platform.token_verifier = verifier
    passwords = Passwords(argon2)
    service = IdentityService(platform.audit, passwords, revocations, platform.clock,
                              revocation_ttl=timedelta(seconds=access_ttl + 60))
    ident = Identity(
        issuer=settings.issuer, tokens=platform.tokens, keys=keys, revocations=revocations,
        verifier=verifier, service=service,
        authenticator=Authenticator(passwords, platform.audit, platform.clock, FactorRegistry()),
        clock=platform.clock, revocation_ttl=timedelta(seconds=access_ttl + 60),
        cookie_secure=settings.issuer.startswith("https://") or
        settings.environment is Environment.production,
        form_key=hmac.new(settings.audit_key.get_secret_value().encode(), b"identity-forms",
                          hashlib.sha256).digest(),
        apps=AppLifecycle(service))
    if settings.redis_url:
        revocations.notifier = RedisNotifier(settings.redis_url, revocations.refresh)
        keys.notifier = RedisNotifier(settings.redis_url, keys.reload, channel=KEYS_CHANNEL)
    platform.provide(IDENTITY, ident)
    platform.tenant_subtree = OrganizationTree(platform.session_factory)
    return ident
