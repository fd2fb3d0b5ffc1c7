"""The one-definition rule for backtests: the vectorised feature pass equals the engine's
``FeatureComputer`` on the same events, column by column and row by row; and the pass run on only
the features a rule set names, stored compactly or read a column at a time, equals the full pass on
those features, so a backtest reports exactly the same."""

import shutil
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import bayfin.antifraud
from bayfin.antifraud.engine.eventfile import polars_schema, read_frame
from bayfin.antifraud.engine.features import FEATURE_DEFAULTS
from bayfin.antifraud.engine.ruleset import load_ruleset
from bayfin.antifraud.learning.backtest import (
    backtest,
    event_scan,
    event_table,
    feature_frame,
    per_event_features,
    rule_features,
)
from bayfin.antifraud.learning.vectorised import NotExact, vectorised_features
from bayfin.simulation.antifraud.simulator import simulate


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


def _card_row(n, at, card, merchant, ip):
    row = dict.fromkeys(polars_schema())
    row.update(event_id=f"k{n}", occurred_at=at, channel="terminal", type="terminal.card.pos_chip",
               customer_id=f"c-{card}", account_id=f"a-{card}", amount_fen=500 + n % 900, is_fraud=False,
               card_pan_hash=card, card_present=True, merchant_id=merchant, mcc="5411", merchant_country="CN",
               ip=ip)
    return row


