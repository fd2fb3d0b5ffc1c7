"""The one-definition rule for backtests: the vectorised feature pass equals the engine's
``FeatureComputer`` on the same events, column by column and row by row."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from bayfin.antifraud.backtest import feature_frame, per_event_features
from bayfin.antifraud.eventfile import polars_schema, read_frame
from bayfin.antifraud.simulator import simulate
from bayfin.antifraud.vectorised import NotExact, vectorised_features


def _assert_same(per_event, vectorised):
    assert per_event.columns == vectorised.columns and per_event.height == vectorised.height
    for column in per_event.columns:
        assert per_event[column].to_list() == vectorised[column].to_list(), column


def test_the_vectorised_pass_equals_the_engine_on_every_feature_of_a_simulated_history(tmp_path):
    simulate(tmp_path / "sim", customers=250, days=4, seed=11, fraud_rate=30)
    table = read_frame(tmp_path / "sim").sort("occurred_at", maintain_order=True)
    vectorised = vectorised_features(table)
    _assert_same(per_event_features(table), vectorised)
    assert vectorised.height > 2000 and vectorised["_fraud"].sum() > 50
    for busy in ("cust_out_count_1h", "cust_devices_24h", "ben_payers_24h", "hour_share", "amount_zscore",
                 "speed_kmh", "minutes_since_login", "passthrough_ratio", "mer_cards_24h"):
        assert vectorised[busy].drop_nulls().n_unique() > 1, busy  # the comparison covers real values


def _row(n, at, customer, **fields):
    row = dict.fromkeys(polars_schema())
    row.update(event_id=f"e{n}", occurred_at=at, channel="mobile", type="mobile.transfer.inter_bank",
               customer_id=customer, account_id=f"a-{customer}", amount_fen=10_000 + n, is_fraud=False,
               **fields)
    return row


def test_a_payee_with_more_payers_than_the_engine_remembers_is_replayed_with_the_engine_code():
    # 230 payers pay one account, then go quiet for 35 days and come back: the engine's payer map
    # overflows and forgets the quiet ones, so they count as new payers again; the pass must agree
    start = datetime(2026, 1, 5, 2, tzinfo=UTC)
    rows = [_row(i, start + timedelta(minutes=i), f"c{i}", ben_account="HUB", ben_bank="ICBC")
            for i in range(230)]
    later = start + timedelta(days=35)
    rows += [_row(600 + i, later + timedelta(minutes=i), f"n{i}", ben_account="HUB", ben_bank="ICBC")
             for i in range(5)]  # the first new payer overflows the map: the quiet ones are forgotten
    rows += [_row(300 + i, later + timedelta(hours=1, minutes=i), f"c{i}", ben_account="HUB", ben_bank="ICBC")
             for i in range(0, 230, 7)]
    table = pl.DataFrame(rows, schema=polars_schema())
    vectorised = vectorised_features(table)
    _assert_same(per_event_features(table), vectorised)
    assert vectorised["ben_new_payers_24h"][-1] == 5 + len(range(0, 230, 7))  # returners count as new


def test_a_customer_past_the_payee_cap_falls_back_to_the_engine_event_by_event(tmp_path):
    start = datetime(2026, 1, 5, 2, tzinfo=UTC)
    rows = [_row(i, start + timedelta(minutes=i), "spender", ben_account=f"P{i}", ben_bank="ICBC")
            for i in range(210)]
    table = pl.DataFrame(rows, schema=polars_schema())
    with pytest.raises(NotExact):
        vectorised_features(table)
    events = tmp_path / "events"
    events.mkdir()
    table.write_parquet(events / "events-2026-01-05.parquet")
    _assert_same(per_event_features(table), feature_frame(events))
