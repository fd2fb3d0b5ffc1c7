"""The terminals CLI on a real database: register, provision refusals reported, the alarm queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayfin import migrations
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import get_settings
from bayfin.terminals.cli import app


def test_an_operator_registers_a_site_and_terminal_and_sees_refusals_and_the_queue(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("BAYFIN_DATABASE_URL", url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAYFIN_MQTT_URL", raising=False)
    get_settings.cache_clear()
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    runner = CliRunner()
    try:
        added = runner.invoke(app, ["sites", "add", "--code", "PH-CLI", "--name", "Gongbei",
                                    "--licence", "YP-1", "--lat", "22.222", "--lon", "113.544"])
        assert added.exit_code == 0, added.output
        assert runner.invoke(app, ["profiles", "create", "icbc-cli", "--bank", "ICBC"]).exit_code == 0
        terminal = runner.invoke(app, ["add", "--serial", "SN-CLI", "--site", "PH-CLI",
                                       "--profile", "icbc-cli", "--bank", "ICBC", "--json"])
        assert terminal.exit_code == 0, terminal.output
        terminal_id = json.loads(terminal.output)["id"]
        unknown_site = runner.invoke(app, ["add", "--serial", "SN-X", "--site", "NOPE",
                                           "--profile", "icbc-cli", "--bank", "ICBC"])
        assert unknown_site.exit_code == 2 and "Traceback" not in unknown_site.output
        history = runner.invoke(app, ["history", terminal_id, "--json"])
        assert history.exit_code == 0 and json.loads(history.output)["terminal"]["serial"] == "SN-CLI"
        assert runner.invoke(app, ["history", "nobody"]).exit_code == 2
        assert json.loads(runner.invoke(app, ["refusals", "--json"]).output) == []
        queue = runner.invoke(app, ["alarms", "list", "--site", "PH-CLI", "--severity", "CRITICAL", "--json"])
        assert queue.exit_code == 0 and json.loads(queue.output) == []
    finally:
        get_settings.cache_clear()
