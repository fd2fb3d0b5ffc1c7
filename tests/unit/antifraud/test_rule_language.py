import pytest

from bayfin.antifraud.engine.features import FEATURE_DEFAULTS, NULLABLE
from bayfin.antifraud.engine.rulelang import RuleSyntaxError, compile_condition


def compiled(text):
    return compile_condition("T-1", text, FEATURE_DEFAULTS, NULLABLE)[0]


def features(**values):
    return {**FEATURE_DEFAULTS, **values}


def test_a_condition_compiles_to_a_function_of_the_features():
    rule = compiled("amount_yuan >= 5000 and channel in ['mobile', 'online'] and not device_rooted")
    assert rule(features(amount_yuan=5000, channel="mobile"))
    assert not rule(features(amount_yuan=4999, channel="mobile"))
    assert not rule(features(amount_yuan=9000, channel="counter"))


def test_arithmetic_and_the_allowed_functions_work():
    rule = compiled("max(cust_out_sum_1h_yuan, amount_yuan) * 2 > 100 and abs(amount_zscore) >= 3")
    assert rule(features(amount_yuan=60, amount_zscore=-3.5))
    assert not rule(features(amount_yuan=60, amount_zscore=1.0))


def test_a_comparison_on_an_unknown_feature_is_false_not_an_error():
    rule = compiled("minutes_since_password_change < 60")
    assert not rule(features(minutes_since_password_change=None))
    assert rule(features(minutes_since_password_change=5))
    assert compiled("minutes_since_password_change == None")(features())


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')",
    "amount_yuan.__class__",
    "[c for c in channel]",
    "lambda: 1",
    "open('/etc/passwd')",
    "amount_yuan if (x := 1) else 0",
    "channel[0] == 'm'",
    "{'a': 1}",
    "amount_yuan ** 2 > 1",
    "amount_yuan is 5",
    "b'bytes' == channel",
])
def test_anything_outside_the_allowed_subset_is_refused(text):
    with pytest.raises(RuleSyntaxError):
        compiled(text)


def test_unknown_features_and_mismatched_types_are_named_in_the_error():
    with pytest.raises(RuleSyntaxError, match="unknown feature 'amount_yaun'"):
        compiled("amount_yaun > 1")
    with pytest.raises(RuleSyntaxError, match="compares number with text"):
        compiled("amount_yuan == 'big'")
    with pytest.raises(RuleSyntaxError, match="syntax error"):
        compiled("amount_yuan >")


def test_compiled_rules_see_no_builtins():
    rule = compiled("amount_yuan > 1")
    assert rule.__globals__["__builtins__"] == {}
