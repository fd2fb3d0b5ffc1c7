import pytest

from bayfin.antifraud.learning.shadow import ModelWatcher
from bayfin.antifraud.wiring import fraud_service
from bayfin.kernel.audit import AuditEntry
from tests.antifraud_events import event_data
from tests.antifraud_models import registry_with_two_models

ALERTER = {"subject": "card-switch", "org": "bank-1", "org_type": "institution", "scopes": ["fraud:alerts"]}
ANALYST = {"subject": "ana", "org": "bank-1", "org_type": "institution", "roles": ["fraud_analyst"],
           "scopes": ["fraud:cases", "fraud:read"]}
SUPERVISOR = {**ANALYST, "subject": "sue", "roles": ["fraud_analyst", "fraud_supervisor"],
              "scopes": ["fraud:cases", "fraud:read", "fraud:models"]}
# the engine's models serve every bank: the platform operator's supervisor promotes them, not a bank's
PLATFORM_SUPERVISOR = {**SUPERVISOR, "subject": "otto", "org": "OPERATOR", "org_type": "operator"}
ALERT = {"source": "alert", "event_id": "sw-77", "customer_id": "c9", "amount_fen": 2_000_000, "score": 70,
         "system": "card-switch", "reason": "CARD_SKIMMED"}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return registry_with_two_models(tmp_path_factory.mktemp("models"))


def test_an_alert_from_another_system_opens_a_case_the_analysts_see(client, auth_headers, platform):
    r = client.post("/v1/fraud/cases", json=ALERT, headers=auth_headers(**ALERTER))
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "alert" and r.json()["status"] == "open"
    queue = client.get("/v1/fraud/cases", headers=auth_headers(**ANALYST)).json()["items"]
    assert [c["event_id"] for c in queue] == ["sw-77"]
    detail = client.get(f"/v1/fraud/cases/{queue[0]['id']}", headers=auth_headers(**ANALYST)).json()
    assert detail["history"][0]["kind"] == "alert" and detail["history"][0]["text"] == "CARD_SKIMMED"
    again = client.post("/v1/fraud/cases", json=ALERT, headers=auth_headers(**ALERTER))
    assert again.status_code == 409 and again.json()["case_id"] == queue[0]["id"]
    with platform.unit_of_work() as uow:
        actions = {e.action for e in uow.session.query(AuditEntry).all()}
    assert "antifraud.case.alert" in actions


def test_a_malformed_or_unauthorised_alert_is_refused(client, auth_headers):
    assert client.post("/v1/fraud/cases", json=ALERT).status_code == 401
    assert client.post("/v1/fraud/cases", json=ALERT, headers=auth_headers(**ANALYST)).status_code == 403
    for bad in ({**ALERT, "amount_fen": "12.5"}, {**ALERT, "source": "decision"}, {**ALERT, "event_id": ""},
                {**ALERT, "surprise": 1}):
        r = client.post("/v1/fraud/cases", json=bad, headers=auth_headers(**ALERTER))
        assert r.status_code == 422, bad


def test_without_a_model_registry_the_model_endpoints_say_so(client, auth_headers):
    r = client.get("/v1/fraud/models/shadow-report", headers=auth_headers(**ANALYST))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_analysts_read_the_shadow_report_and_a_supervisor_promotes_the_shadow(client, auth_headers,
                                                                               platform, models):
    models.promote(1)
    models.set_shadow(2)
    service = fraud_service(platform)
    service.models = ModelWatcher(models, service.engine, reload_seconds=0)
    service.models.check()
    decider = auth_headers("teller", org="bank-1", org_type="institution", scopes=["fraud:decide"])
    r = client.post("/v1/fraud/decisions", json=event_data(1, amount_fen=1_500_000), headers=decider)
    assert r.status_code == 200, r.text
    r = client.get("/v1/fraud/models/shadow-report", headers=auth_headers(**ANALYST))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["loaded"] == {"live": 1, "shadow": 2} and report["decisions"] == 1
    [(change, count)] = report["decision_changes"].items()  # the shipped rules challenge a first transfer
    assert change.endswith("->BLOCK") and count == 1
    assert client.post("/v1/fraud/models/promote-shadow", headers=auth_headers(**ANALYST)).status_code == 403
    bank_supervisor = auth_headers(**SUPERVISOR)
    assert client.post("/v1/fraud/models/promote-shadow", headers=bank_supervisor).status_code == 403
    r = client.post("/v1/fraud/models/promote-shadow", headers=auth_headers(**PLATFORM_SUPERVISOR))
    assert r.status_code == 200 and r.json() == {"promoted": 2, "loaded": {"live": 2, "shadow": None}}
    assert models.state() == {"live": 2, "shadow": None} and service.engine.model.version == 2
    r = client.post("/v1/fraud/models/promote-shadow", headers=auth_headers(**PLATFORM_SUPERVISOR))
    assert r.status_code == 409
