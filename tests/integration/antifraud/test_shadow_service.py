import pytest

from bayfin.antifraud.cases import service as cases
from bayfin.antifraud.decisions.alerts import CaseSpec
from bayfin.antifraud.decisions.repository import get_decision
from bayfin.antifraud.decisions.service import DecisionWriter, decision_row
from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.learning.shadow import shadow_report
from bayfin.antifraud.service import FraudService
from bayfin.antifraud.settings import FraudSettings
from bayfin.antifraud.wiring import decision_announcer
from bayfin.kernel.security import Principal
from bayfin.kernel.tenancy import TenantScope
from tests.antifraud_events import event
from tests.antifraud_models import quiet_rules, registry_with_two_models


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    registry = registry_with_two_models(tmp_path_factory.mktemp("models"))
    registry.promote(1)
    registry.set_shadow(2)
    return registry


def _service(tmp_path, models):
    settings = FraudSettings(models_dir=models.root, model_reload_seconds=0, lists_refresh_seconds=0)
    return FraudService(DecisionEngine(quiet_rules(tmp_path)), settings, announcer=decision_announcer())


def test_each_decision_stores_the_shadow_score_and_a_strong_disagreement_opens_a_case(session, tmp_path,
                                                                                      models):
    service = _service(tmp_path, models)
    decision = service.decide(event(1, amount_fen=1_500_000), institution_id="bank-1", session=session)
    calm = service.decide(event(2, amount_fen=100_000, minutes=4), institution_id="bank-1", session=session)
    stored = get_decision(session, decision.event_id,
                          TenantScope.of(Principal("ana", "bank-1", "institution")))
    assert stored is not None and stored.outcome == "ALLOW"
    assert stored.details["model"]["version"] == 1
    assert stored.details["shadow"]["version"] == 2 and stored.details["shadow"]["outcome"] == "BLOCK"
    case = cases.find_case(session, decision.event_id, "bank-1")
    assert case is not None and case.source == "shadow"
    assert [e.kind for e in cases.history(session, case.id)] == ["alert"]
    assert cases.find_case(session, calm.event_id, "bank-1") is None


def test_the_shadow_report_compares_both_models_on_the_analysts_outcomes(session, tmp_path, models):
    service = _service(tmp_path, models)
    big = [service.decide(event(n, amount_fen=1_500_000, minutes=n * 10), session=session) for n in range(6)]
    small = [service.decide(event(10 + n, amount_fen=100_000, minutes=100 + n * 10), session=session)
             for n in range(6)]
    for n, d in enumerate(big):
        cases.decide_case(session, cases.find_case(session, d.event_id, None),
                          "confirm" if n < 4 else "release", actor="ana")
    for d in small:  # no alert on these: an analyst looked at them anyway (a customer call) and released them
        case = cases.open_case(session, event_id=d.event_id, customer_id="c1", amount_fen=d.amount_fen,
                               score=0, rules=[], institution_id=None, source="alert")
        cases.decide_case(session, case, "release", actor="ana")
    report = shadow_report(session, scope=TenantScope.system("test"))
    assert report["decisions"] == 12 and report["outcome_agreement"] == 0.5
    assert report["decision_changes"] == {"ALLOW->BLOCK": 6}
    assert report["disagreements_over_threshold"] == 6
    assert report["flagged"] == {"live": 0, "shadow": 6}
    labelled = report["labelled"]
    assert labelled["cases"] == 12 and labelled["confirmed"] == 4
    # every confirmed event is among the six the shadow ranks top, with two released ones tied there
    assert labelled["shadow"]["auc"] == pytest.approx(0.875)
    assert labelled["shadow"]["flag_precision"] == round(4 / 6, 4)
    assert labelled["live"]["flag_precision"] is None  # the live model held nothing
    assert report["live_versions"] == [1] and report["shadow_versions"] == [2]


def test_the_batched_writer_opens_the_cases_of_alerts_with_their_decisions(session_factory, tmp_path, models):
    from datetime import UTC, datetime

    engine = DecisionEngine(quiet_rules(tmp_path))
    writer = DecisionWriter(session_factory, batch_size=5, interval=0.05, announcer=decision_announcer())
    decision = engine.decide(event(1, amount_fen=700_000))
    writer.submit(decision_row(decision, "bank-1", datetime.now(UTC)), CaseSpec("watchlist", ("watchlist",)))
    writer.submit(decision_row(engine.decide(event(2, minutes=3)), "bank-1", datetime.now(UTC)))
    writer.close()
    with session_factory() as session:
        case = cases.find_case(session, decision.event_id, "bank-1")
        assert case is not None and case.source == "watchlist" and case.institution_id == "bank-1"
        assert cases.find_case(session, "ev-2", "bank-1") is None
