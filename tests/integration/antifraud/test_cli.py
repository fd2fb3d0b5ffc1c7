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


def test_the_shadow_report_command_compares_the_models_on_the_recorded_decisions(cli, tmp_path):
    from bayfin.antifraud.engine.engine import DecisionEngine
    from bayfin.antifraud.service import FraudService
    from bayfin.antifraud.settings import FraudSettings
    from bayfin.antifraud.wiring import decision_announcer
    from bayfin.cli.context import open_platform
    from tests.antifraud_events import event
    from tests.antifraud_models import quiet_rules, registry_with_two_models

    registry = registry_with_two_models(tmp_path / "models")
    registry.promote(1)
    registry.set_shadow(2)
    service = FraudService(DecisionEngine(quiet_rules(tmp_path)), FraudSettings(
        models_dir=registry.root, model_reload_seconds=0, lists_refresh_seconds=0),
        announcer=decision_announcer())
    with open_platform() as platform, platform.unit_of_work() as uow:
        for n in range(3):
            amount = 1_500_000 if n else 100_000
            service.decide(event(n, amount_fen=amount, minutes=n * 5), session=uow.session)
        uow.commit()
    r = cli.invoke(app, ["fraud", "shadow-report", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["decisions"] == 3 and report["decision_changes"] == {"ALLOW->BLOCK": 2}
    assert report["labelled"]["cases"] == 0  # the two shadow alerts are open cases, not yet decided
    r = cli.invoke(app, ["fraud", "shadow-report"])
    assert r.exit_code == 0 and "ALLOW->BLOCK" in r.output
