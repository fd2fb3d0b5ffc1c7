"""Credit reports over HTTP: consent-gated, only consented data, printable, batch, monitoring."""

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import orjson
import pytest

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import ingest_file
from bayfin.creditreport.monitoring import deliver, undelivered
from bayfin.integrations.webhooks import verify
from bayfin.kernel.outbound import OutboundPolicy
from tests.integration.creditdata.deliveries import REG_HEADER, TAX_REGION_HEADER, code, reg_line, write

FIRM, OTHER, UNKNOWN = code(1), code(2), code(3)


def tax_row(n, period, grade_code, sales_wan, arrears_wan="0"):
    return ",".join([code(n), "", period, grade_code, *["1"] * 6, *[sales_wan] * 6, arrears_wan])


def ingest(platform, path, source, as_of):
    with platform.unit_of_work() as uow:
        ingest_file(uow.session, path, load_mapping(source), as_of)
        uow.commit()


@pytest.fixture
def hub(platform, tmp_path):
    ingest(platform, write(tmp_path / "reg.csv", REG_HEADER, [reg_line(1), reg_line(2)]),
           "amr_registration", date(2024, 1, 5))
    rows = [tax_row(1, p, "2", s) for p, s in
            [("2023年1月", "10"), ("2023年7月", "10"), ("2024年1月", "13"), ("2024年7月", "13")]]
    rows.append(tax_row(2, "2024年1月", "1", "5"))
    ingest(platform, write(tmp_path / "tax.csv", TAX_REGION_HEADER, rows), "tax_region",
           date(2025, 1, 10))
    return tmp_path


@pytest.fixture
def bank(auth_headers):
    return auth_headers("officer-a", org="BANK-A", org_type="institution",
                        scopes=["consent:request", "credit:read"])


def consent_for(client, bank, auth_headers, firm, categories, mode="periodic", approve=True,
                data_from="2023-01-01", data_to="2024-12-31"):
    r = client.post("/v1/consents", headers=bank, json={
        "credit_code": firm, "purpose_code": "103", "purpose_text": "post-loan monitoring",
        "categories": categories, "access_mode": mode, "frequency": {"unit": "day", "value": 50},
        "data_from": data_from, "data_to": data_to, "validity_days": 30})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    if approve:
        owner = auth_headers("owner", org=firm, org_type="enterprise", scopes=["consent:manage"])
        assert client.post(f"/v1/consents/{cid}/approve", json={}, headers=owner).status_code == 200
    return cid


def test_a_report_shows_only_the_consented_categories_each_value_with_its_source(
        client, hub, bank, auth_headers):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    r = client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": cid}, headers=bank)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["registration"] is None  # registration was not consented
    assert set(report["sections"]) == {"tax_payment"}
    first = report["sections"]["tax_payment"][0]
    assert first["source"] == "tax_region" and first["as_of"] == "2025-01-10"
    trend = report["indicators"]["revenue_trend"]
    assert (trend["recent_12m"], trend["previous_12m"], trend["direction"]) == (
        13_000_000 * 12, 10_000_000 * 12, "growing")
    assert report["indicators"]["tax_credit_grade"] == "B"
    assert "litigation_as_defendant" not in report["indicators"]


def test_the_data_range_of_the_consent_trims_what_the_report_shows(client, hub, bank, auth_headers):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax", "registration"],
                      data_from="2024-01-01", data_to="2024-12-31")
    report = client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": cid}, headers=bank).json()
    periods = [row["values"]["period"] for row in report["sections"]["tax_payment"]]
    assert periods == ["2024-01-01", "2024-07-01"]
    assert report["registration"]["values"]["name"] == "广州测试1有限公司"


def test_the_printable_report_is_html_with_the_firm_and_its_sources(client, hub, bank, auth_headers):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax", "registration"])
    r = client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": cid, "format": "html"},
                   headers=bank)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "企业信用报告" in r.text and FIRM in r.text and "tax_region" in r.text
    assert "@media print" in r.text


