"""Every shipped rule fires on its firing case and stays quiet on its quiet case."""

import pytest

from bayfin.antifraud.engine.catalogue import load_catalogue
from bayfin.antifraud.engine.ruleset import load_ruleset
from bayfin.antifraud.engine.ruletests import case_features

RULESET = load_ruleset()
TYPOLOGIES = {"account_takeover", "telecom_scam", "card_not_present", "money_mule", "sim_swap",
              "abnormal_cash", "limit_abuse"}


def test_the_shipped_rule_set_has_200_rules_over_the_seven_typologies():
    assert len(RULESET.rules) >= 200
    assert set(RULESET.typologies) == TYPOLOGIES
    for typology in TYPOLOGIES:
        assert sum(1 for r in RULESET.rules if r.typology == typology) >= 20
    assert len({r.reason for r in RULESET.rules}) == len(RULESET.rules), "reason codes are distinct"


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_fires_on_its_firing_case_and_not_on_its_quiet_case(rule):
    catalogue = load_catalogue()
    fires = case_features(rule, dict(rule.tests["fires"]), catalogue)
    quiet = case_features(rule, dict(rule.tests["quiet"]), catalogue)
    assert fires is not None and quiet is not None, "no transaction type in the rule's scope fits its cases"
    assert rule.applies_to(fires["channel"], fires["business"], fires["type"])
    assert rule.condition(fires), f"{rule.id} should fire on {rule.tests['fires']}"
    assert not rule.condition(quiet), f"{rule.id} should stay quiet on {rule.tests['quiet']}"
