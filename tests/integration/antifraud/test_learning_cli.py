import json
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from typer.testing import CliRunner

from bayfin.cli.main import app


def _bank_table(path, n=6000, seed=0):
    rng = np.random.default_rng(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    amount = rng.lognormal(5, 1, n)
    night = rng.integers(0, 2, n)
    fraud = ((amount > 400) & (night == 1) & (rng.uniform(size=n) < 0.8)).astype(int)
    pl.DataFrame({
        "ts": [start + timedelta(minutes=int(m)) for m in np.sort(rng.uniform(0, 40 * 1440, n))],
        "amount": amount, "night": night, "card": rng.integers(0, 300, n), "is_fraud": fraud,
        "note": ["x"] * n,  # a text column is not a feature
    }).write_csv(path)


def test_a_bank_table_trains_registers_promotes_and_evaluates_from_the_command_line(tmp_path):
    table = tmp_path / "history.csv"
    _bank_table(table)
    registry = tmp_path / "models"
    runner = CliRunner()
    common = ["--table", str(table), "--label", "is_fraud", "--time", "ts", "--registry", str(registry)]
    r = runner.invoke(app, ["fraud", "train", *common, "--card", "card", "--rounds", "30", "--json"])
    assert r.exit_code == 0, r.output
    trained = json.loads(r.output)
    assert trained["version"] == 1 and trained["folds"] == 4 and trained["features"] == 2
    assert trained["auc"] > 0.9 and "card_precision_at_100" in trained
    r = runner.invoke(app, ["fraud", "evaluate", *common])
    assert r.exit_code == 2  # nothing is live yet
    assert runner.invoke(app, ["fraud", "models", "promote", "1", "--registry", str(registry)]).exit_code == 0
    r = runner.invoke(app, ["fraud", "evaluate", *common, "--card", "card", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["auc"] > 0.9
    listed = json.loads(runner.invoke(app, ["fraud", "models", "list", "--registry", str(registry),
                                            "--json"]).output)
    assert [(m["version"], m["status"]) for m in listed] == [(1, "live")]


def test_a_missing_label_column_is_refused_with_its_name(tmp_path):
    table = tmp_path / "history.csv"
    _bank_table(table, n=200)
    r = CliRunner().invoke(app, ["fraud", "train", "--table", str(table), "--label", "chargeback",
                                 "--time", "ts", "--registry", str(tmp_path / "m")])
    assert r.exit_code == 2 and "chargeback" in r.output


def test_an_operator_works_cases_from_the_command_line(tmp_path, monkeypatch):
    from bayfin.antifraud.cases.service import open_case
    from bayfin.cli.context import open_platform
    from bayfin.kernel.settings import get_settings

    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BAYFIN_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        with open_platform() as platform, platform.unit_of_work() as uow:
            case_id = open_case(uow.session, event_id="ev-9", customer_id="c", amount_fen=500_000, score=70,
                                rules=["R9"], institution_id=None).id
            uow.commit()
        listed = json.loads(runner.invoke(app, ["fraud", "cases", "list", "--json"]).output)
        assert [c["event_id"] for c in listed] == ["ev-9"]
        assert runner.invoke(app, ["fraud", "cases", "assign", str(case_id), "--to", "ana"]).exit_code == 0
        assert runner.invoke(app, ["fraud", "cases", "note", str(case_id), "called", "--contact", "phone"]
                             ).exit_code == 0
        r = runner.invoke(app, ["fraud", "cases", "decide", str(case_id), "confirm", "--json"])
        assert r.exit_code == 0 and json.loads(r.output)["status"] == "confirmed"
        assert runner.invoke(app, ["fraud", "cases", "decide", str(case_id), "release"]).exit_code == 1
        assert runner.invoke(app, ["fraud", "cases", "labels", str(tmp_path / "l.csv")]).exit_code == 0
        assert (tmp_path / "l.csv").read_text().splitlines()[1].startswith("ev-9,1,")
    finally:
        get_settings.cache_clear()


def test_rules_and_model_are_evaluated_together_on_the_handbook_profile(tmp_path):
    from bayfin.antifraud.learning.model import prequential
    from bayfin.antifraud.learning.training import handbook_features
    from bayfin.simulation.antifraud.handbook import simulate_handbook

    simulate_handbook(tmp_path / "hb", customers=400, terminals=800, days=45, seed=2)
    runner = CliRunner()
    r = runner.invoke(app, ["fraud", "evaluate", "--handbook", str(tmp_path / "hb"), "--combined",
                            "--start-day", "10", "--folds", "2", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert len(report["folds"]) == 2 and report["rules"] == 207
    table = handbook_features(tmp_path / "hb" / "transactions.parquet")
    alone, _model = prequential(table.x, table.y, table.day, table.names, card=table.card, start_day=10,
                                folds=2)
    for fold, expected in zip(report["folds"], alone, strict=True):
        assert fold["model"]["auc"] == round(expected.auc, 4)  # the same folds and model as `fraud train`
        # the model only adds points: everything the rules hold, rules + model hold too
        assert fold["combined_decisions"]["flagged"] >= fold["rules_decisions"]["flagged"]
        assert fold["combined_decisions"]["caught"] >= fold["rules_decisions"]["caught"]
    assert report["mean"]["combined"]["average_precision"] > report["mean"]["rules"]["average_precision"]
    r = runner.invoke(app, ["fraud", "evaluate", "--handbook", str(tmp_path / "hb"), "--combined",
                            "--start-day", "10", "--folds", "1"])
    assert r.exit_code == 0 and "rules + model" in r.output
    assert runner.invoke(app, ["fraud", "evaluate", "--combined"]).exit_code == 2


def test_the_model_can_learn_from_the_engines_own_features_beside_the_handbooks(tmp_path):
    from bayfin.simulation.antifraud.handbook import simulate_handbook

    simulate_handbook(tmp_path / "hb", customers=400, terminals=800, days=50, seed=3)
    runner = CliRunner()
    common = ["fraud", "evaluate", "--handbook", str(tmp_path / "hb"), "--combined", "--train-days", "14",
              "--folds", "2", "--engine-features"]
    r = runner.invoke(app, [*common, "--start-day", "5", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["train_days"] == 14 and report["features"] > 15 + 20  # the book's 15 and the engine's
    assert [f["test_days"][0] for f in report["folds"]] == [5 + 14 + 7, 5 + 14 + 7 + 7]
    for fold in report["folds"]:
        assert fold["known_excluded"] > 0  # cards caught before the test week are not scored again
        assert fold["model"]["auc"] > 0.7


def test_hyper_parameters_are_chosen_on_validation_folds_before_the_test_folds(tmp_path):
    from bayfin.antifraud.learning.model import PARAM_GRID
    from bayfin.simulation.antifraud.handbook import simulate_handbook

    simulate_handbook(tmp_path / "hb", customers=300, terminals=600, days=60, seed=4)
    runner = CliRunner()
    common = ["fraud", "evaluate", "--handbook", str(tmp_path / "hb"), "--combined", "--folds", "2",
              "--select"]
    r = runner.invoke(app, [*common, "--start-day", "20", "--json"])
    assert r.exit_code == 0, r.output
    selection = json.loads(r.output)["selection"]
    assert len(selection["trials"]) == len(PARAM_GRID)
    best = max(selection["trials"], key=lambda t: t["validation"]["auc"])
    assert all(selection["chosen"].get(k) == v for k, v in best["params"].items())
    # too little history before day 10 for two validation weeks: refused, not a traceback
    r = runner.invoke(app, [*common, "--start-day", "10"])
    assert r.exit_code == 2 and "model selection needs 14 days" in r.output
