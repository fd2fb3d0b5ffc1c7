"""The running platform's shared parts, built once at start-up from settings and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.audit import AuditLog, AuditSealer
from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.db import UnitOfWork, make_engine, make_session_factory
from bayfin.kernel.ratelimit import Limit, MemoryRateLimiter, RateLimiter
from bayfin.kernel.security import FileKeyStore, JwtTokens, KeyStore, TokenVerifier
from bayfin.kernel.settings import Environment, Settings
from bayfin.kernel.tenancy import Subtree, own_only


@dataclass
class Platform:
    """Engine, session factory, audit log, token service and clock; modules hang their services on
    ``extensions`` (keyed by module name) from their ``wiring.configure`` hook."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    audit: AuditLog
    tokens: JwtTokens
    clock: Clock
    #: What verifies bearer tokens; the identity module may replace it (e.g. to check revocation).
    token_verifier: TokenVerifier
    rate_limiter: RateLimiter = field(default_factory=MemoryRateLimiter)
    #: The organization codes under a caller's organization (branches); the identity module knows the tree.
    tenant_subtree: Subtree = own_only
    extensions: dict[str, Any] = field(default_factory=dict)

    def rate_limit_for(self, organization: str) -> Limit:
        """The organization's API limit: the settings' default with its override applied."""
        s = self.settings
        override = s.rate_limit_overrides.get(organization, {})
        per_day = override.get("daily_quota", s.daily_quota)
        return Limit(per_second=float(override.get("rate_per_second") or s.rate_per_second),
                     burst=int(override.get("rate_burst") or s.rate_burst),
                     per_day=None if per_day is None else int(per_day))

    def unit_of_work(self) -> UnitOfWork:
        """A new transaction owned by the caller."""
        return UnitOfWork(self.session_factory)

    def dispose(self) -> None:
        """Release connections and stop module services."""
        for ext in [*self.extensions.values(), self.rate_limiter]:
            close = getattr(ext, "close", None)
            if callable(close):
                close()
        self.engine.dispose()


def build_platform(settings: Settings, *, clock: Clock | None = None,
                   key_store: KeyStore | None = None) -> Platform:
    """Create the platform's shared parts from settings and let each module wire its services."""
    from bayfin import registry

    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    assert settings.jwks_file is not None  # filled by the settings validator
    keys = key_store or FileKeyStore(settings.jwks_file,
                                     create=settings.environment is not Environment.production)
    tokens = JwtTokens(keys, settings.issuer, settings.access_token_ttl_seconds)
    platform = Platform(
        settings=settings, engine=engine, session_factory=make_session_factory(engine),
        audit=AuditLog(settings.audit_key.get_secret_value().encode()), tokens=tokens,
        clock=clock or SystemClock(), token_verifier=tokens,
        rate_limiter=_rate_limiter(settings),
    )
    if settings.is_sqlite:
        platform.audit.seal_on_commit(platform.session_factory)
    elif settings.audit_seal_interval > 0:
        platform.extensions["audit_sealer"] = AuditSealer(
            platform.audit, platform.session_factory, settings.audit_seal_interval).start()
    registry.configure_modules(platform)
    return platform


def _rate_limiter(settings: Settings) -> RateLimiter:
    """Shared counts on Redis when configured (several workers), else in-process."""
    if not settings.redis_url:
        return MemoryRateLimiter()
    import redis

    from bayfin.integrations.redis_ratelimit import RedisRateLimiter

    return RedisRateLimiter(redis.Redis.from_url(settings.redis_url))
