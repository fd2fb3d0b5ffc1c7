"""``bayfin hub …`` end to end on a fresh SQLite data directory."""

import json

import pytest
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.settings import get_settings
from tests.integration.creditdata.deliveries import REG_HEADER, code, reg_line, write


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAYFIN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    assert invoke("db", "upgrade").exit_code == 0
    yield invoke
    get_settings.cache_clear()


def test_ingest_status_quarantine_and_show_work_from_the_command_line(cli, tmp_path):
    first = write(tmp_path / "a.csv", REG_HEADER, [reg_line(1), reg_line(2, capital="n/a")])
    fix = write(tmp_path / "b.csv", REG_HEADER, [reg_line(1, capital="900")])
    out = cli("hub", "ingest", str(first), "--source", "amr_registration", "--as-of", "2023-01-10", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["stored"] == 1
    assert (
        cli("hub", "ingest", str(fix), "--source", "amr_registration", "--as-of", "2024-01-10").exit_code == 0
    )
    status = json.loads(cli("hub", "status", "--json").output)
    assert status["totals"] == {
        "batches": 2,
        "rows_in": 3,
        "stored": 1,
        "updated": 1,
        "unchanged": 0,
        "quarantined": 1,
    }
    rows = json.loads(cli("hub", "quarantine", "list", "--json").output)
    assert [(r["row_number"], r["reason"]) for r in rows] == [(2, "invalid_amount")]
    then = json.loads(cli("hub", "show", code(1), "--as-of", "2023-06-01", "--json").output)
    assert then["registration"]["values"]["registered_capital_fen"] == 100_000_000
    assert cli("hub", "show", code(1)).exit_code == 0


def test_unknown_sources_and_enterprises_fail_with_a_message(cli, tmp_path):
    path = write(tmp_path / "a.csv", REG_HEADER, [reg_line(1)])
    bad = cli("hub", "ingest", str(path), "--source", "no_such_department")
    assert bad.exit_code == 1 and "no mapping" in bad.output
    missing = cli("hub", "show", code(5))
    assert missing.exit_code == 1 and "no data" in missing.output
