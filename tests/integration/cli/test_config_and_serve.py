"""``bayfin config show`` masks secrets; ``bayfin api serve`` refuses workers that cannot share state."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.settings import Settings, get_settings

SECRETS = {
    "BAYFIN_AUDIT_KEY": "audit-key-7f3c9e1d2b4a6f8e0c1d3b5a7f9e",
    "BAYFIN_DATABASE_URL": "postgresql://bayfin:pg-pass-4d2c8a@db.internal:5432/bayfin",
    "BAYFIN_REDIS_URL": "redis://:redis-pass-91be@cache.internal:6379/0",
    "BAYFIN_NATS_URL": "nats://fraud:nats-pass-55aa@nats.internal:4222",
    "BAYFIN_MQTT_URL": "mqtts://ingest:mqtt-pass-66bb@mqtt.internal:8883",
    "BAYFIN_TOKENS_MASTER_KEYS": "k1:" + "ab" * 32,
    "BAYFIN_TOKENS_FF1_KEY": "cd" * 32,
    "BAYFIN_VOICE_TEMPLATE_KEY": "voice-key-5e7f0a2c",
}
SECRET_VALUES = ["audit-key-7f3c9e1d2b4a6f8e0c1d3b5a7f9e", "pg-pass-4d2c8a", "redis-pass-91be",
                 "nats-pass-55aa", "mqtt-pass-66bb", "ab" * 32, "cd" * 32, "voice-key-5e7f0a2c"]


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_config_show_lists_every_setting_and_no_secret(env, as_json):
    for name, value in SECRETS.items():
        env.setenv(name, value)
    env.setenv("COLUMNS", "250")
    # The console was made at import, before COLUMNS was set (under xdist its width is then 80)
    from bayfin.cli import output

    env.setattr(output.console, "_width", 250)
    result = CliRunner().invoke(app, ["config", "show", *(["--json"] if as_json else [])])
    assert result.exit_code == 0, result.output
    for secret in SECRET_VALUES:
        assert secret not in result.output
    for name in Settings.model_fields:
        assert f"BAYFIN_{name.upper()}" in result.output
    for module_setting in ("BAYFIN_FRAUD_STATE", "BAYFIN_TOKENS_BANK_TIMEOUT", "BAYFIN_TOKENS_MASTER_KEYS",
                           "BAYFIN_FINANCING_SERVICE_DAYS", "BAYFIN_VOICE_TEMPLATE_KEY"):
        assert module_setting in result.output
    if as_json:
        shown = json.loads(result.stdout)
        assert shown["BAYFIN_DATABASE_URL"]["value"] == \
            "postgresql://bayfin:********@db.internal:5432/bayfin"
        assert shown["BAYFIN_AUDIT_KEY"]["value"] == "********"
        assert shown["BAYFIN_API_PORT"] == {"value": 8000,
                                            "description": Settings.model_fields["api_port"].description}


def test_api_serve_refuses_several_production_workers_without_redis(env):
    for name, value in {"BAYFIN_ENVIRONMENT": "production", "BAYFIN_AUDIT_KEY": "k" * 40,
                        "BAYFIN_ISSUER": "https://id.example.cn",
                        "BAYFIN_DATABASE_URL": "postgresql://bayfin@127.0.0.1:9/bayfin"}.items():
        env.setenv(name, value)
    result = CliRunner().invoke(app, ["api", "serve", "--workers", "4"])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("bayfin: refused settings: 4 API workers need BAYFIN_REDIS_URL: "
                                     "without it each process keeps its own rate limits and token "
                                     "revocations")


def test_api_serve_refuses_an_unmigrated_database_before_starting(env):
    result = CliRunner().invoke(app, ["api", "serve", "--workers", "2"])
    assert result.exit_code == 1
    assert "run `bayfin db upgrade`" in result.stderr
