import polars as pl

from bayfin.antifraud.engine.eventfile import event_from_row, read_rows
from bayfin.simulation.antifraud.handbook import simulate_handbook
from bayfin.simulation.antifraud.simulator import SCENARIOS, simulate


def test_the_bank_simulation_is_reproducible_by_seed_and_labels_every_scenario(tmp_path):
    first = simulate(tmp_path / "a", customers=400, days=2, seed=11, fraud_rate=30)
    second = simulate(tmp_path / "b", customers=400, days=2, seed=11, fraud_rate=30)
    other = simulate(tmp_path / "c", customers=400, days=2, seed=12, fraud_rate=30)
    assert first == second and first != other
    a = pl.read_parquet(tmp_path / "a" / "events-2026-01-01.parquet")
    assert a.equals(pl.read_parquet(tmp_path / "b" / "events-2026-01-01.parquet"))
    assert set(first["by_scenario"]) == set(SCENARIOS)
    assert a["occurred_at"].is_sorted() and a["event_id"].n_unique() == a.height


def test_every_simulated_row_is_a_valid_event(tmp_path):
    simulate(tmp_path, customers=200, days=1, seed=3, fraud_rate=50)
    rows = list(read_rows(tmp_path))
    events = [event_from_row(row) for row in rows]
    assert len(events) == len(rows) > 100
    assert any(e.card is not None and not e.card.present for e in events)
    assert any(e.behaviour is not None and e.behaviour.on_call for e in events)


def test_the_handbook_profile_follows_the_published_design(tmp_path):
    summary = simulate_handbook(tmp_path, customers=300, terminals=600, days=30, seed=0)
    tx = pl.read_parquet(tmp_path / "transactions.parquet")
    customers = pl.read_parquet(tmp_path / "customers.parquet")
    terminals = pl.read_parquet(tmp_path / "terminals.parquet")
    assert tx.height == summary["transactions"] and summary["fraud"] == int(tx["TX_FRAUD"].sum())
    assert customers["mean_amount"].min() >= 5 and customers["mean_amount"].max() <= 100
    assert customers["mean_nb_tx_per_day"].max() <= 4
    # every transaction happens at a terminal within radius 5 of the customer's home
    joined = tx.join(
        customers.select("customer_id", "x", "y"), left_on="CUSTOMER_ID", right_on="customer_id"
    ).join(terminals.rename({"x": "tx", "y": "ty"}), left_on="TERMINAL_ID", right_on="terminal_id")
    assert ((joined["x"] - joined["tx"]) ** 2 + (joined["y"] - joined["ty"]) ** 2).max() < 25
    # scenario 1: every amount above 220 is fraud; scenario 3 multiplies amounts by five
    assert tx.filter(pl.col("TX_AMOUNT") > 220)["TX_FRAUD"].min() == 1
    assert set(tx.filter(pl.col("TX_FRAUD") == 1)["TX_FRAUD_SCENARIO"].unique()) <= {1, 2, 3}
    assert tx.filter(pl.col("TX_FRAUD") == 0)["TX_FRAUD_SCENARIO"].max() == 0
    assert tx["TX_TIME_SECONDS"].is_sorted() and tx["TX_TIME_DAYS"].max() == 29
    again = simulate_handbook(tmp_path / "again", customers=300, terminals=600, days=30, seed=0)
    assert again == summary


def test_replay_skips_a_malformed_row_and_says_why(tmp_path):
    from bayfin.antifraud.engine.engine import DecisionEngine
    from bayfin.antifraud.engine.ruleset import RuleRegistry, load_ruleset
    from bayfin.antifraud.learning.replay import replay

    simulate(tmp_path / "sim", customers=50, days=1, seed=2)
    frame = pl.read_parquet(tmp_path / "sim" / "events-2026-01-01.parquet")
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.lit("mobile.transfer.teleport"))
        .otherwise(pl.col("type"))
        .alias("type")
    )
    path = tmp_path / "events-broken.parquet"
    broken.write_parquet(path)
    report = replay(path, DecisionEngine(RuleRegistry(load_ruleset())))
    assert report.rejected == 1 and report.events == frame.height - 1
    assert "unknown transaction type" in report.first_errors[0]
