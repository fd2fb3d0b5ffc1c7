from bayfin.identity import IDENTITY
from tests.antifraud_events import event_data

DECIDER = {"org": "bank-1", "org_type": "institution", "scopes": ["fraud:decide"]}
ANALYST = {"org": "bank-1", "org_type": "institution", "roles": ["fraud_analyst"],
           "scopes": ["fraud:read", "fraud:lists", "fraud:rules"]}


def test_a_decision_needs_a_token_and_the_decide_scope(client, auth_headers):
    assert client.post("/v1/fraud/decisions", json=event_data()).status_code == 401
    r = client.post("/v1/fraud/decisions", json=event_data(), headers=auth_headers(org_type="institution"))
    assert r.status_code == 403
    r = client.post("/v1/fraud/decisions", json=event_data(),
                    headers=auth_headers(org_type="enterprise", scopes=["fraud:decide"]))
    assert r.status_code == 403


def test_a_revoked_client_token_is_refused_at_the_next_event(client, auth_headers, platform):
    """The decision path verifies tokens on the event loop without a cache of its own, so the
    identity platform's revocation (here: the caller cut off) takes effect at once."""
    headers = auth_headers(subject="bank-1-scorer", **DECIDER)
    assert client.post("/v1/fraud/decisions", json=event_data(90), headers=headers).status_code == 200
    identity = platform.service(IDENTITY).service
    with platform.unit_of_work() as uow:
        identity.cut_off_user(uow.session, "bank-1-scorer", platform.clock.now())
        uow.commit()
    r = client.post("/v1/fraud/decisions", json=event_data(91), headers=headers)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_an_honest_transfer_is_allowed_and_recorded(client, auth_headers):
    r = client.post("/v1/fraud/decisions", json=event_data(1), headers=auth_headers(**DECIDER))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "ALLOW" and body["amount_protected_fen"] == 0 and body["ruleset_version"]
    got = client.get("/v1/fraud/decisions/ev-1", headers=auth_headers(**ANALYST))
    assert got.status_code == 200 and got.json()["outcome"] == "ALLOW"


def test_a_coached_transfer_is_blocked_with_rules_and_reasons(client, auth_headers):
    data = event_data(2, amount_fen=8_000_000, beneficiary={"account": "safe-acct", "bank_code": "CCB"},
                      behaviour={"on_call": True, "screen_sharing": True})
    body = client.post("/v1/fraud/decisions", json=data, headers=auth_headers(**DECIDER)).json()
    assert body["decision"] == "BLOCK" and body["amount_protected_fen"] == 8_000_000
    assert "SCAM_REMOTE_COACHING" in body["reason_codes"] and "telecom_scam" in body["typologies"]
    assert any(rule["rule_id"].startswith("SCAM-") for rule in body["rules"])


def test_a_malformed_event_gets_a_problem_naming_the_field(client, auth_headers):
    r = client.post("/v1/fraud/decisions", json=event_data(3, amount_fen=12.5),
                    headers=auth_headers(**DECIDER))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert any("amount_fen" in e["loc"] for e in r.json()["errors"])


def test_totals_by_typology_and_channel_include_the_protected_amount(client, auth_headers):
    coached = event_data(4, amount_fen=9_000_000, beneficiary={"account": "safe", "bank_code": "CCB"},
                         behaviour={"on_call": True, "screen_sharing": True})
    client.post("/v1/fraud/decisions", json=coached, headers=auth_headers(**DECIDER))
    client.post("/v1/fraud/decisions", json=event_data(5), headers=auth_headers(**DECIDER))
    by_typology = client.get("/v1/fraud/totals?by=typology", headers=auth_headers(**ANALYST)).json()
    rows = {row["group"]: row for row in by_typology["rows"]}
    assert rows["telecom_scam"]["blocked"] == 1 and rows["telecom_scam"]["amount_protected_fen"] == 9_000_000
    by_channel = client.get("/v1/fraud/totals?by=channel", headers=auth_headers(**ANALYST)).json()
    assert by_channel["rows"][0]["group"] == "mobile" and by_channel["rows"][0]["decisions"] == 2
    assert client.get("/v1/fraud/totals", headers=auth_headers(**DECIDER)).status_code == 403


def test_another_institution_cannot_read_the_decision(client, auth_headers):
    client.post("/v1/fraud/decisions", json=event_data(6), headers=auth_headers(**DECIDER))
    other = {**ANALYST, "org": "bank-2"}
    assert client.get("/v1/fraud/decisions/ev-6", headers=auth_headers(**other)).status_code == 404


def test_a_block_list_entry_takes_effect_at_once_and_can_be_removed(client, auth_headers):
    entry = client.post("/v1/fraud/lists", headers=auth_headers(**ANALYST), json={
        "kind": "block", "entity_type": "device", "value": "phone-1", "reason": "confirmed takeover",
        "expires_at": "2099-01-01T00:00:00Z"})
    assert entry.status_code == 201, entry.text
    body = client.post("/v1/fraud/decisions", json=event_data(7), headers=auth_headers(**DECIDER)).json()
    assert body["decision"] == "BLOCK" and "LIST_BLOCK_DEVICE" in body["reason_codes"]
    listed = client.get("/v1/fraud/lists", headers=auth_headers(**ANALYST)).json()["items"]
    assert [e["value"] for e in listed] == ["phone-1"]
    removed = client.delete(f"/v1/fraud/lists/{entry.json()['id']}", headers=auth_headers(**ANALYST))
    assert removed.status_code == 204
    body = client.post("/v1/fraud/decisions", json=event_data(8), headers=auth_headers(**DECIDER)).json()
    assert body["decision"] == "ALLOW"


def test_list_entries_need_the_analyst_role_and_a_future_expiry(client, auth_headers):
    entry = {"kind": "watch", "entity_type": "ip", "value": "1.2.3.4", "reason": "r"}
    assert client.post("/v1/fraud/lists", json=entry, headers=auth_headers(**DECIDER)).status_code == 403
    past = {**entry, "expires_at": "2000-01-01T00:00:00Z"}
    assert client.post("/v1/fraud/lists", json=past, headers=auth_headers(**ANALYST)).status_code == 422


def test_the_rule_set_can_be_inspected_and_reloaded(client, auth_headers):
    live = client.get("/v1/fraud/rules", headers=auth_headers(**ANALYST)).json()
    assert live["rules"] >= 200 and live["shadow"] >= 1 and len(live["typologies"]) == 7
    reloaded = client.post("/v1/fraud/rules/reload", headers=auth_headers(**ANALYST))
    assert reloaded.status_code == 200 and reloaded.json()["version"] == live["version"]
