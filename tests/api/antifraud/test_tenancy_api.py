"""Two banks on one platform: each keeps its own lists, decisions and cases; consortium entries are read
by all and changed only by their owner; a caller of no organization reaches nothing."""

from bayfin.identity import IDENTITY, SYSTEM
from bayfin.kernel.audit import AuditEntry
from tests.antifraud_events import event_data

BANK_A = {"org": "BANK-A", "org_type": "institution"}
BANK_B = {"org": "BANK-B", "org_type": "institution"}
def items(body):
    """A list answer's items, whether the route answers a bare list or a cursor page ({"items": …})."""
    return body["items"] if isinstance(body, dict) and "items" in body else body


KEEPER = {"roles": ["fraud_analyst"], "scopes": ["fraud:lists", "fraud:read", "fraud:cases"]}
ENTRY = {"kind": "block", "entity_type": "device", "value": "evil-phone", "reason": "mule ring"}


def _keeper(auth_headers, bank, who="ana"):
    return auth_headers(who, **bank, **KEEPER)


def _decide(client, n, headers):
    r = client.post("/v1/fraud/decisions", json=event_data(n), headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["decision"]


def test_a_bank_neither_sees_nor_removes_another_banks_private_list_entries(client, auth_headers):
    a, b = _keeper(auth_headers, BANK_A), _keeper(auth_headers, BANK_B, "bob")
    r = client.post("/v1/fraud/lists", json=ENTRY, headers=a)
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["institution_id"] == "BANK-A" and entry["shared"] is False
    assert items(client.get("/v1/fraud/lists", headers=b).json()) == []
    assert client.delete(f"/v1/fraud/lists/{entry['id']}", headers=b).status_code == 404
    assert [e["id"] for e in items(client.get("/v1/fraud/lists", headers=a).json())] == [entry["id"]]


def test_a_shared_entry_is_read_by_every_bank_and_removed_only_by_its_owner(client, auth_headers):
    a, b = _keeper(auth_headers, BANK_A), _keeper(auth_headers, BANK_B, "bob")
    entry = client.post("/v1/fraud/lists", json={**ENTRY, "shared": True}, headers=a).json()
    seen = items(client.get("/v1/fraud/lists", headers=b).json())
    assert [e["id"] for e in seen] == [entry["id"]]
    assert seen[0]["created_by"] is None  # who at bank A made it stays with bank A
    r = client.delete(f"/v1/fraud/lists/{entry['id']}", headers=b)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert len(items(client.get("/v1/fraud/lists", headers=a).json())) == 1
    assert client.delete(f"/v1/fraud/lists/{entry['id']}", headers=a).status_code == 204
    assert items(client.get("/v1/fraud/lists", headers=b).json()) == []


def test_a_private_block_applies_to_its_owners_events_only_and_a_shared_one_to_all(client, auth_headers):
    a = _keeper(auth_headers, BANK_A)
    decider_a = auth_headers("teller-a", **BANK_A, scopes=["fraud:decide"])
    decider_b = auth_headers("teller-b", **BANK_B, scopes=["fraud:decide"])
    client.post("/v1/fraud/lists", json={**ENTRY, "value": "phone-1"}, headers=a)
    assert _decide(client, 1, decider_a) == "BLOCK"
    assert _decide(client, 2, decider_b) != "BLOCK"
    client.post("/v1/fraud/lists", json={**ENTRY, "value": "10.1.1.1", "entity_type": "ip", "shared": True},
                headers=a)
    assert _decide(client, 3, decider_b) == "BLOCK"


def test_the_same_event_id_at_two_banks_gets_each_its_own_decision(client, auth_headers):
    a = _keeper(auth_headers, BANK_A)
    client.post("/v1/fraud/lists", json={**ENTRY, "value": "phone-1"}, headers=a)
    decider_a = auth_headers("teller-a", **BANK_A, scopes=["fraud:decide"])
    decider_b = auth_headers("teller-b", **BANK_B, scopes=["fraud:decide"])
    assert _decide(client, 7, decider_a) == "BLOCK"
    assert _decide(client, 7, decider_b) != "BLOCK"
    # both are stored: an event id is unique per bank, so bank B's decision is not lost to bank A's
    b = _keeper(auth_headers, BANK_B, "bob")
    assert client.get("/v1/fraud/decisions/ev-7", headers=a).json()["outcome"] == "BLOCK"
    stored_b = client.get("/v1/fraud/decisions/ev-7", headers=b)
    assert stored_b.status_code == 200 and stored_b.json()["outcome"] != "BLOCK"
    assert _decide(client, 7, decider_b) == stored_b.json()["outcome"]  # a repeat at B answers B's


def test_the_same_event_id_at_two_banks_opens_a_case_at_each(client, auth_headers):
    alert = {"source": "alert", "event_id": "sw-9", "customer_id": "c9", "amount_fen": 1_000, "score": 70,
             "system": "card-switch", "reason": "CARD_SKIMMED"}
    a = auth_headers("switch-a", **BANK_A, scopes=["fraud:alerts"])
    b = auth_headers("switch-b", **BANK_B, scopes=["fraud:alerts"])
    first, second = (client.post("/v1/fraud/cases", json=alert, headers=who) for who in (a, b))
    assert first.status_code == 201 and second.status_code == 201, second.text
    assert first.json()["id"] != second.json()["id"]
    queue_b = items(client.get("/v1/fraud/cases", headers=_keeper(auth_headers, BANK_B, "bob")).json())
    assert [c["id"] for c in queue_b] == [second.json()["id"]]


def test_a_user_of_no_organization_reads_no_bank_s_decisions_cases_or_totals(client, auth_headers):
    decider_a = auth_headers("teller-a", **BANK_A, scopes=["fraud:decide"])
    assert client.post("/v1/fraud/decisions", json=event_data(1), headers=decider_a).status_code == 200
    orphan = auth_headers("drifter", org=None, org_type=None, **KEEPER)
    for path in ("/v1/fraud/decisions/ev-1", "/v1/fraud/totals", "/v1/fraud/cases", "/v1/fraud/lists",
                 "/v1/fraud/models/shadow-report"):
        r = client.get(path, headers=orphan)
        assert r.status_code == 403, (path, r.text)
        assert "c1" not in r.text and "ev-1" not in r.text.replace("/v1/fraud/decisions/ev-1", "")
    other_bank = _keeper(auth_headers, BANK_B, "bob")
    assert client.get("/v1/fraud/decisions/ev-1", headers=other_bank).status_code == 404
    assert client.get("/v1/fraud/totals", headers=other_bank).json()["rows"] == []
    assert client.get("/v1/fraud/totals", headers=_keeper(auth_headers, BANK_A)).json()["rows"] != []


def test_a_regulator_reads_across_banks_and_every_such_read_is_audited(client, auth_headers, platform):
    decider_a = auth_headers("teller-a", **BANK_A, scopes=["fraud:decide"])
    client.post("/v1/fraud/decisions", json=event_data(1), headers=decider_a)
    regulator = auth_headers("reg", org="PBOC-GD", org_type="regulator", roles=["fraud_analyst"],
                             scopes=["fraud:read", "fraud:lists"])
    assert client.get("/v1/fraud/decisions/ev-1", headers=regulator).status_code == 200
    assert client.post("/v1/fraud/lists", json=ENTRY, headers=regulator).status_code == 403
    with platform.unit_of_work() as uow:
        crossings = [(e.actor, e.subject_id) for e in uow.session.query(AuditEntry).all()
                     if e.action == "tenancy.cross_tenant"]
    assert crossings == [("reg", "GET /v1/fraud/decisions/ev-1")]


def test_a_duplicate_alert_never_names_another_banks_case(client, auth_headers):
    alert = {"source": "alert", "event_id": "sw-1", "customer_id": "c9", "amount_fen": 1_000, "score": 70,
             "system": "card-switch", "reason": "CARD_SKIMMED"}
    a = auth_headers("switch-a", **BANK_A, scopes=["fraud:alerts"])
    b = auth_headers("switch-b", **BANK_B, scopes=["fraud:alerts"])
    first = client.post("/v1/fraud/cases", json=alert, headers=a)
    assert first.status_code == 201
    own = client.post("/v1/fraud/cases", json=alert, headers=b)  # bank B's own event under the same id
    assert own.status_code == 201 and own.json()["id"] != first.json()["id"]
    again = client.post("/v1/fraud/cases", json=alert, headers=b)
    assert again.status_code == 409 and again.json()["case_id"] == own.json()["id"]
    assert client.post("/v1/fraud/cases", json=alert, headers=a).json()["case_id"] == first.json()["id"]


def test_a_bank_cannot_work_another_banks_case(client, auth_headers):
    a = auth_headers("switch-a", **BANK_A, scopes=["fraud:alerts"])
    alert = {"source": "alert", "event_id": "sw-2", "customer_id": "c9", "amount_fen": 1_000, "score": 70,
             "system": "card-switch", "reason": "CARD_SKIMMED"}
    case_id = client.post("/v1/fraud/cases", json=alert, headers=a).json()["id"]
    b = _keeper(auth_headers, BANK_B, "bob")
    for method, path, body in (("GET", f"/v1/fraud/cases/{case_id}", None),
                               ("POST", f"/v1/fraud/cases/{case_id}/assign", {}),
                               ("POST", f"/v1/fraud/cases/{case_id}/entries", {"kind": "note", "text": "x"}),
                               ("POST", f"/v1/fraud/cases/{case_id}/decision", {"action": "release"})):
        r = client.request(method, path, json=body, headers=b)
        assert r.status_code == 404, (path, r.text)
        assert "c9" not in r.text


def test_a_head_office_reads_its_branchs_decisions_and_the_branch_not_the_head_offices(
        client, auth_headers, platform):
    ident = platform.service(IDENTITY)
    with platform.unit_of_work() as uow:
        ident.service.create_org(uow.session, SYSTEM, code="BANK-A", name="A",
                                 org_type="institution")
        ident.service.create_org(uow.session, SYSTEM, code="BANK-A-SZ", name="A Shenzhen",
                                 org_type="institution", parent="BANK-A")
        uow.commit()
    branch_teller = auth_headers("teller-sz", org="BANK-A-SZ", org_type="institution",
                                 scopes=["fraud:decide"])
    head_teller = auth_headers("teller-hq", **BANK_A, scopes=["fraud:decide"])
    _decide(client, 1, branch_teller)
    _decide(client, 2, head_teller)
    head = _keeper(auth_headers, BANK_A)
    branch = auth_headers("ana-sz", org="BANK-A-SZ", org_type="institution", **KEEPER)
    assert client.get("/v1/fraud/decisions/ev-1", headers=head).status_code == 200
    assert client.get("/v1/fraud/decisions/ev-2", headers=branch).status_code == 404
    other_bank = _keeper(auth_headers, BANK_B, "bob")
    assert client.get("/v1/fraud/decisions/ev-2", headers=other_bank).status_code == 404