def test_a_merchant_and_an_ip_past_the_value_cap_forget_as_the_engine_does_even_at_the_same_second():
    # 320 cards at one merchant (many in the same second, which the engine's map breaks by insertion
    # order), some cards coming back, a 31-day gap that makes the engine purge, then old and new cards
    start = datetime(2026, 1, 5, 2, tzinfo=UTC)
    rows, n = [], 0
    for i in range(320):
        at = start + timedelta(seconds=(i // 7) * 20)  # seven sightings per second
        for card in (f"K{i}", f"K{i // 3}") if i % 5 == 0 else (f"K{i}",):
            rows.append(_card_row(n, at, card, "HUB", f"10.0.0.{i % 3}"))
            n += 1
    later = start + timedelta(days=31)
    for i in range(0, 400, 2):
        at = later + timedelta(seconds=(i // 9) * 30)
        rows.append(_card_row(n, at, f"K{i}" if i % 4 else f"N{i}", "HUB", f"10.0.0.{i % 2}"))
        n += 1
    table = pl.DataFrame(rows, schema=polars_schema())
    vectorised = vectorised_features(table)
    _assert_same(per_event_features(table), vectorised)
    assert vectorised["mer_cards_24h"].max() == 200 and vectorised["ip_cards_1h"].max() > 100  # capped
    wanted = {"mer_cards_1h", "mer_cards_24h", "ip_customers_24h", "ip_cards_1h", "card_new_merchant"}
    alone = vectorised_features(table, only=wanted, compact=True)
    for column in wanted:
        assert alone[column].to_list() == vectorised[column].to_list(), column


def test_payers_forgotten_in_the_same_second_are_forgotten_in_the_engines_order():
    # 203 payers pay one account, seven a second: the engine forgets three of the seven seen in the
    # first second, those it met first (P0–P2); 36 hours later P4 and P5 pay again and are still
    # remembered, P0 is new again
    start = datetime(2026, 1, 5, 2, tzinfo=UTC)
    rows = [_row(i, start + timedelta(seconds=i // 7), f"p{i}", ben_account="HUB", ben_bank="ICBC")
            for i in range(203)]
    later = start + timedelta(hours=36)
    rows += [_row(300 + k, later + timedelta(minutes=k), f"p{i}", ben_account="HUB", ben_bank="ICBC")
             for k, i in enumerate((4, 5, 0))]
    table = pl.DataFrame(rows, schema=polars_schema())
    vectorised = vectorised_features(table)
    _assert_same(per_event_features(table), vectorised)
    assert vectorised["ben_new_payers_24h"].tail(3).to_list() == [0, 0, 1]


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


# -- only the features a rule set names, stored compactly, read a column at a time

LABELS = ["_fraud", "_amount_fen", "_channel", "_type"]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    out = tmp_path_factory.mktemp("vectorised") / "sim"
    simulate(out, customers=250, days=4, seed=11, fraud_rate=30)
    return out


@pytest.fixture(scope="module")
def ordered(history):
    return read_frame(history).sort("occurred_at", maintain_order=True)


@pytest.fixture(scope="module")
def every_feature(ordered):
    return vectorised_features(ordered)


@pytest.mark.parametrize("name", list(FEATURE_DEFAULTS))
def test_each_feature_computed_alone_equals_its_column_in_the_full_pass(name, ordered, every_feature):
    alone = vectorised_features(ordered, only={name}, compact=True)
    assert alone.columns == [name, *LABELS]
    for column in alone.columns:
        assert alone[column].to_list() == every_feature[column].to_list(), column


def test_the_features_the_shipped_rules_name_are_computed_alone_and_equal_the_full_pass(ordered,
                                                                                        every_feature):
    needed = rule_features(load_ruleset())
    subset = vectorised_features(ordered, only=needed, compact=True)
    assert subset.columns == [n for n in FEATURE_DEFAULTS if n in needed] + LABELS
    for column in subset.columns:
        assert subset[column].to_list() == every_feature[column].to_list(), column
    assert subset.estimated_size() < every_feature.estimated_size() / 2  # fewer and narrower columns


def test_compact_columns_hold_the_same_values_in_narrower_types(ordered, every_feature):
    compact = vectorised_features(ordered, compact=True)
    _assert_same(every_feature, compact)
    assert every_feature["cust_out_count_1h"].dtype == pl.Int64
    assert compact["cust_out_count_1h"].dtype == pl.Int8
    assert compact["_amount_fen"].dtype == pl.Int64 and compact["amount_zscore"].dtype == pl.Float64


def test_an_unknown_feature_name_is_refused(ordered):
    with pytest.raises(ValueError, match="no_such_feature"):
        vectorised_features(ordered, only={"amount_yuan", "no_such_feature"})


def _reshuffled(history, out):
    """The day files with their rows out of order and one of them missing some columns."""
    out.mkdir()
    for index, file in enumerate(sorted(history.glob("events-*.parquet"))):
        frame = pl.read_parquet(file).sample(fraction=1.0, shuffle=True, seed=index)
        if index == 1:
            frame = frame.drop("mcc", "merchant_country", "sim_age_hours")
        frame.write_parquet(out / file.name)
    return out


def test_the_files_read_a_column_at_a_time_give_the_features_of_the_ordered_table(history, every_feature):
    _assert_same(every_feature, vectorised_features(event_scan(history)))
    table = event_table(history)
    assert table.equals(read_frame(history).sort("occurred_at", maintain_order=True).select(table.columns))


def test_files_out_of_order_or_without_some_columns_read_as_the_sorted_concatenation(history, tmp_path):
    shuffled = _reshuffled(history, tmp_path / "shuffled")
    table = read_frame(shuffled).sort("occurred_at", maintain_order=True)
    assert not pl.concat([pl.read_parquet(f, columns=["occurred_at"]) for f in sorted(shuffled.iterdir())]
                         )["occurred_at"].is_sorted()
    _assert_same(vectorised_features(table), vectorised_features(event_scan(shuffled)))
    assert event_table(shuffled).equals(table.select(event_table(shuffled).columns))


def _candidate(tmp_path):
    """The shipped rules with one switched off, plus rules doing arithmetic that would overflow a
    narrow (8-bit) column if it were not widened first."""
    shipped = Path(bayfin.antifraud.__file__).parent / "engine" / "rulesets" / "default"
    candidate = shutil.copytree(shipped, tmp_path / "candidate")
    mule = candidate / "money_mule.yaml"
    mule.write_text(mule.read_text().replace("- id: MULE-001\n", "- id: MULE-001\n  mode: off\n"))
    (candidate / "arithmetic.yaml").write_text(textwrap.dedent("""\
        typology: arithmetic
        description: Conditions with arithmetic on small counts.
        rules:
        - id: ARI-001
          name: Many outflows, scaled
          when: cust_out_count_24h * 100 >= 500
          score: 40
          reason: ARI_SCALED_COUNT
        - id: ARI-002
          name: Payers and devices together
          when: abs(ben_payers_24h * 100 - dev_customers_24h * 120) >= 200 or -hour * 10 < -220
          score: 70
          reason: ARI_PAYERS_DEVICES
        """))
    return load_ruleset(candidate)


def test_a_backtest_on_only_the_named_features_reports_exactly_what_it_reports_on_all_of_them(
        history, every_feature, tmp_path):
    candidate, live = _candidate(tmp_path), load_ruleset()
    needed = rule_features(candidate, live)
    subset = feature_frame(history, only=needed)
    assert set(subset.columns) == needed | set(LABELS)
    report = backtest(subset, candidate, live)
    assert report == backtest(every_feature, candidate, live)
    assert {r["rule"] for r in report["candidate"]["rules"]} >= {"ARI-001", "ARI-002"}
    assert next(r for r in report["candidate"]["rules"] if r["rule"] == "ARI-001")["hits"] > 0
    assert report["candidate"]["flagged"] > 0 and report["difference"]["newly_flagged"] > 0


def test_a_feature_cache_is_reused_only_when_it_holds_every_feature_asked_for(history, tmp_path):
    cache = tmp_path / "features.parquet"
    first = feature_frame(history, cache=cache, only={"amount_yuan"})
    assert first.columns == ["amount_yuan", *LABELS]
    again = feature_frame(history, cache=cache, only={"amount_yuan"})
    assert again.equals(first)
    wider = feature_frame(history, cache=cache, only={"amount_yuan", "cust_out_count_1h"})
    assert wider.columns == ["amount_yuan", "cust_out_count_1h", *LABELS]
    assert set(pl.read_parquet_schema(cache)) == set(wider.columns)
