"""/metrics: Prometheus counters that move with real requests, decisions, deliveries and consent uses."""

from prometheus_client.parser import text_string_to_metric_families

from tests.antifraud_events import event_data
from tests.api.creditreport import test_credit_reports as reports

FIRM = reports.FIRM
hub, bank = reports.hub, reports.bank  # the credit report tests' fixtures: a loaded hub, a bank's token


def sample(client, name: str, **labels: str) -> float:
    """The value of one sample of the API's /metrics (0 when it has not been recorded yet)."""
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_request_latency_is_labelled_by_route_template_not_by_raw_path(client, auth_headers):
    operator = auth_headers(roles=["operator"], org="gd-data-office")
    before = sample(client, "bayfin_http_request_duration_seconds_count",
                    route="/v1/enterprises/{credit_code}", method="GET", status="404")
    for n in range(3):
        client.get(f"/v1/enterprises/91440101MA5CXXXX{n}{n}", headers=operator)
    text = client.get("/metrics").text
    assert sample(client, "bayfin_http_request_duration_seconds_count",
                  route="/v1/enterprises/{credit_code}", method="GET", status="404") - before == 3
    assert "91440101MA5CXXXX" not in text  # no time series per enterprise


def test_unmatched_paths_share_one_label_so_a_scanner_cannot_grow_the_series(client):
    for n in range(5):
        client.get(f"/wp-admin/{n}.php")
    text = client.get("/metrics").text
    assert "wp-admin" not in text
    assert sample(client, "bayfin_http_request_duration_seconds_count", route="unmatched", status="404") >= 5


def test_fraud_decisions_are_counted_by_outcome_with_their_latency(client, auth_headers):
    decider = auth_headers(org="bank-1", org_type="institution", scopes=["fraud:decide"])
    allowed = sample(client, "bayfin_fraud_decisions_total", outcome="ALLOW")
    timed = sample(client, "bayfin_fraud_decision_duration_seconds_count")
    first = client.post("/v1/fraud/decisions", json=event_data(501), headers=decider)
    assert first.json()["decision"] == "ALLOW"
    assert client.post("/v1/fraud/decisions", json=event_data(502), headers=decider).status_code == 200
    # the same event again is answered from memory and is not a second decision
    assert client.post("/v1/fraud/decisions", json=event_data(502), headers=decider).status_code == 200
    assert sample(client, "bayfin_fraud_decisions_total", outcome="ALLOW") - allowed == 2
    assert sample(client, "bayfin_fraud_decision_duration_seconds_count") - timed == 2


def test_hub_ingest_rows_and_consent_uses_are_counted_once_committed(client, hub, bank, auth_headers):
    # the hub fixture committed two deliveries: registration (2 rows) and regional tax (5 rows)
    assert sample(client, "bayfin_hub_ingest_rows_total", source="amr_registration", outcome="stored") >= 2
    granted = sample(client, "bayfin_consent_uses_total", result="granted")
    cid = reports.consent_for(client, bank, auth_headers, FIRM, ["tax"])
    report = client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": cid}, headers=bank)
    assert report.status_code == 200
    assert sample(client, "bayfin_consent_uses_total", result="granted") - granted == 1
    refused = sample(client, "bayfin_consent_uses_total", result="consent_not_found")
    assert client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": "cns-none"},
                      headers=bank).status_code == 404
    assert sample(client, "bayfin_consent_uses_total", result="consent_not_found") - refused == 1


def test_rolled_back_ingest_counts_nothing(platform, tmp_path):
    from datetime import date

    from prometheus_client import REGISTRY

    from bayfin.creditdata.mapping import load_mapping
    from bayfin.creditdata.service import ingest_file
    from tests.integration.creditdata.deliveries import REG_HEADER, reg_line, write

    def stored() -> float:
        return REGISTRY.get_sample_value("bayfin_hub_ingest_rows_total",
                                         {"source": "amr_registration", "outcome": "stored"}) or 0.0

    before = stored()
    with platform.unit_of_work() as uow:
        ingest_file(uow.session, write(tmp_path / "r.csv", REG_HEADER, [reg_line(7), reg_line(8)]),
                    load_mapping("amr_registration"), date(2024, 2, 1))
        uow.rollback()
    assert stored() == before
    with platform.unit_of_work() as uow:
        ingest_file(uow.session, write(tmp_path / "r.csv", REG_HEADER, [reg_line(7), reg_line(8)]),
                    load_mapping("amr_registration"), date(2024, 2, 1))
        uow.commit()
    assert stored() - before == 2


def test_a_metrics_token_keeps_the_scrape_private(platform):
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from bayfin.api.app import create_app

    token = SecretStr("scrape-token-123")
    platform.settings = platform.settings.model_copy(update={"metrics_token": token})
    with TestClient(create_app(platform=platform), raise_server_exceptions=False) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        r = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"})
    assert r.status_code == 200 and "bayfin_http_request_duration_seconds" in r.text
