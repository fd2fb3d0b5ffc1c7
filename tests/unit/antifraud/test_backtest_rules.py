"""Backtest rules, pure: which features a rule set needs, and that how a feature column is stored
(64 bits or narrower) never changes what a rule decides."""

import math
import random

import polars as pl
import pytest

from bayfin.antifraud.engine.features import FEATURE_DEFAULTS
from bayfin.antifraud.engine.ruleset import load_ruleset
from bayfin.antifraud.learning.arrays import _round
from bayfin.antifraud.learning.backtest import condition_expr, rule_features


def test_a_rule_set_needs_exactly_the_features_its_active_rules_read():
    shipped = load_ruleset()
    active = [r for r in shipped.rules if r.mode == "active"]
    needed = rule_features(shipped)
    assert needed == set().union(*(r.features for r in active))
    assert needed <= FEATURE_DEFAULTS.keys() and len(needed) < len(FEATURE_DEFAULTS)
    assert not needed & {"abs", "min", "max", "round"}
    assert rule_features(shipped, None, shipped) == needed


def test_a_feature_only_shadow_rules_read_is_not_computed_for_a_backtest():
    shipped = load_ruleset()
    active = set().union(*(r.features for r in shipped.rules if r.mode == "active"))
    shadow_only = set().union(*(r.features for r in shipped.rules if r.mode == "shadow")) - active
    assert shadow_only  # e.g. ben_in_count_24h: the backtest evaluates active rules only
    assert not shadow_only & rule_features(shipped)


@pytest.mark.parametrize("condition", [
    "x * 1000000 > 100000000", "-x < -100", "abs(x - 200) > 50", "x + y > 30000", "x // 3 == 33",
    "max(x, y) * 300 > 9000000", "(x if y > 0 else y) * 100000 > 1", "x in (100, 300)", "x > 99",
    "round(x / 7, 1) == 14.3",
])
def test_narrow_integer_columns_decide_every_condition_as_64_bit_columns_do(condition):
    wide = pl.DataFrame({"x": [100, -128, None, 127, 0], "y": [30_000, None, -1, 2, 0]},
                        schema={"x": pl.Int64, "y": pl.Int64})
    narrow = wide.with_columns(pl.col("x").cast(pl.Int8), pl.col("y").cast(pl.Int16))
    expected = wide.select(condition_expr(condition))[:, 0].to_list()
    assert narrow.select(condition_expr(condition, narrow.schema))[:, 0].to_list() == expected


def test_without_the_schema_a_narrow_column_would_overflow_in_arithmetic():
    narrow = pl.DataFrame({"x": [100]}, schema={"x": pl.Int8})
    assert narrow.select(condition_expr("x * 2 > 150"))[:, 0].to_list() == [False]  # 200 wraps to -56
    assert narrow.select(condition_expr("x * 2 > 150", narrow.schema))[:, 0].to_list() == [True]


def test_the_vectorised_rounding_is_pythons_round_even_next_to_a_half():
    rng = random.Random(7)
    values = [0.125, 0.375, 2.675, 1.005, 0.285, 1.115, 0.05, 0.15, 0.25, 0.35, 2.5, -0.125, -2.675, 0.0,
              -0.0, 1e-12, 123456.785, 4.35, 8.345, 1.0000000000000002, 2 ** 52 + 0.5, 3.0e15 + 0.25, 9.995]
    values += [rng.uniform(0, 1000) for _ in range(20_000)]
    values += [round(rng.uniform(0, 100), 3) + 0.0005 for _ in range(5_000)]  # on or next to halves
    values += [k / 1000 for k in range(0, 20_000, 5)]
    for digits in (1, 2, 3):
        rounded = _round(pl.Series(values).to_numpy(), digits).tolist()
        expected = [round(v, digits) for v in values]
        assert [math.copysign(1, r) for r in rounded] == [math.copysign(1, e) for e in expected]
        assert rounded == expected
