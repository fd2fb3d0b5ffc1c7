"""The composite index over features, its levels and its explanation; features from plain frames."""

from datetime import date

import polars as pl

from bayfin.riskmonitor.features import build_features
from bayfin.riskmonitor.index import WEIGHTS, explain, score_frame


def test_weights_sum_to_one():
    assert abs(sum(WEIGHTS.values()) - 1.0) < 1e-9


def test_a_firm_without_evidence_scores_zero_and_is_normal():
    out = score_frame(pl.DataFrame({"credit_code": ["A"]}))
    assert out["score"][0] == 0 and out["level"][0] == "normal"


def test_unlicensed_business_with_lures_complaints_and_police_is_critical():
    out = score_frame(
        pl.DataFrame(
            {
                "credit_code": ["A"], "unlicensed_categories": [2], "police_cases": [1], "max_rate_bp": [3000],  # noqa: E501
                "people": [300], "regions": [3], "complaints": [12], "recent_complaints": [6],
                "evidence_hits": [8], "classifier_max": [0.97], "related_risky": [1], "withdrawal_blocked": [1],  # noqa: E501
            }
        )
    )  # fmt: skip
    assert out["score"][0] >= 80 and out["level"][0] == "critical"


def test_the_explanation_names_the_dimensions_that_moved_the_index():
    moves = explain({"complaints": 10.0, "lure": 50.0}, {"complaints": 60.0, "lure": 50.0})
    assert moves == [{"dimension": "complaints", "points": 7.5, "value": 60.0}]


def _firms() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "credit_code": ["A", "B", "C"],
            "legal_representative": ["张三", "张三", "李四"],
            "address": ["路1号", "路2号", "路3号"],
            "city_code": ["440100", "440100", "440100"],
            "capital_fen": [10_000_000_000_00, 100_000_00, 100_000_00],
            "headcount": [1, 5, 5],
            "changes": [0, 0, 3],
        }
    )


def test_a_licence_in_force_clears_the_category_it_covers():
    tags = pl.DataFrame(
        {
            "credit_code": ["A", "C"],
            "tag": ["category:unlicensed_securities", "category:unlicensed_securities"],
            "method": ["rule", "classifier"],
            "confidence": [1.0, 0.9],
        }
    )
    licences = pl.DataFrame(
        {"credit_code": ["C"], "licence_type": ["证券"], "valid_until": [date(2030, 1, 1)]}
    )
    out = build_features(_firms(), pl.DataFrame(), tags, licences, date(2024, 6, 1)).sort("credit_code")
    assert out["unlicensed_categories"].to_list() == [1, 0, 0]


def test_related_firms_with_evidence_capital_mismatch_and_changes_are_counted():
    evidence = pl.DataFrame(
        {"id": [1], "credit_code": ["A"], "source": ["risk_hotline"], "occurred_on": [date(2024, 5, 1)],
         "people": [None], "amount_fen": [None], "region_code": ["440100"], "promised_rate_bp": [2000]}
    )  # fmt: skip
    out = build_features(_firms(), evidence, pl.DataFrame(), pl.DataFrame(), date(2024, 6, 1)).sort(
        "credit_code"
    )
    assert out["related_risky"].to_list() == [0, 1, 0]
    assert out["capital_mismatch"].to_list() == [1, 0, 0]
    assert out["frequent_changes"].to_list() == [0, 0, 1]
    assert out["recent_complaints"].to_list() == [1, 0, 0]
    assert out["max_rate_bp"].to_list()[0] == 2000
