"""``bayfin fraud serve``: the API with batched decision writes, given as settings overrides (no module
writes the environment); the overrides reach uvicorn's worker processes through their environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bayfin.antifraud.settings import FraudSettings
from bayfin.cli import serving
from bayfin.cli.main import app

FRAUD_VARIABLES = ("BAYFIN_FRAUD_WRITE_MODE", "BAYFIN_FRAUD_WARM_RULES", "BAYFIN_FRAUD_TUNE_GC",
                   "BAYFIN_FRAUD_STATE", "BAYFIN_FRAUD_RULES_DIR")
BEFORE = {name: os.environ.get(name) for name in FRAUD_VARIABLES}  # as this file's tests found them


@pytest.fixture
def clean_fraud_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No anti-fraud variable set during the test, and afterwards exactly what was there before, whatever
    run_api wrote. (monkeypatch.delenv of an absent variable records nothing to undo, so a variable
    run_api then set would outlive the test and switch later tests in this process to batched writes.)"""
    saved = {name: os.environ.pop(name, None) for name in FRAUD_VARIABLES}
    yield monkeypatch
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _served(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def run_api(host: str, port: int, workers: int, data_dir: Path, overrides: Any = None) -> None:
        seen.update(host=host, port=port, workers=workers, overrides=overrides,
                    environment={n: os.environ.get(n) for n in FRAUD_VARIABLES})

    monkeypatch.setattr(serving, "run_api", run_api)
    result = CliRunner().invoke(app, ["fraud", "serve", *args])
    assert result.exit_code == 0, result.output
    return seen


def test_serve_asks_for_batched_writes_and_warm_rules_without_touching_the_environment(
        clean_fraud_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen = _served(clean_fraud_env, ["--state", "redis", "--workers", "3", "--rules-dir", str(tmp_path)])
    assert seen["workers"] == 3
    assert seen["overrides"] == {FraudSettings: {"write_mode": "batched", "warm_rules": True,
                                                 "state": "redis", "tune_gc": True,
                                                 "rules_dir": tmp_path.resolve()}}
    assert seen["environment"] == dict.fromkeys(FRAUD_VARIABLES)


def test_serve_leaves_a_configured_collector_setting_alone(clean_fraud_env: pytest.MonkeyPatch) -> None:
    clean_fraud_env.setenv("BAYFIN_FRAUD_TUNE_GC", "false")
    seen = _served(clean_fraud_env, [])
    assert "tune_gc" not in seen["overrides"][FraudSettings]
    assert seen["overrides"][FraudSettings]["state"] == "memory"


def test_the_overrides_reach_the_worker_processes_through_the_environment_they_start_with(
        clean_fraud_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    started: dict[str, Any] = {}

    def run(target: str, **options: Any) -> None:
        started.update(target=target, workers=options["workers"], settings=FraudSettings())

    clean_fraud_env.setattr(uvicorn, "run", run)
    clean_fraud_env.setattr(serving, "prepare_multiprocess_metrics", lambda workers, data_dir: None)
    clean_fraud_env.setattr(serving.signal, "signal", lambda sig, handler: None)
    clean_fraud_env.setenv("BAYFIN_FRAUD_RULES_DIR", str(tmp_path))
    serving.run_api("127.0.0.1", 0, 2, tmp_path, overrides={
        FraudSettings: {"write_mode": "batched", "warm_rules": True, "state": "memory", "rules_dir": None}})
    assert started["target"] == "bayfin.api.main:app" and started["workers"] == 2
    settings = started["settings"]  # what a worker reads from the environment it inherits
    assert (settings.write_mode, settings.warm_rules, settings.state, settings.rules_dir) == \
        ("batched", True, "memory", None)


def test_the_environment_is_as_before_after_a_serve_test() -> None:
    """Runs after the tests above in this file (pytest keeps file order): none of their writes remain."""
    assert {name: os.environ.get(name) for name in FRAUD_VARIABLES} == BEFORE

