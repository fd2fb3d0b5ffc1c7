"""The CLI seeds, checks and settles a real database; the demo seeder leaves a balanced ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayfin import migrations
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import get_settings
from bayfin.sscard.cli import app
from bayfin.sscard.demo import seed_demo
from bayfin.sscard.ledger import check_ledger


def test_the_cli_seeds_lists_checks_and_settles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("BAYFIN_DATABASE_URL", url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    runner = CliRunner()
    seeded = runner.invoke(app, ["seed", "--json"])
    assert seeded.exit_code == 0, seeded.output
    assert '"banks_added": 13' in seeded.output
    assert runner.invoke(app, ["banks", "list", "--json"]).output.count('"iin"') == 13
    assert runner.invoke(app, ["rates", "set", "--currency", "344", "--mid", "0.92"]).exit_code == 0
    refused = runner.invoke(app, ["rates", "set", "--currency", "840", "--mid", "7"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert runner.invoke(app, ["ledger", "check"]).exit_code == 0
    checked = runner.invoke(app, ["ledger", "check", "--json"])
    assert checked.exit_code == 0 and '"CNY": 0' in checked.output, checked.output
    settled = runner.invoke(app, ["settlement", "run", "--out", str(tmp_path / "files")])
    assert settled.exit_code == 0, settled.output
    get_settings.cache_clear()


def test_the_demo_seeds_banks_channels_holders_and_traffic(platform, tmp_path: Path) -> None:
    summary = seed_demo(platform, tmp_path, seed=3)
    assert summary["banks"] == 13 and summary["channels"] == 53 and summary["approved"] > 0
    with platform.session_factory() as s:
        assert check_ledger(s).ok
