"""The composition root's settings-section overrides: they win over the environment, are validated
like it, become the workers' environment, and build an application whose platform has them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bayfin.antifraud.settings import FraudSettings
from bayfin.bootstrap import SettingsInvalid, create_app, load_settings, worker_environment
from bayfin.financing.settings import FinancingSettings
from bayfin.financing.wiring import FINANCING
from bayfin.kernel.settings import Settings


def test_an_override_wins_over_the_environment_and_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAYFIN_FRAUD_WRITE_MODE", "inline")
    tree = load_settings(overrides={FraudSettings: {"write_mode": "batched", "warm_rules": True}})
    fraud = tree.section("antifraud")
    assert isinstance(fraud, FraudSettings)
    assert (fraud.write_mode, fraud.warm_rules) == ("batched", True)
    with pytest.raises(SettingsInvalid, match="BAYFIN_FRAUD_WRITE_MODE"):
        load_settings(overrides={FraudSettings: {"write_mode": "sometimes"}})


def test_an_override_of_an_unknown_setting_or_section_is_refused_not_ignored() -> None:
    with pytest.raises(SettingsInvalid, match="FraudSettings has no setting write_mod"):
        load_settings(overrides={FraudSettings: {"write_mod": "batched"}})
    with pytest.raises(SettingsInvalid, match="Settings is no module's settings section"):
        load_settings(overrides={Settings: {"api_port": 1}})


def test_the_workers_environment_spells_each_override_as_its_own_variable(tmp_path) -> None:
    assert worker_environment({FraudSettings: {"write_mode": "batched", "warm_rules": True,
                                               "batch_size": 64, "rules_dir": tmp_path,
                                               "models_dir": None}}) == {
        "BAYFIN_FRAUD_WRITE_MODE": "batched", "BAYFIN_FRAUD_WARM_RULES": "true",
        "BAYFIN_FRAUD_BATCH_SIZE": "64", "BAYFIN_FRAUD_RULES_DIR": str(tmp_path),
        "BAYFIN_FRAUD_MODELS_DIR": None}
    with pytest.raises(SettingsInvalid):
        worker_environment({FraudSettings: {"batch_size": 0}})


def test_the_app_factory_builds_the_platform_from_the_overridden_tree(tmp_path) -> None:
    kernel = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'app.db'}",
                      data_dir=tmp_path)
    app = create_app(overrides={FinancingSettings: {"service_days": 3}}, kernel=kernel)
    with TestClient(app):
        platform = app.state.platform
        assert platform.section(FinancingSettings).service_days == 3
        assert platform.service(FINANCING).config.service_window_days == 3
