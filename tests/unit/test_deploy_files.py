"""The deployment files name only commands the CLI has and settings the code reads, and the image and
install paths read the lock file: a renamed command or setting breaks this test, not a production roll."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
BAYFIN_SERVICES = {name: svc for name, svc in COMPOSE["services"].items()
                   if "bayfin" in str(svc.get("image", ""))}


def test_compose_runs_every_production_process() -> None:
    commands = {" ".join(svc["command"][:2]) for svc in BAYFIN_SERVICES.values()}
    for process in ("db upgrade", "api serve", "fraud worker", "terminals ingest", "sscard switch",
                    "tokens payments"):
        assert process in commands, f"compose.yaml starts no `bayfin {process}`"
    assert {"postgres", "redis", "nats", "mosquitto"} <= set(COMPOSE["services"])
    assert "-js" in COMPOSE["services"]["nats"]["command"], "NATS must run with JetStream"


@pytest.mark.parametrize("service", sorted(BAYFIN_SERVICES))
def test_compose_commands_exist_with_their_options(service: str) -> None:
    argv = [str(a) for a in BAYFIN_SERVICES[service]["command"]]
    words = [a for a in argv if not a.startswith("-")]
    # `--help` after the options: Typer rejects an unknown option or command before printing help.
    result = CliRunner().invoke(app, [*argv, "--help"])
    assert result.exit_code == 0, f"`bayfin {' '.join(argv)}` is not a valid command: {result.output}"
    assert words, argv


def test_compose_sets_only_settings_the_code_reads() -> None:
    fields = {f"BAYFIN_{name.upper()}" for name in Settings.model_fields}
    for service in BAYFIN_SERVICES.values():
        for key in service.get("environment", {}):
            assert key in fields, f"compose.yaml sets {key}, which no setting reads"
    example = (ROOT / "deploy" / "env.example").read_text()
    for key in re.findall(r"^(BAYFIN_\w+)=", example, flags=re.M):
        assert key in fields, f"deploy/env.example names {key}, which no setting reads"


def test_every_install_path_reads_the_lock() -> None:
    assert (ROOT / "uv.lock").is_file()
    assert "uv sync --locked" in (ROOT / "Containerfile").read_text()
    assert "sync --locked" in (ROOT / "Makefile").read_text()
    assert "uv sync --locked" in (ROOT / "scripts" / "arm64-test.sh").read_text()
    assert "libgomp1" in (ROOT / "Containerfile").read_text(), "LightGBM's wheel needs libgomp1"
    # The lock covers ARM too (the pilot's cloud): a universal resolution, not this machine's only.
    lock = (ROOT / "uv.lock").read_text()
    assert "aarch64" in lock and "x86_64" in lock
