"""The running platform's shared parts, built once at start-up from settings and passed explicitly."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic_settings import BaseSettings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bayfin.kernel.audit import AuditLog, AuditSealer
from bayfin.kernel.clock import Clock, SystemClock
from bayfin.kernel.db import UnitOfWork, make_engine, make_session_factory
from bayfin.kernel.ratelimit import Limit, MemoryRateLimiter, RateLimiter
from bayfin.kernel.security import FileKeyStore, JwtTokens, KeyStore, TokenVerifier
from bayfin.kernel.settings import Environment, Settings
from bayfin.kernel.tenancy import Subtree, own_only

T = TypeVar("T")
S = TypeVar("S", bound=BaseSettings)


class ServiceKey(Generic[T]):
    """The typed name of a service a module provides on the platform: ``FRAUD = ServiceKey("antifraud",
    FraudService)`` in the module's wiring, then ``platform.provide(FRAUD, service)`` at start-up and
    ``platform.service(FRAUD)`` (typed ``FraudService``) wherever it is used."""

    __slots__ = ("kind", "name")

    def __init__(self, name: str, kind: type[T]) -> None:
        self.name = name
        self.kind = kind

    def __repr__(self) -> str:
        return f"ServiceKey({self.name!r}, {self.kind.__name__})"


class ServiceMissing(LookupError):
    """A service asked for before (or without) the start-up wiring that provides it."""


@dataclass
class Platform:
    """Engine, session factory, audit log, token service and clock; modules provide their services
    under a typed :class:`ServiceKey` from their ``wiring.configure`` hook."""

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
    _services: dict[str, Any] = field(default_factory=dict, repr=False)
    _sections: dict[type[BaseSettings], BaseSettings] = field(default_factory=dict, repr=False)

    def add_section(self, section: BaseSettings) -> None:
        """Give the platform a module's validated settings section (``bayfin.bootstrap`` does, for all)."""
        self._sections[type(section)] = section

    def section(self, kind: type[S]) -> S:
        """A module's settings section: the one validated at start-up, or read from the environment
        now when the platform was assembled by hand (tests, scripts)."""
        found = self._sections.get(kind)
        if found is None:
            found = self._sections[kind] = kind()
        assert isinstance(found, kind)
        return found

    def provide(self, key: ServiceKey[T], service: T) -> T:
        """Register a module's service under its key (replacing an earlier one) and return it."""
        if not isinstance(service, key.kind):
            raise TypeError(f"{key!r} given a {type(service).__name__}")
        self._services[key.name] = service
        return service

    def service(self, key: ServiceKey[T]) -> T:
        """The service provided under ``key``; :class:`ServiceMissing` names the key when none was."""
        try:
            found = self._services[key.name]
        except KeyError:
            raise ServiceMissing(f"no {key.name} service is configured on this platform") from None
        assert isinstance(found, key.kind)
        return found

    def service_or(self, key: ServiceKey[T], build: Callable[[], T]) -> T:
        """The service under ``key``, built and provided on first use when start-up did not."""
        if key.name not in self._services:
            self.provide(key, build())
        return self.service(key)

    def has_service(self, key: ServiceKey[Any]) -> bool:
        """Whether a service is provided under ``key``."""
        return key.name in self._services

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

    def close_services(self) -> None:
        """Stop every module service that has a ``close`` (background threads, broker connections)."""
        for ext in [*self._services.values(), self.rate_limiter]:
            close = getattr(ext, "close", None)
            if callable(close):
                close()

    def dispose(self) -> None:
        """Stop module services and release connections."""
        self.close_services()
        self.engine.dispose()


AUDIT_SEALER = ServiceKey("audit_sealer", AuditSealer)


def make_platform(settings: Settings, *, clock: Clock | None = None, key_store: KeyStore | None = None,
                  rate_limiter: RateLimiter | None = None,
                  sections: Mapping[type[BaseSettings], BaseSettings] | None = None) -> Platform:
    """The platform's shared parts from settings, before any module is wired (``bayfin.bootstrap``
    composes the whole application on top of this)."""
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    assert settings.jwks_file is not None  # filled by the settings validator
    keys = key_store or FileKeyStore(settings.jwks_file,
                                     create=settings.environment is not Environment.production)
    tokens = JwtTokens(keys, settings.issuer, settings.access_token_ttl_seconds)
    platform = Platform(
        settings=settings, engine=engine, session_factory=make_session_factory(engine),
        audit=AuditLog(settings.audit_key.get_secret_value().encode()), tokens=tokens,
        clock=clock or SystemClock(), token_verifier=tokens,
        rate_limiter=rate_limiter or MemoryRateLimiter(),
    )
    for section in (sections or {}).values():
        platform.add_section(section)
    if settings.is_sqlite:
        platform.audit.seal_on_commit(platform.session_factory)
    elif settings.audit_seal_interval > 0:
        platform.provide(AUDIT_SEALER, AuditSealer(
            platform.audit, platform.session_factory, settings.audit_seal_interval).start())
    return platform
