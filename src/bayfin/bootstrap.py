"""The composition root: the one place that knows every module and puts the application together.

``build_platform`` reads and validates the whole settings tree (the kernel's settings and one section
per module, ``<module>.wiring.SETTINGS``), builds the kernel's shared parts, picks the outside-system
adapters the settings ask for (Redis-backed rate limits) and runs each module's start-up wiring. The
kernel itself imports no module; the API, the CLI, workers, tests and benchmarks call this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from bayfin import registry
from bayfin.kernel.clock import Clock
from bayfin.kernel.platform import Platform, make_platform
from bayfin.kernel.ratelimit import MemoryRateLimiter, RateLimiter
from bayfin.kernel.security import KeyStore
from bayfin.kernel.settings import Settings, get_settings


class SettingsInvalid(ValueError):
    """One or more settings sections did not validate; the message names every bad variable."""


@dataclass(frozen=True)
class SettingsTree:
    """The whole configuration: the kernel's settings and each module's validated section."""

    kernel: Settings
    sections: Mapping[str, BaseSettings] = field(default_factory=dict)

    def section(self, module: str) -> BaseSettings | None:
        """The module's section, if it has settings of its own."""
        return self.sections.get(module)


def load_settings(kernel: Settings | None = None) -> SettingsTree:
    """Read every section from the environment and validate them all, reporting every problem at once
    (a bad ``BAYFIN_FRAUD_*`` value fails start-up, not the first fraud event)."""
    problems: list[str] = []
    sections: dict[str, BaseSettings] = {}
    for module, kind in registry.module_settings_by_module():
        try:
            sections[module] = kind()
        except ValidationError as exc:
            prefix = str(kind.model_config.get("env_prefix", "")).upper()
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                problems.append(f"{prefix}{where.upper()}: {error['msg']}")
    if problems:
        raise SettingsInvalid("invalid settings: " + "; ".join(problems))
    return SettingsTree(kernel=kernel or get_settings(), sections=sections)


def rate_limiter_for(settings: Settings) -> RateLimiter:
    """Shared counts on Redis when configured (several workers), else in-process."""
    if not settings.redis_url:
        return MemoryRateLimiter()
    import redis

    from bayfin.integrations.redis_ratelimit import RedisRateLimiter

    return RedisRateLimiter(redis.Redis.from_url(settings.redis_url))


def build_platform(settings: Settings | SettingsTree | None = None, *, clock: Clock | None = None,
                   key_store: KeyStore | None = None) -> Platform:
    """The running application's platform: shared parts, adapters, and every module wired."""
    tree = settings if isinstance(settings, SettingsTree) else load_settings(settings)
    platform = make_platform(tree.kernel, clock=clock, key_store=key_store,
                             rate_limiter=rate_limiter_for(tree.kernel),
                             sections={type(s): s for s in tree.sections.values()})
    registry.configure_modules(platform)
    return platform
