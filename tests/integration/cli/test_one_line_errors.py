"""Every command says a refused setting, an unreachable database or an unmigrated one in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayfin import migrations
from bayfin.cli.main import app
from bayfin.kernel.settings import get_settings

#: Commands of several modules that all need the database.
COMMANDS = [["db", "current"], ["audit", "verify"], ["hub", "status"], ["fraud", "totals"],
            ["identity", "users", "list"], ["risk", "leads", "list"], ["monitoring", "scan"]]


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def fresh_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("BAYFIN_DATABASE_URL", "BAYFIN_ENVIRONMENT", "BAYFIN_AUDIT_KEY", "BAYFIN_ISSUER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_refused_production_setting_is_one_line_and_exit_2(fresh_env, command):
    fresh_env.setenv("BAYFIN_ENVIRONMENT", "production")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    line = _one_line(result)
    assert line.startswith("bayfin: refused settings:") and "BAYFIN_DATABASE_URL" in line


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unreachable_database_is_one_line_without_its_password(fresh_env, command):
    fresh_env.setenv("BAYFIN_DATABASE_URL", "postgresql://bayfin:hunter2-secret@127.0.0.1:9/bayfin")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    line = _one_line(result)
    assert "cannot reach the database" in line and "hunter2-secret" not in result.output


@pytest.mark.parametrize("command", COMMANDS[1:], ids=" ".join)
def test_a_new_folder_says_to_run_db_upgrade(fresh_env, command):
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1
    assert "run `bayfin db upgrade`" in _one_line(result)


def test_fraud_replay_in_a_new_folder_says_to_run_db_upgrade(cli, tmp_path: Path):
    events = tmp_path / "events.csv"
    events.write_text("event_id,occurred_at\n")
    result = cli.invoke(app, ["fraud", "replay", str(events)])
    assert result.exit_code == 1
    assert "has no bayfin tables: run `bayfin db upgrade`" in _one_line(result)
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0


def test_a_database_behind_this_release_names_the_missing_migrations(cli):
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert cli.invoke(app, ["db", "downgrade", "antifraud_0001", "--yes"]).exit_code == 0
    result = cli.invoke(app, ["hub", "status"])
    assert result.exit_code == 1
    line = _one_line(result)
    antifraud_head = next(h for h in migrations.heads() if h.startswith("antifraud_"))
    assert f"not migrated to this release (behind: {antifraud_head})" in line
    assert cli.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert cli.invoke(app, ["hub", "status"]).exit_code == 0


def test_db_upgrade_on_an_empty_database_prints_no_error(cli):
    result = cli.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "database at" in result.stdout


def test_the_real_command_prints_one_line_not_a_traceback(fresh_env, tmp_path: Path):
    script = Path(sys.executable).parent / "bayfin"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BAYFIN_ENVIRONMENT": "production",
           "BAYFIN_DATA_DIR": str(tmp_path / "var")}
    done = subprocess.run([str(script), "hub", "status"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "refused settings" in done.stderr
