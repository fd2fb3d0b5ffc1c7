from bayfin.antifraud.cases.service import (
    case_priority,
    decide_case,
    labels,
    open_case,
    open_pending_cases,
    queue,
)
from bayfin.antifraud.decisions.repository import insert_decisions
from bayfin.kernel.tenancy import TenantScope


def _decision_row(event_id, outcome):
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return {"event_id": event_id, "occurred_at": now, "decided_at": now, "channel": "mobile",
            "type": "mobile.transfer.inter_bank", "customer_id": "c1", "account_id": "a1",
            "amount_fen": 80_000,
            "outcome": outcome, "score": 65, "primary_typology": "test", "rules": ["R1"], "shadow_rules": [],
            "reason_codes": ["X"], "amount_protected_fen": 0, "ruleset_version": "1", "institution_id": "b",
            "elapsed_us": 10, "details": {}}


def test_held_decisions_without_a_case_get_one_and_only_once(session):
    insert_decisions(session, [_decision_row("ev-1", "REVIEW"), _decision_row("ev-2", "ALLOW")])
    assert open_pending_cases(session) == 1
    assert open_pending_cases(session) == 0
    assert [c.event_id for c in queue(session, scope=TenantScope.system("test"))] == ["ev-1"]


def test_confirmed_and_released_cases_become_labels_for_learning(session):
    same = {"customer_id": "c", "amount_fen": 1, "score": 1, "rules": [], "institution_id": None}
    a = open_case(session, event_id="a", **same)
    b = open_case(session, event_id="b", **same)
    open_case(session, event_id="c", **same)
    decide_case(session, a, "confirm", actor="ana")
    decide_case(session, b, "release", actor="ana")
    assert sorted((r["event_id"], r["is_fraud"]) for r in labels(session)) == [("a", 1), ("b", 0)]


def test_priority_grows_with_score_and_amount():
    assert case_priority(9_000_000, 60) > case_priority(50_000, 60) > case_priority(50_000, 10)
