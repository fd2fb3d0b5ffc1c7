"""The CLI seeds, checks and settles a real database; the demo seeder leaves a balanced ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayfin import migrations
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import get_settings
from bayfin.simulation.sscard.demo import seed_demo
from bayfin.sscard.accounts.ledger import check_ledger
from bayfin.sscard.cli import app


def _migrated_cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI at a new, migrated SQLite database in ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("BAYFIN_DATABASE_URL", url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()


def test_the_cli_seeds_lists_checks_and_settles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _migrated_cli_database(tmp_path, monkeypatch)
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


def test_the_cli_registers_issues_and_deposits_exactly_once(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    _migrated_cli_database(tmp_path, monkeypatch)
    runner = CliRunner()
    assert runner.invoke(app, ["seed"]).exit_code == 0
    registered = runner.invoke(app, ["holders", "register", "--name", "张美玲", "--id-number",
                                     "440106198501012345", "--json"])
    assert registered.exit_code == 0, registered.output
    holder = json.loads(registered.output)
    assert holder["name"] == "张**" and "440106198501012345" not in registered.output
    again = runner.invoke(app, ["holders", "register", "--name", "张美玲",
                                "--id-number", "440106198501012345"])
    assert again.exit_code == 2 and "Traceback" not in again.output
    issued = runner.invoke(app, ["cards", "issue", holder["id"], "--bank", "GZCB", "--json"])
    assert issued.exit_code == 0, issued.output
    card = json.loads(issued.output)
    assert card["pan"].startswith("621418") and len(card["initial_pin"]) == 6
    chosen = runner.invoke(app, ["cards", "issue", holder["id"], "--bank", "ICBC", "--pin-prompt", "--json"],
                           input="4321\n4321\n")
    assert chosen.exit_code == 0 and "initial_pin" not in chosen.output and "4321" not in chosen.output

    deposit = ["cards", "deposit", card["card_id"], "--amount", "1,234.50", "--reference", "T-77", "--json"]
    first = json.loads(runner.invoke(app, deposit).output)
    second = json.loads(runner.invoke(app, deposit).output)
    assert first["replayed"] is False and second["replayed"] is True
    assert first["txn_id"] == second["txn_id"] and second["balance_yuan"] == "1234.50"
    for bad in ("0", "-3", "1.005", "abc", "NaN"):
        refused = runner.invoke(app, ["cards", "deposit", card["card_id"], "--amount", bad,
                                      "--reference", "X"])
        assert refused.exit_code == 2 and "Traceback" not in refused.output, (bad, refused.output)
    reused = runner.invoke(app, ["cards", "deposit", card["card_id"], "--amount", "9", "--reference", "T-77"])
    assert reused.exit_code == 2 and "another deposit" in reused.output
    assert runner.invoke(app, ["ledger", "check"]).exit_code == 0
    get_settings.cache_clear()
