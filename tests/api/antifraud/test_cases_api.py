from bayfin.antifraud.cases.service import open_case
from bayfin.kernel.audit import AuditEntry

ANALYST = {"subject": "ana", "org": "bank-1", "org_type": "institution", "roles": ["fraud_analyst"],
           "scopes": ["fraud:cases"]}
SUPERVISOR = {**ANALYST, "subject": "sue", "roles": ["fraud_analyst", "fraud_supervisor"]}


def _cases(platform):
    with platform.unit_of_work() as uow:
        small = open_case(uow.session, event_id="ev-small", customer_id="c1", amount_fen=50_000, score=60,
                          rules=["R1"], institution_id="bank-1")
        big = open_case(uow.session, event_id="ev-big", customer_id="c2", amount_fen=9_000_000, score=60,
                        rules=["R1", "R2"], institution_id="bank-1")
        other = open_case(uow.session, event_id="ev-other", customer_id="c3", amount_fen=1_000, score=60,
                          rules=[], institution_id="bank-2")
        uow.commit()
        return small.id, big.id, other.id


def test_cases_need_the_analyst_role_and_scope(client, auth_headers):
    assert client.get("/v1/fraud/cases").status_code == 401
    assert client.get("/v1/fraud/cases", headers=auth_headers(org_type="institution",
                                                              scopes=["fraud:cases"])).status_code == 403
    assert client.get("/v1/fraud/cases/stats", headers=auth_headers(**ANALYST)).status_code == 403


def test_the_queue_puts_the_larger_amount_first_and_hides_other_banks_cases(client, auth_headers, platform):
    small, big, other = _cases(platform)
    r = client.get("/v1/fraud/cases", headers=auth_headers(**ANALYST))
    assert r.status_code == 200 and [c["id"] for c in r.json()["items"]] == [big, small]
    walked, url = [], "/v1/fraud/cases?limit=1"
    while url:  # the keyset runs priority down, then oldest first: one case a page, none lost
        page = client.get(url, headers=auth_headers(**ANALYST)).json()
        walked += [c["id"] for c in page["items"]]
        url = page["next"]
    assert walked == [big, small]
    assert client.get(f"/v1/fraud/cases/{other}", headers=auth_headers(**ANALYST)).status_code == 404


def test_an_analyst_works_a_case_to_a_decision_and_every_step_is_audited(client, auth_headers, platform):
    _small, big, _other = _cases(platform)
    h = auth_headers(**ANALYST)
    other = client.post(f"/v1/fraud/cases/{big}/assign", json={"assignee": "bob"}, headers=h)
    assert other.status_code == 403
    r = client.post(f"/v1/fraud/cases/{big}/assign", json={}, headers=h)
    assert r.status_code == 200 and r.json()["assignee"] == "ana" and r.json()["status"] == "assigned"
    r = client.post(f"/v1/fraud/cases/{big}/entries", json={"kind": "contact", "channel": "phone",
                                                           "text": "customer denies the transfer"}, headers=h)
    assert r.status_code == 201
    bad = client.post(f"/v1/fraud/cases/{big}/decision", json={"action": "maybe"}, headers=h)
    assert bad.status_code == 422
    r = client.post(f"/v1/fraud/cases/{big}/decision", json={"action": "confirm", "note": "ok"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    again = client.post(f"/v1/fraud/cases/{big}/decision", json={"action": "release"}, headers=h)
    assert again.status_code == 409
    detail = client.get(f"/v1/fraud/cases/{big}", headers=h).json()
    assert [e["kind"] for e in detail["history"]] == ["assign", "contact", "decision"]
    stats = client.get("/v1/fraud/cases/stats", headers=auth_headers(**SUPERVISOR)).json()
    assert stats["by_status"] == {"confirmed": 1, "open": 1}
    assert stats["confirm_rate_by_rule"]["R2"] == {"decided": 1, "confirmed": 1, "rate": 1.0}
    with platform.session_factory() as s:
        actions = [a for (a,) in s.query(AuditEntry.action).filter(AuditEntry.subject_type == "fraud_case")]
    assert {"antifraud.case.assign", "antifraud.case.contact", "antifraud.case.decide",
            "antifraud.case.read"} <= set(actions)
