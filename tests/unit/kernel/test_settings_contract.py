"""Every setting is documented, and production refuses combinations that would run but misbehave."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bayfin.kernel.settings import Settings

PRODUCTION = {"environment": "production", "database_url": "postgresql://db/bayfin",
              "audit_key": "x" * 40, "issuer": "https://id.example.cn"}


def _every_setting() -> list[tuple[str, object]]:
    from bayfin import registry

    out = []
    for cls in (Settings, *registry.module_settings()):
        prefix = str(cls.model_config.get("env_prefix", ""))
        out.extend((f"{prefix}{name}".upper(), field) for name, field in cls.model_fields.items())
    return out


@pytest.mark.parametrize(("variable", "field"), _every_setting(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_setting_has_a_description(variable, field):
    description = field.description
    assert description and len(description) >= 15, f"{variable} is undocumented"


def test_module_settings_are_found():
    names = {variable for variable, _ in _every_setting()}
    assert {"BAYFIN_FRAUD_STATE", "BAYFIN_TOKENS_BANK_TIMEOUT", "BAYFIN_API_PORT"} <= names


def test_production_refuses_several_api_workers_without_redis():
    with pytest.raises(ValidationError, match="4 API workers need BAYFIN_REDIS_URL"):
        Settings(**PRODUCTION, api_workers=4)
    assert Settings(**PRODUCTION, api_workers=4, redis_url="redis://cache:6379/0").api_workers == 4
    assert Settings(**PRODUCTION).with_workers(3).production_problems() == [
        "3 API workers need BAYFIN_REDIS_URL: without it each process keeps its own rate limits "
        "and token revocations"]


def test_development_may_run_several_workers_in_process():
    assert Settings(api_workers=4).production_problems() == []


def test_production_refuses_an_audit_log_nobody_seals():
    with pytest.raises(ValidationError, match="BAYFIN_AUDIT_SEAL_INTERVAL=0"):
        Settings(**PRODUCTION, audit_seal_interval=0)


def test_a_misspelt_rate_limit_override_is_refused_not_ignored():
    with pytest.raises(ValidationError, match="unknown keys \\['rate_per_sec'\\]"):
        Settings(rate_limit_overrides={"bank-a": {"rate_per_sec": 5}})
    ok = Settings(rate_limit_overrides={"bank-a": {"rate_per_second": 5, "rate_burst": 9,
                                                   "daily_quota": None}})
    assert ok.rate_limit_overrides["bank-a"]["rate_burst"] == 9


def test_an_unknown_log_level_is_refused():
    with pytest.raises(ValidationError):
        Settings(log_level="LOUD")
    assert Settings(log_level="warning").log_level == "warning"
