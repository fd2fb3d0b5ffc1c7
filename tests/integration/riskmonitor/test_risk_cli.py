"""``bayfin risk …`` end to end over a small generated region on a fresh SQLite data directory."""

import json

import pytest
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.settings import get_settings
from bayfin.riskmonitor import classifier
from tests.integration.riskmonitor.evidence import monitor


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BAYFIN_DATABASE_URL", raising=False)
    # The small classifier the other tests train once, instead of the full one per platform.
    monkeypatch.setitem(classifier._CACHE, 7, monitor().classifier)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    assert invoke("db", "upgrade").exit_code == 0
    yield invoke
    get_settings.cache_clear()


def test_a_region_is_generated_ingested_scored_evaluated_and_worked_from_the_command_line(cli, tmp_path):
    region = tmp_path / "region"
    assert cli("demo", "generate", "--enterprises", "400", "--seed", "3", str(region)).exit_code == 0
    assert cli("hub", "ingest-all", str(region)).exit_code == 0
    assert cli("risk", "generate", str(region), "--enterprises", "400", "--seed", "3").exit_code == 0
    out = cli("risk", "ingest", str(region), "--json")
    assert out.exit_code == 0, out.output
    reports = json.loads(out.output)
    assert all(r["rows_in"] == r["stored"] + r["duplicate"] + r["quarantined"] for r in reports)
    again = json.loads(cli("risk", "ingest", str(region), "--json").output)
    assert all(r["already_ingested"] for r in again)
    scored = json.loads(cli("risk", "score", "--json").output)
    assert scored["scored"] > 350
    evaluation = json.loads(cli("risk", "evaluate", str(region), "--json").output)
    assert evaluation["truly_risky"] == 5 and evaluation["precision"] >= 0.6
    watch = json.loads(cli("risk", "watchlist", "--minimum", "attention", "--json").output)
    assert watch
    portrait = cli("risk", "portrait", watch[0]["credit_code"], "--json")
    assert portrait.exit_code == 0 and json.loads(portrait.output)["tags"]
    leads = json.loads(cli("risk", "leads", "list", "--json").output)
    if leads:
        moved = cli("risk", "leads", "dispatch", leads[0]["id"], "--to", "天河区金融工作局", "--json")
        assert json.loads(moved.output)["status"] == "dispatched"
    assert cli("risk", "review", "list", "--json").exit_code == 0