def test_every_report_and_refusal_is_in_the_enterprises_access_log(client, hub, bank, auth_headers):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    assert client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": cid},
                      headers=bank).status_code == 200
    owner = auth_headers("owner", org=FIRM, org_type="enterprise", scopes=["consent:manage"])
    client.post(f"/v1/consents/{cid}/revoke", json={"reason_code": "loan_closed"}, headers=owner)
    refused = client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": cid}, headers=bank)
    assert refused.status_code == 403 and refused.json()["reason"] == "consent_revoked"
    log = client.get("/v1/enterprises/me/access-log", headers=owner).json()["items"]
    reads = [(e["action"], e["outcome"], e["institution_id"]) for e in log
             if e["action"] == "credit_report.read"]
    assert reads == [("credit_report.read", "refused", "BANK-A"), ("credit_report.read", "ok", "BANK-A")]


def test_a_consent_of_one_firm_does_not_open_another(client, hub, bank, auth_headers):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    r = client.get(f"/v1/credit-reports/{OTHER}", params={"consent_id": cid}, headers=bank)
    assert r.status_code == 403 and r.json()["reason"] == "consent_other_enterprise"


def test_another_institutions_token_gets_nothing(client, hub, bank, auth_headers):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    other_bank = auth_headers("x", org="BANK-B", org_type="institution", scopes=["credit:read"])
    r = client.get(f"/v1/credit-reports/{FIRM}", params={"consent_id": cid}, headers=other_bank)
    assert r.status_code == 404 and r.json()["code"] == "consent_not_found"


