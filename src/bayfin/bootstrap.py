"""The composition root: the one place that knows every module and puts the application together.

``build_platform`` reads and validates the whole settings tree (the kernel's settings and one section
per module, ``<module>.wiring.SETTINGS``), builds the kernel's shared parts, picks the outside-system
adapters the settings ask for (Redis-backed rate limits) and runs each module's start-up wiring. The
kernel itself imports no module; the API, the CLI, workers, tests and benchmarks call this.

A command that serves the API with some settings of its own (``bayfin fraud serve`` records decisions
in batches) does not write them into the environment: it passes section overrides to
:func:`load_settings` / :func:`create_app`, and :func:`worker_environment` when uvicorn runs several
worker processes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from bayfin import registry
from bayfin.kernel.clock import Clock
from bayfin.kernel.platform import Platform, make_platform
from bayfin.kernel.ratelimit import MemoryRateLimiter, RateLimiter
from bayfin.kernel.security import KeyStore
from bayfin.kernel.settings import Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

#: Settings fields replaced in module sections, by section class: ``{FraudSettings: {"write_mode":
#: "batched"}}``. A replaced field wins over its environment variable; the section is still validated.
SectionOverrides = Mapping[type[BaseSettings], Mapping[str, Any]]


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


def load_settings(kernel: Settings | None = None, overrides: SectionOverrides | None = None) -> SettingsTree:
    """Read every section from the environment and validate them all, reporting every problem at once
    (a bad ``BAYFIN_FRAUD_*`` value fails start-up, not the first fraud event). ``overrides`` replace
    fields of named sections (and are validated like the environment's values)."""
    overrides = dict(overrides or {})
    problems: list[str] = []
    sections: dict[str, BaseSettings] = {}
    for module, kind in registry.module_settings_by_module():
        replaced = dict(overrides.pop(kind, {}))
        prefix = str(kind.model_config.get("env_prefix", "")).upper()
        unknown = sorted(set(replaced) - set(kind.model_fields))
        if unknown:
            problems.append(f"{kind.__name__} has no setting {', '.join(unknown)}")
            continue
        try:
            sections[module] = kind(**replaced)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                problems.append(f"{prefix}{where.upper()}: {error['msg']}")
    problems.extend(f"{kind.__name__} is no module's settings section" for kind in overrides)
    if problems:
        raise SettingsInvalid("invalid settings: " + "; ".join(problems))
    return SettingsTree(kernel=kernel or get_settings(), sections=sections)


def worker_environment(overrides: SectionOverrides) -> dict[str, str | None]:
    """The environment variables that give a fresh process the same sections as ``overrides``: each
    replaced field as its own ``BAYFIN_<MODULE>_<FIELD>`` variable (None: the variable is to be unset,
    the field's default then applies).

    uvicorn starts several workers as new interpreters (multiprocessing's ``spawn``) that import the
    application by name (``bayfin.api.main:app``) and read their settings from the environment they
    inherit; nothing else of the parent reaches them. So the launcher puts these variables into the
    environment the workers start with, and each worker's :func:`load_settings` reads exactly the
    section the overrides describe. The overrides are validated first, so a bad one fails here, in
    the parent, not in every worker.
    """
    tree = load_settings(overrides=overrides)
    by_kind = {type(section): section for section in tree.sections.values()}
    variables: dict[str, str | None] = {}
    for kind, replaced in overrides.items():
        prefix = str(kind.model_config.get("env_prefix", "")).upper()
        values = by_kind[kind].model_dump(mode="json")
        for name in replaced:
            value = values[name]
            variables[f"{prefix}{name.upper()}"] = (
                None if value is None else value if isinstance(value, str) else json.dumps(value))
    return variables


def create_app(overrides: SectionOverrides | None = None, *, kernel: Settings | None = None) -> FastAPI:
    """The API application whose platform is built, at start-up, from the settings tree with these
    section overrides (``create_app(overrides={FraudSettings: {"write_mode": "batched"}})``)."""
    from bayfin.api.app import create_app as api_app

    return api_app(load_settings(kernel, overrides))


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
