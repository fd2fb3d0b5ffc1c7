"""Settings read once from the environment (prefix ``BAYFIN_``) and validated.

Development defaults run everything embedded (SQLite under ``./var``, in-process state); production
refuses those defaults so a misconfigured deployment fails at start, not at the first request.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_AUDIT_KEY = "bayfin-dev-audit-key-not-for-production"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every knob of a bayfin deployment; see docs/deploy.md for the production values."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_", env_file=None, extra="ignore")

    environment: Environment = Environment.development
    data_dir: Path = Path("var")
    database_url: str = ""
    database_pool_size: int = Field(default=10, ge=1, le=200)
    redis_url: str | None = None
    nats_url: str | None = None
    mqtt_url: str | None = None
    log_level: str = "INFO"
    log_json: bool = True
    #: HMAC key that seals the audit chain; without it nobody can forge a consistent chain.
    audit_key: SecretStr = SecretStr(DEV_AUDIT_KEY)
    #: How often each process seals newly recorded audit entries into the chain on a server database
    #: (0: no background sealer). SQLite seals in each committing transaction instead.
    audit_seal_interval: float = Field(default=0.25, ge=0)
    #: Issuer URL placed in and required of every access token.
    issuer: str = "http://127.0.0.1:8000"
    #: JSON Web Key Set file holding the token-signing keys (created on first use outside production).
    jwks_file: Path | None = None
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86400)
    #: Default per-organization API rate limit (GCRA) and optional daily quota, per bucket.
    rate_per_second: float = Field(default=100.0, gt=0)
    rate_burst: int = Field(default=200, ge=1)
    daily_quota: int | None = Field(default=None, ge=1)
    #: Per-organization overrides, JSON: {"bank-a": {"rate_per_second": 20, "daily_quota": 5000}}.
    rate_limit_overrides: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    #: Networks webhooks may reach although private (JSON list, e.g. ["127.0.0.0/8"] for a local
    #: receiver); every other private, loopback or link-local address is refused (kernel/outbound.py).
    webhook_allowed_networks: list[str] = Field(default_factory=list)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)

    @model_validator(mode="after")
    def _defaults_and_production_guards(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'bayfin.db'}"
        if self.jwks_file is None:
            self.jwks_file = self.data_dir / "keys" / "jwks.json"
        for network in self.webhook_allowed_networks:
            ipaddress.ip_network(network, strict=False)  # a typo fails at start, not at a delivery
        if self.environment is Environment.production:
            problems = []
            if self.database_url.startswith("sqlite"):
                problems.append("BAYFIN_DATABASE_URL must name a server database (PostgreSQL)")
            if self.audit_key.get_secret_value() == DEV_AUDIT_KEY or len(self.audit_key) < 32:
                problems.append("BAYFIN_AUDIT_KEY must be set to a secret of at least 32 characters")
            if not self.issuer.startswith("https://"):
                problems.append("BAYFIN_ISSUER must be an https:// URL")
            if problems:
                raise ValueError("insecure production settings: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
