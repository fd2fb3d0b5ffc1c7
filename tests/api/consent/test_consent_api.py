from tests.api.consent.conftest import OTHER_FIRM


def _request(client, bank, body):
    r = client.post("/v1/consents", json=body, headers=bank)
    assert r.status_code == 201, r.text
    return r.json()


def test_an_institution_requests_and_the_enterprise_approves_narrowing_what_was_asked(
        client, bank_a, firm, request_body):
    consent = _request(client, bank_a, request_body)
    assert consent["status"] == "requested"
    r = client.post(f"/v1/consents/{consent['id']}/approve",
                    json={"categories": ["tax", "courts"], "data_from": "2025-01-01"}, headers=firm)
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "active"
    assert approved["categories"] == ["courts", "tax"]
    assert approved["data_from"] == "2025-01-01"
    assert approved["approved_by"] == "finance-manager"
    assert [e["to_status"] for e in approved["events"]] == ["requested", "active"]


def test_approval_cannot_widen_the_request(client, bank_a, firm, request_body):
    consent = _request(client, bank_a, request_body)
    r = client.post(f"/v1/consents/{consent['id']}/approve", json={"categories": ["customs"]},
                    headers=firm)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = client.post(f"/v1/consents/{consent['id']}/approve", json={"data_to": "2026-06-30"},
                    headers=firm)
    assert r.status_code == 422


def test_the_signed_artefact_verifies_and_any_edit_fails(client, bank_a, firm, request_body):
    consent = _request(client, bank_a, request_body)
    client.post(f"/v1/consents/{consent['id']}/approve", json={}, headers=firm)
    signed = client.get(f"/v1/consents/{consent['id']}/artefact", headers=bank_a).json()
    assert signed["artefact"]["consentId"] == consent["id"]
    assert signed["artefact"]["DataConsumer"]["id"] == "bank-a"
    assert signed["signature"].count(".") == 2 and ".." in signed["signature"]
    ok = client.post("/v1/consents/verify", json=signed, headers=bank_a).json()
    assert ok == {"valid": True}
    edited = {**signed["artefact"], "consentTypes": [*signed["artefact"]["consentTypes"], "customs"]}
    bad = client.post("/v1/consents/verify", json={"artefact": edited,
                                                    "signature": signed["signature"]}, headers=bank_a)
    assert bad.json() == {"valid": False}


def test_an_unapproved_consent_has_no_artefact(client, bank_a, request_body):
    consent = _request(client, bank_a, request_body)
    r = client.get(f"/v1/consents/{consent['id']}/artefact", headers=bank_a)
    assert r.status_code == 409


def test_another_institution_cannot_read_change_or_even_learn_of_a_consent(
        client, bank_a, bank_b, firm, request_body):
    consent = _request(client, bank_a, request_body)
    r = client.get(f"/v1/consents/{consent['id']}", headers=bank_b)
    missing = client.get("/v1/consents/cst_does_not_exist", headers=bank_b)
    assert r.status_code == missing.status_code == 404
    assert r.json()["detail"] == missing.json()["detail"]
    assert client.get("/v1/consents", headers=bank_b).json() == {"items": [], "next": None}
    assert client.get(f"/v1/consents/{consent['id']}/artefact", headers=bank_b).status_code == 404


def test_an_institution_cannot_approve_and_another_enterprise_cannot_touch_it(
        client, bank_a, firm, auth_headers, request_body):
    consent = _request(client, bank_a, request_body)
    assert client.post(f"/v1/consents/{consent['id']}/approve", json={},
                       headers=bank_a).status_code == 403
    other = auth_headers("someone", org=OTHER_FIRM, org_type="enterprise", scopes=["consent:manage"])
    assert client.post(f"/v1/consents/{consent['id']}/approve", json={},
                       headers=other).status_code == 404


def test_the_enterprise_pauses_resumes_and_revokes_with_reasons(client, bank_a, firm, request_body):
    cid = _request(client, bank_a, request_body)["id"]
    client.post(f"/v1/consents/{cid}/approve", json={}, headers=firm)
    assert client.post(f"/v1/consents/{cid}/pause", json={"reason_code": "suspicious_use"},
                       headers=firm).json()["status"] == "paused"
    assert client.post(f"/v1/consents/{cid}/resume", json={}, headers=firm).json()["status"] == "active"
    revoked = client.post(f"/v1/consents/{cid}/revoke", json={"reason_code": "loan_closed"},
                          headers=firm).json()
    assert revoked["status"] == "revoked"
    assert [(e["action"], e["reason_code"]) for e in revoked["events"]][-3:] == [
        ("pause", "suspicious_use"), ("resume", "user_request"), ("revoke", "loan_closed")]
    again = client.post(f"/v1/consents/{cid}/resume", json={}, headers=firm)
    assert again.status_code == 409 and again.json()["code"] == "consent_illegal_transition"


def test_requests_need_a_token_and_the_right_scope_and_org_type(client, auth_headers, firm,
                                                                 request_body):
    assert client.post("/v1/consents", json=request_body).status_code == 401
    no_scope = auth_headers("x", org="bank-a", org_type="institution", scopes=["credit:read"])
    assert client.post("/v1/consents", json=request_body, headers=no_scope).status_code == 403
    assert client.post("/v1/consents", json=request_body, headers=firm).status_code == 403


def test_malformed_requests_get_problem_json(client, bank_a, request_body):
    for bad in ({**request_body, "credit_code": "123"},
                {**request_body, "categories": []},
                {**request_body, "categories": ["palm_reading"]},
                {**request_body, "data_from": "2026-01-01", "data_to": "2025-01-01"},
                {**request_body, "purpose_code": "999"},
                {**request_body, "unexpected": 1}):
        r = client.post("/v1/consents", json=bad, headers=bank_a)
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post("/v1/consents", content=b"{not json", headers={**bank_a,
                                                                   "content-type": "application/json"})
    assert r.status_code == 422
