import json

import pytest
from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.settings import get_settings


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BAYFIN_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield runner
    get_settings.cache_clear()


def test_simulate_replay_and_totals_from_the_command_line(cli, tmp_path):
    out = tmp_path / "sim"
    r = cli.invoke(
        app,
        [
            "fraud",
            "simulate",
            str(out),
            "--customers",
            "150",
            "--days",
            "1",
            "--seed",
            "4",
            "--fraud-rate",
            "40",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    r = cli.invoke(app, ["fraud", "replay", str(out), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output[r.output.index("{") :])
    assert report["events"] == report["recorded"] > 100 and report["fraud_caught"] > 0
    r = cli.invoke(app, ["fraud", "totals", "--by", "outcome", "--json"])
    totals = {row["group"]: row for row in json.loads(r.output)}
    assert sum(row["decisions"] for row in totals.values()) == report["events"]


def test_rules_validate_passes_on_the_shipped_rules_and_fails_on_a_broken_file(cli, tmp_path):
    r = cli.invoke(app, ["fraud", "rules", "validate", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["rules"] >= 200
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "ruleset.yaml").write_text("name: b\nversion: '1'\n")
    (broken / "x.yaml").write_text(
        "typology: x\nrules:\n  - {id: X1, when: 'amount_yuan >', score: 5, reason: R}\n"
    )
    r = cli.invoke(app, ["fraud", "rules", "validate", str(broken)])
    assert r.exit_code == 1 and "syntax error" in r.output


def test_lists_from_the_command_line(cli):
    r = cli.invoke(
        app, ["fraud", "lists", "add", "block", "device", "dev-1", "--reason", "takeover", "--days", "2"]
    )
    assert r.exit_code == 0, r.output
    shown = json.loads(cli.invoke(app, ["fraud", "lists", "show", "--json"]).output)
    assert [e["value"] for e in shown] == ["dev-1"]
    assert cli.invoke(app, ["fraud", "lists", "remove", str(shown[0]["id"])]).exit_code == 0
    assert json.loads(cli.invoke(app, ["fraud", "lists", "show", "--json"]).output) == []


def test_the_catalogue_and_rule_listings(cli):
    types = json.loads(cli.invoke(app, ["fraud", "types", "--channel", "terminal", "--json"]).output)
    assert types and all(t["code"].startswith("terminal.") for t in types)
    rules = json.loads(cli.invoke(app, ["fraud", "rules", "list", "--typology", "sim_swap", "--json"]).output)
    assert len(rules) >= 20 and {r["typology"] for r in rules} == {"sim_swap"}
