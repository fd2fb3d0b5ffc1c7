"""The operator API: roles enforced, sites and terminals, alarm queue, history, commands, the map."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.platform import Platform
from bayfin.terminals import domain as d
from bayfin.terminals.service import MemoryPublisher, encode_signed
from bayfin.terminals.wiring import terminals_service
from tests.conftest import TokenFactory

HOURS = {str(day): [["08:00", "22:00"]] for day in range(1, 8)}
SITE = {"code": "PH-API-1", "name": "Gongbei pharmacy", "kind": "pharmacy", "licence": "YP-1",
        "lat": 22.222, "lon": 113.544, "geofence_m": 150, "opening_hours": HOURS}


def operator(auth_headers: TokenFactory) -> dict[str, str]:
    return auth_headers(subject="ops-1", roles=["terminals_operator"],
                        scopes=["terminals:read", "terminals:operate"])


def setup_terminal(client: TestClient, platform: Platform, headers: dict[str, str]) -> dict[str, str]:
    assert client.post("/v1/terminals/sites", json=SITE, headers=headers).status_code == 201
    service = terminals_service(platform)
    with platform.unit_of_work() as uow:
        _, secret = service.create_profile(uow.session, "icbc-api", "ICBC", platform.clock.now())
        uow.commit()
    created = client.post("/v1/terminals/terminals", headers=headers, json={
        "serial": "SN-API-1", "model": "PAX-A920", "firmware": "1.0", "site_code": "PH-API-1",
        "bank_id": "ICBC", "profile_key": "icbc-api"})
    assert created.status_code == 201
    with platform.unit_of_work() as uow:
        nonce = "0123456789"
        result = service.provision(uow.session, {"serial": "SN-API-1", "profile": "icbc-api", "nonce": nonce,
                                                 "signature": d.sign(secret, f"SN-API-1:{nonce}")},
                                   platform.clock.now())
        assert result.device_key is not None
        service.ingest(uow.session, "SN-API-1",
                       encode_signed(result.device_key, {"ts": platform.clock.now().timestamp(),
                                                         "tamper": ["case_open"]}), platform.clock.now())
        uow.commit()
    return {"id": created.json()["id"], "key": result.device_key}


def test_the_alarm_queue_needs_a_token_and_an_operator_or_regulator_role(
        client: TestClient, auth_headers: TokenFactory) -> None:
    assert client.get("/v1/terminals/alarms").status_code == 401
    teller = auth_headers(roles=["teller"], scopes=["terminals:read"])
    assert client.get("/v1/terminals/alarms", headers=teller).status_code == 403
    regulator = auth_headers(roles=["regulator"], scopes=["terminals:read"])
    assert client.get("/v1/terminals/alarms", headers=regulator).status_code == 200
    assert client.post("/v1/terminals/alarms/1/clear", headers=regulator).status_code == 403


def test_malformed_sites_are_refused_with_a_problem(client: TestClient, auth_headers: TokenFactory) -> None:
    bad = client.post("/v1/terminals/sites", headers=operator(auth_headers),
                      json={**SITE, "opening_hours": {"9": [["08:00", "22:00"]]}})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_an_operator_acknowledges_then_clears_an_alarm_and_it_is_audited(
        client: TestClient, platform: Platform, auth_headers: TokenFactory) -> None:
    headers = operator(auth_headers)
    setup_terminal(client, platform, headers)
    queue = client.get("/v1/terminals/alarms", headers=headers).json()["items"]
    tamper = next(a for a in queue if a["rule"] == "tamper")
    assert tamper["status"] == "ACTIVE_UNACK" and tamper["evidence"] == {"flags": ["case_open"]}
    acked = client.post(f"/v1/terminals/alarms/{tamper['id']}/acknowledge", headers=headers).json()
    assert acked["status"] == "ACTIVE_ACK" and acked["acknowledged_by"] == "ops-1"
    cleared = client.post(f"/v1/terminals/alarms/{tamper['id']}/clear", headers=headers).json()
    assert cleared["status"] == "CLEARED_ACK"
    assert client.get("/v1/terminals/alarms", headers=headers).json()["items"] == []
    assert client.post("/v1/terminals/alarms/999999/clear", headers=headers).status_code == 404
    with platform.unit_of_work() as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("terminals.alarms%"))).all())
    assert actions == {"terminals.alarms.list", "terminals.alarms.acknowledge", "terminals.alarms.clear"}


def test_a_command_through_the_api_is_published_after_the_request_commits(
        client: TestClient, platform: Platform, auth_headers: TokenFactory) -> None:
    headers = operator(auth_headers)
    terminal = setup_terminal(client, platform, headers)
    publisher = MemoryPublisher()
    terminals_service(platform).publisher = publisher
    sent = client.post(f"/v1/terminals/terminals/{terminal['id']}/commands", headers=headers,
                       json={"action": "lock"})
    assert sent.status_code == 202 and sent.json()["state"] == "queued"
    assert [topic for topic, _ in publisher.sent] == ["bayfin/terminals/SN-API-1/commands"]
    history = client.get(f"/v1/terminals/terminals/{terminal['id']}/history", headers=headers).json()
    assert history["commands"][0]["state"] == "sent"
    assert {e["kind"] for e in history["events"]} >= {"provisioned", "telemetry"}
    refused = client.post(f"/v1/terminals/terminals/{terminal['id']}/commands", headers=headers,
                          json={"action": "explode"})
    assert refused.status_code == 422 and len(publisher.sent) == 1


def test_the_map_colours_a_site_with_a_critical_alarm_red(
        client: TestClient, platform: Platform, auth_headers: TokenFactory) -> None:
    headers = operator(auth_headers)
    setup_terminal(client, platform, headers)
    svg = client.get("/v1/terminals/map.svg", headers=headers)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert 'data-site="PH-API-1" data-status="CRITICAL"' in svg.text and "#c0392b" in svg.text
    assert "http" not in svg.text.replace("http://www.w3.org/2000/svg", "")  # no tiles, no CDN
    sites = client.get("/v1/terminals/sites", headers=headers).json()["items"]
    assert sites[0]["status"] == "CRITICAL"


def test_the_alarm_queue_filters_by_site_and_severity_and_refusals_are_listed(
        client: TestClient, platform: Platform, auth_headers: TokenFactory) -> None:
    headers = operator(auth_headers)
    setup_terminal(client, platform, headers)
    at_site = client.get("/v1/terminals/alarms", headers=headers,
                         params={"site_code": "PH-API-1", "severity": "CRITICAL"}).json()["items"]
    assert [(a["rule"], a["serial"], a["site_code"]) for a in at_site] == [("tamper", "SN-API-1", "PH-API-1")]
    minor = client.get("/v1/terminals/alarms", headers=headers, params={"severity": "MINOR"}).json()
    assert minor == {"items": [], "next": None}
    assert client.get("/v1/terminals/alarms", headers=headers, params={"limit": 0}).status_code == 422
    service = terminals_service(platform)
    with platform.unit_of_work() as uow:
        service.provision(uow.session, {"serial": "SN-STRANGER", "profile": "icbc-api"}, platform.clock.now())
        uow.commit()
    listed = client.get("/v1/terminals/refusals", headers=headers).json()["items"]
    assert [(r["serial"], r["reason"]) for r in listed] == [("SN-STRANGER", "unknown_device")]
