import shutil
from pathlib import Path

import pytest

import bayfin.antifraud
from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.eventfile import event_from_row, read_rows
from bayfin.antifraud.engine.ruleset import RuleRegistry, load_ruleset
from bayfin.antifraud.learning.backtest import backtest, condition_expr, feature_frame
from bayfin.simulation.antifraud.simulator import simulate


def default_rules_dir():
    return Path(bayfin.antifraud.__file__).parent / "engine" / "rulesets" / "default"


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    out = tmp_path_factory.mktemp("bt") / "events"
    simulate(out, customers=150, days=3, seed=3, fraud_rate=20.0)
    return out


def test_the_vectorised_rules_decide_every_event_as_the_engine_does(history, tmp_path):
    rules = load_ruleset(default_rules_dir())
    frame = feature_frame(history, cache=tmp_path / "features.parquet")
    report = backtest(frame, rules)
    engine = DecisionEngine(RuleRegistry(rules, default_rules_dir()))
    outcomes = [int(engine.decide(event_from_row(r)).outcome) for r in read_rows(history)]
    from bayfin.antifraud.engine.catalogue import load_catalogue
    from bayfin.antifraud.learning.backtest import _rule_columns

    vectorised, _ = _rule_columns(frame, rules, load_catalogue(), "c:")
    assert vectorised["c:outcome"].to_list() == outcomes
    assert report["candidate"]["events"] == len(outcomes) and report["candidate"]["flagged"] > 0
    assert (tmp_path / "features.parquet").exists()


def test_a_candidate_without_a_rule_shows_what_the_live_set_would_lose(history, tmp_path):
    live_dir = default_rules_dir()
    live = load_ruleset(live_dir)
    frame = feature_frame(history)
    candidate_dir = shutil.copytree(live_dir, tmp_path / "candidate")
    busiest = max(backtest(frame, live)["candidate"]["rules"], key=lambda r: r["hits"])
    for path in candidate_dir.glob("*.yaml"):
        text = path.read_text()
        if f"- id: {busiest['rule']}\n" in text:
            rule_id = busiest["rule"]
            path.write_text(text.replace(f"- id: {rule_id}\n", f"- id: {rule_id}\n  mode: off\n"))
    report = backtest(frame, load_ruleset(candidate_dir), live)
    assert report["difference"]["no_longer_flagged"] >= 0
    assert len(report["candidate"]["rules"]) == len(report["live"]["rules"]) - 1


def test_null_features_make_comparisons_false_but_negations_true():
    import polars as pl

    frame = pl.DataFrame({"x": [None, 5, 50]}, schema={"x": pl.Int64})
    assert frame.select(condition_expr("x > 10"))[:, 0].to_list() == [False, False, True]
    assert frame.select(condition_expr("not (x > 10)"))[:, 0].to_list() == [True, True, False]
    assert frame.select(condition_expr("x in (5, 6)"))[:, 0].to_list() == [False, True, False]


def test_backtest_from_the_command_line_reports_rules_and_the_difference(history, tmp_path):
    import json

    from typer.testing import CliRunner

    from bayfin.cli.main import app

    r = CliRunner().invoke(app, ["fraud", "backtest", "--rules", str(default_rules_dir()),
                                 "--events", str(history), "--features-cache", str(tmp_path / "f.parquet"),
                                 "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["difference"]["newly_flagged"] == 0 and report["candidate"]["rules"]
    assert set(report["candidate"]["false_positive_rate_by_channel"]) >= {"mobile"}
    from bayfin.antifraud.engine.features import FEATURE_DEFAULTS
    from bayfin.antifraud.engine.ruleset import load_ruleset
    from bayfin.antifraud.learning.backtest import rule_features

    named = rule_features(load_ruleset(default_rules_dir()))
    assert report["features_computed"] == len(named) < len(FEATURE_DEFAULTS)  # only what the rules read
    every = CliRunner().invoke(app, ["fraud", "backtest", "--rules", str(default_rules_dir()), "--events",
                                     str(history), "--all-features", "--json"])
    assert every.exit_code == 0, every.output
    assert json.loads(every.output)["features_computed"] == len(FEATURE_DEFAULTS)
    assert json.loads(every.output)["candidate"] == report["candidate"]  # the same report either way
    bad = CliRunner().invoke(app, ["fraud", "backtest", "--rules", str(tmp_path), "--events", str(history)])
    assert bad.exit_code == 2
