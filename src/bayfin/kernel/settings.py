"""Settings read once from the environment (prefix ``BAYFIN_``) and validated.

Development defaults run everything embedded (SQLite under ``./var``, in-process state); production
refuses those defaults so a misconfigured deployment fails at start, not at the first request.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_AUDIT_KEY = "bayfin-dev-audit-key-not-for-production"
#: What a per-organization rate limit override may set (see ``Platform.rate_limit_for``).
RATE_OVERRIDE_KEYS = frozenset({"rate_per_second", "rate_burst", "daily_quota"})


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Every knob of a bayfin deployment (``BAYFIN_<NAME>``); ``bayfin config show`` lists them with
    their descriptions, and docs/deploy.md gives the production values."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_", env_file=None, extra="ignore")

    environment: Environment = Field(
        default=Environment.development,
        description="development, test or production; production refuses insecure defaults and "
                    "combinations that silently break (see production_problems)")
    data_dir: Path = Field(
        default=Path("var"),
        description="Directory of the embedded database, the development key set and demo files")
    database_url: str = Field(
        default="",
        description="sqlite:///path or postgresql://user:password@host/db (default: SQLite in "
                    "data_dir); the password is masked in `bayfin config show`")
    database_pool_size: int = Field(
        default=10, ge=1, le=200,
        description="Connections per process (and as many again in overflow); keep the total of "
                    "every process under PostgreSQL's max_connections")
    redis_url: str | None = Field(
        default=None,
        description="Redis for state shared between processes: rate limits, identity revocations, "
                    "fraud features (required in production with several API workers)")
    nats_url: str | None = Field(
        default=None, description="NATS JetStream server of the streaming fraud workers")
    mqtt_url: str | None = Field(
        default=None, description="MQTT broker of the terminals' telemetry and commands")
    log_level: str = Field(
        default="INFO", pattern=r"(?i)^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$",
        description="Lowest level logged: DEBUG, INFO, WARNING, ERROR or CRITICAL")
    log_json: bool = Field(
        default=True, description="Log JSON lines (true) or text (false); numbers are masked either way")
    audit_key: SecretStr = Field(
        default=SecretStr(DEV_AUDIT_KEY),
        description="HMAC key that seals the audit chain (at least 32 characters in production); "
                    "without it nobody can forge a consistent chain")
    audit_seal_interval: float = Field(
        default=0.25, ge=0,
        description="Seconds between a process's sealing of newly recorded audit entries on a server "
                    "database (0: no background sealer; refused in production). SQLite seals in each "
                    "committing transaction instead")
    issuer: str = Field(
        default="http://127.0.0.1:8000",
        description="Issuer URL placed in and required of every access token (https:// in production)")
    jwks_file: Path | None = Field(
        default=None,
        description="JSON Web Key Set file of the token-signing keys (default: data_dir/keys/jwks.json; "
                    "created on first use outside production)")
    access_token_ttl_seconds: int = Field(
        default=900, ge=30, le=86400, description="Lifetime of an access token in seconds")
    rate_per_second: float = Field(
        default=100.0, gt=0, description="Default API requests per second per organization (GCRA)")
    rate_burst: int = Field(
        default=200, ge=1, description="Default burst of requests an organization may make at once")
    daily_quota: int | None = Field(
        default=None, ge=1, description="Default requests per day per organization (unset: no quota)")
    rate_limit_overrides: dict[str, dict[str, float | int | None]] = Field(
        default_factory=dict,
        description='Per-organization overrides, JSON: {"bank-a": {"rate_per_second": 20, '
                    '"rate_burst": 40, "daily_quota": 5000}}')
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description='Networks webhooks may reach although private, JSON list, e.g. ["127.0.0.0/8"] for a '
                    "local receiver; every other private, loopback or link-local address is refused")
    api_host: str = Field(default="127.0.0.1", description="Address `bayfin api serve` binds")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port `bayfin api serve` listens on")
    api_workers: int = Field(
        default=1, ge=1, le=256,
        description="Worker processes of `bayfin api serve` (more than one needs BAYFIN_REDIS_URL in "
                    "production, so rate limits and revocations are shared)")

    readiness_timeout: float = Field(
        default=2.0, gt=0, le=30,
        description="Seconds each readiness check (database, Redis, NATS, MQTT) may take before it "
                    "counts as down")
    probe_port: int | None = Field(
        default=None, ge=0, le=65535,
        description="Port of /healthz, /readyz and /metrics of the fraud worker, terminals ingest and "
                    "ISO 8583 switch (unset: no probe port)")
    probe_host: str = Field(
        default="127.0.0.1",
        description="Address the probe port binds (0.0.0.0 in a container, for the orchestrator)")
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a Prometheus scrape must send to read /metrics (unset: /metrics is "
                    "open; keep it on the internal network then)")
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector receiving traces, e.g. http://otel-collector:4318 (unset: "
                    "tracing is off)")

    @field_validator("rate_limit_overrides")
    @classmethod
    def _known_override_keys(cls, value: dict[str, dict[str, float | int | None]]
                             ) -> dict[str, dict[str, float | int | None]]:
        # A misspelt key would be ignored and the organization silently keep the default limit.
        for organization, override in value.items():
            unknown = sorted(set(override) - RATE_OVERRIDE_KEYS)
            if unknown:
                raise ValueError(f"rate limit override of {organization!r} has unknown keys "
                                 f"{unknown}; known: {sorted(RATE_OVERRIDE_KEYS)}")
        return value

    @model_validator(mode="after")
    def _defaults_and_production_guards(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'bayfin.db'}"
        if self.jwks_file is None:
            self.jwks_file = self.data_dir / "keys" / "jwks.json"
        for network in self.webhook_allowed_networks:
            ipaddress.ip_network(network, strict=False)  # a typo fails at start, not at a delivery
        problems = self.production_problems()
        if problems:
            raise ValueError("insecure production settings: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """What production refuses: insecure defaults, and combinations that would run but silently
        misbehave (empty outside production)."""
        if self.environment is not Environment.production:
            return []
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append("BAYFIN_DATABASE_URL must name a server database (PostgreSQL)")
        if self.audit_key.get_secret_value() == DEV_AUDIT_KEY or len(self.audit_key) < 32:
            problems.append("BAYFIN_AUDIT_KEY must be set to a secret of at least 32 characters")
        if not self.issuer.startswith("https://"):
            problems.append("BAYFIN_ISSUER must be an https:// URL")
        if self.api_workers > 1 and not self.redis_url:
            problems.append(f"{self.api_workers} API workers need BAYFIN_REDIS_URL: without it each "
                            "process keeps its own rate limits and token revocations")
        if self.audit_seal_interval == 0:
            problems.append("BAYFIN_AUDIT_SEAL_INTERVAL=0 leaves new audit entries out of the chain")
        return problems

    def with_workers(self, workers: int) -> Settings:
        """These settings for a server started with ``workers`` processes (``--workers``)."""
        return self.model_copy(update={"api_workers": workers})

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
