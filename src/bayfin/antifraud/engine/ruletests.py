"""The test cases every rule carries (a firing case and a quiet case), run by `bayfin fraud rules
validate` and by the test suite.

A case gives feature values over :data:`FEATURE_DEFAULTS`; the transaction type is chosen inside
the rule's scope (and consistent with any channel, business or sub-type the case names), so the
firing case also proves the rule is reachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bayfin.antifraud.engine.catalogue import Catalogue, load_catalogue
from bayfin.antifraud.engine.features import FEATURE_DEFAULTS
from bayfin.antifraud.engine.ruleset import Rule, RuleSet


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one rule test case."""

    rule_id: str
    case: str
    passed: bool
    message: str = ""


def case_features(rule: Rule, case: dict[str, Any], catalogue: Catalogue) -> dict[str, Any] | None:
    """The full feature mapping for a test case, or None when no type in the rule's scope fits it."""
    wanted = {k: case[k] for k in ("channel", "business", "sub_type", "type") if k in case}
    outflow = case.get("is_outflow")
    for code in sorted(catalogue.types):
        t = catalogue.types[code]
        if not rule.applies_to(t.channel, t.business, code):
            continue
        described = {"channel": t.channel, "business": t.business, "sub_type": t.sub_type, "type": code}
        if any(described[k] != v for k, v in wanted.items()):
            continue
        if outflow and t.flow != "out":
            continue
        features = dict(FEATURE_DEFAULTS)
        features.update(described, flow=t.flow, sensitive_op=t.sensitive)
        features.update(case)
        return features
    return None


def run_rule_tests(ruleset: RuleSet, catalogue: Catalogue | None = None) -> list[CaseResult]:
    """Run every rule's cases: 'fires' must fire and 'quiet' must not; a missing case is a failure."""
    catalogue = catalogue or load_catalogue()
    results = []
    for rule in ruleset.rules:
        for name, expected in (("fires", True), ("quiet", False)):
            case = rule.tests.get(name)
            if case is None:
                results.append(CaseResult(rule.id, name, False, f"no '{name}' test case"))
                continue
            features = case_features(rule, dict(case), catalogue)
            if features is None:
                results.append(CaseResult(rule.id, name, False, "no transaction type in scope fits the case"))
                continue
            fired = bool(rule.condition(features))
            results.append(CaseResult(rule.id, name, fired is expected,
                                      "" if fired is expected else
                                      f"expected {'a hit' if expected else 'no hit'} on {features['type']}"))
    return results