def test_a_batch_lists_refusals_per_enterprise_and_never_fails_whole(client, hub, bank, auth_headers):
    good = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    other = consent_for(client, bank, auth_headers, OTHER, ["tax"])
    pending = consent_for(client, bank, auth_headers, OTHER, ["tax"], approve=False)
    unknown_firm = consent_for(client, bank, auth_headers, UNKNOWN, ["tax"])
    r = client.post("/v1/credit-reports/batch", headers=bank, json={"items": [
        {"credit_code": FIRM, "consent_id": good}, {"credit_code": OTHER, "consent_id": other},
        {"credit_code": OTHER, "consent_id": pending}, {"credit_code": FIRM, "consent_id": "cst_nope"},
        {"credit_code": UNKNOWN, "consent_id": unknown_firm}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["requested"], body["delivered"], body["refused"]) == (5, 2, 3)
    assert [x["reason"] for x in body["refusals"]] == ["consent_requested", "consent_not_found",
                                                      "not_found"]


def test_a_batch_of_more_than_a_thousand_is_refused_up_front(client, bank):
    items = [{"credit_code": FIRM, "consent_id": "c"}] * 1001
    assert client.post("/v1/credit-reports/batch", headers=bank, json={"items": items}).status_code == 422


def test_reports_need_the_credit_scope_and_an_institution(client, hub, auth_headers):
    assert client.get(f"/v1/credit-reports/{FIRM}?consent_id=x").status_code == 401
    enterprise = auth_headers("x", org=FIRM, org_type="enterprise", scopes=["credit:read"])
    assert client.get(f"/v1/credit-reports/{FIRM}?consent_id=x", headers=enterprise).status_code == 403


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list] = []
    failures: ClassVar[int] = 0  # answer this many deliveries with 503 first

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        if _Hook.failures:
            _Hook.failures -= 1
            self.send_response(503)
        else:
            _Hook.received.append((dict(self.headers), body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.received, _Hook.failures = [], 0
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_monitoring_notifies_a_tax_grade_change_by_feed_and_signed_webhook(
        client, hub, bank, auth_headers, platform, webhook, tmp_path):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax", "courts"])
    sub = client.post("/v1/monitoring/subscriptions", headers=bank,
                      json={"consent_id": cid, "webhook_url": webhook})
    assert sub.status_code == 201, sub.text
    secret = sub.json()["webhook_secret"]
    assert secret.startswith("whsec_")  # the Standard Webhooks form
    operator = auth_headers("ops", org="OPERATOR", roles=["operator"])
    quiet = client.post("/v1/monitoring/scan", headers=operator).json()
    assert (quiet["checked"], quiet["changed"]) == (1, 0)
    ingest(platform, write(tmp_path / "tax2.csv", TAX_REGION_HEADER,
                           [tax_row(1, "2025年1月", "4", "2", arrears_wan="3")]),
           "tax_region", date(2025, 2, 10))
    _Hook.failures = 1  # the push after the scan is refused: the notification stays owed
    found = client.post("/v1/monitoring/scan", headers=operator).json()
    assert found["changed"] == 1 and _Hook.received == []
    polled = client.get("/v1/monitoring/notifications", headers=bank).json()
    feed = polled["items"]
    assert {c["field"]: (c["before"], c["after"]) for c in feed[0]["changes"]} == {
        "tax_credit_grade": ("B", "C"), "tax_arrears_fen": (0, 3_000_000)}
    outbound = OutboundPolicy.from_settings(platform.settings)
    with platform.session_factory() as session:
        assert undelivered(session) == [feed[0]["id"]]
    assert deliver(platform.session_factory, [feed[0]["id"]], outbound) == 1
    assert deliver(platform.session_factory, [feed[0]["id"]], outbound) == 0  # delivered once only
    assert len(_Hook.received) == 1
    headers, body = _Hook.received[0]
    verify(secret, headers, body)  # Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
    assert headers["webhook-id"] == f"mon_{feed[0]['id']}"
    assert orjson.loads(body)["credit_code"] == FIRM and orjson.loads(body)["id"] == feed[0]["id"]
    with platform.session_factory() as session:
        assert undelivered(session) == []
    caught_up = client.get(polled["next"], headers=bank).json()  # a feed: next is where to poll
    assert caught_up["items"] == [] and caught_up["next"] == polled["next"]


def test_monitoring_stops_with_the_consent(client, hub, bank, auth_headers):
    cid = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    client.post("/v1/monitoring/subscriptions", headers=bank, json={"consent_id": cid})
    owner = auth_headers("owner", org=FIRM, org_type="enterprise", scopes=["consent:manage"])
    client.post(f"/v1/consents/{cid}/revoke", json={}, headers=owner)
    operator = auth_headers("ops", org="OPERATOR", roles=["operator"])
    assert client.post("/v1/monitoring/scan", headers=operator).json()["ended"] == 1
    subs = client.get("/v1/monitoring/subscriptions", headers=bank).json()["items"]
    assert subs[0]["active"] is False and subs[0]["ended_reason"] == "consent_revoked"


def test_monitoring_needs_a_periodic_consent_and_a_safe_webhook(client, hub, bank, auth_headers):
    once = consent_for(client, bank, auth_headers, FIRM, ["tax"], mode="once")
    r = client.post("/v1/monitoring/subscriptions", headers=bank, json={"consent_id": once})
    assert r.status_code == 409
    periodic = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    r = client.post("/v1/monitoring/subscriptions", headers=bank,
                    json={"consent_id": periodic, "webhook_url": "http://evil.example/x"})
    assert r.status_code == 422


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/", "https://10.0.0.8/hook", "https://169.254.169.254/x",
                                 "https://[::ffff:127.0.0.1]/x", "https://[fe80::1]/x"])
def test_a_webhook_into_the_platforms_own_networks_is_refused(client, hub, bank, auth_headers, platform, url):
    platform.settings = platform.settings.model_copy(update={"webhook_allowed_networks": []})
    periodic = consent_for(client, bank, auth_headers, FIRM, ["tax"])
    r = client.post("/v1/monitoring/subscriptions", headers=bank,
                    json={"consent_id": periodic, "webhook_url": url})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    listed = client.get("/v1/monitoring/subscriptions", headers=bank).json()
    assert (listed["items"] if isinstance(listed, dict) else listed) == []
