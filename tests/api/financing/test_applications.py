"""Applications over HTTP: applying asks the bank's consent, the bank reports every outcome, illegal
moves are 409s naming the current and allowed states, and the service window is watched."""

from datetime import UTC, datetime

from sqlalchemy import text

from tests.api.financing.conftest import (
    FIRM,
    make_application,
    make_demand,
    make_product,
    move,
)


def test_applying_creates_the_banks_consent_request_which_the_enterprise_approves(
        client, hub, clock, bank, firm, session_factory):
    product = make_product(client, bank, consent_categories=["tax", "courts"])
    demand = make_demand(client, firm)
    application = make_application(client, firm, demand["id"], product["id"])
    assert application["state"] == "submitted" and application["allowed_next"] == ["withdrawn"]
    consents = client.get("/v1/consents", headers=bank).json()["items"]
    assert [c["id"] for c in consents] == [application["consent_id"]]
    consent = consents[0]
    assert (consent["credit_code"], consent["institution_id"], consent["status"]) == (
        FIRM, "BANK-A", "requested")
    assert consent["purpose_code"] == "101" and consent["requested_categories"] == ["courts", "tax"]
    assert consent["linked_application_id"] == application["id"]
    assert (consent["data_from"], consent["data_to"]) == ("2024-03-01", "2026-03-02")
    r = client.post(f"/v1/consents/{consent['id']}/approve", headers=firm, json={})
    assert r.status_code == 200 and r.json()["status"] == "active"
    with session_factory() as s:
        rows = s.execute(text("select action, actor, actor_org from audit_log "
                              "where action = 'consent.request_for'")).all()
    assert [tuple(r) for r in rows] == [("consent.request_for", "cfo-1", FIRM)]


def test_applying_is_refused_for_closed_demands_inactive_products_duplicates_and_strangers(
        client, bank, firm, second):
    product = make_product(client, bank)
    demand = make_demand(client, firm)
    make_application(client, firm, demand["id"], product["id"])
    again = client.post("/v1/financing/applications", headers=firm,
                        json={"demand_id": demand["id"], "product_id": product["id"]})
    assert again.status_code == 409 and again.json()["application_id"]
    stranger = client.post("/v1/financing/applications", headers=second,
                           json={"demand_id": demand["id"], "product_id": product["id"]})
    assert stranger.status_code == 404
    assert client.post("/v1/financing/applications", headers=bank,
                       json={"demand_id": demand["id"], "product_id": product["id"]}).status_code == 403
    other = make_product(client, bank, name="soon gone")
    client.post(f"/v1/financing/products/{other['id']}/deactivate", headers=bank)
    gone = client.post("/v1/financing/applications", headers=firm,
                       json={"demand_id": demand["id"], "product_id": other["id"]})
    assert gone.status_code == 404
    future = make_product(client, bank, name="next year", active_from="2099-01-01")
    r = client.post("/v1/financing/applications", headers=firm,
                    json={"demand_id": demand["id"], "product_id": future["id"]})
    assert r.status_code == 409
    client.post(f"/v1/financing/demands/{demand['id']}/close", headers=firm)
    third = make_product(client, bank, name="third")
    closed = client.post("/v1/financing/applications", headers=firm,
                         json={"demand_id": demand["id"], "product_id": third["id"]})
    assert closed.status_code == 409 and closed.json()["current_status"] == "closed"
    assert client.post("/v1/financing/applications", headers=firm, json={"demand_id": "x"}).status_code == 422


def test_the_bank_reports_each_outcome_through_the_whole_lifecycle(client, clock, bank, firm):
    product = make_product(client, bank)
    application = make_application(client, firm, make_demand(client, firm)["id"], product["id"])
    aid = application["id"]
    for to, terms in [("accepted", {}), ("under_review", {}),
                      ("offered", {"amount_fen": 80_000_000, "rate": "0.0420", "term_months": 12}),
                      ("approved", {"amount_fen": 80_000_000, "rate": "0.0410", "term_months": 12}),
                      ("disbursed", {}), ("overdue", {}), ("repaid", {})]:
        clock.advance(hours=5)
        r = move(client, bank, aid, to, **terms)
        assert r.status_code == 200, (to, r.text)
        assert r.json()["state"] == to
    body = client.get(f"/v1/financing/applications/{aid}", headers=firm).json()
    assert (body["offered_amount_fen"], body["offered_rate"]) == (80_000_000, "0.0420")
    assert (body["approved_amount_fen"], body["approved_rate"], body["approved_term_months"]) == (
        80_000_000, "0.0410", 12)
    assert body["decided_at"].startswith("2026-03-02T22:00")  # the fourth move, 20 hours in
    assert body["window_status"] == "responded" and body["allowed_next"] == []
    events = client.get(f"/v1/financing/applications/{aid}/events", headers=bank).json()["items"]
    assert [(e["from_state"], e["to_state"]) for e in events] == [
        (None, "submitted"), ("submitted", "accepted"), ("accepted", "under_review"),
        ("under_review", "offered"), ("offered", "approved"), ("approved", "disbursed"),
        ("disbursed", "overdue"), ("overdue", "repaid")]
    assert events[4]["details"] == {"amount_fen": 80_000_000, "rate": "0.0410", "term_months": 12}
    assert {e["actor_org"] for e in events[1:]} == {"BANK-A"}


def test_illegal_moves_are_409s_naming_the_current_state_and_the_allowed_next_states(
        client, bank, firm):
    product = make_product(client, bank)
    aid = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    r = move(client, bank, aid, "approved", amount_fen=1, rate="0.04", term_months=1)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["current_state"] == "submitted"
    assert r.json()["allowed_next"] == ["accepted", "rejected"]
    r = move(client, firm, aid, "accepted")
    assert r.status_code == 409 and r.json()["allowed_next"] == ["withdrawn"]
    r = move(client, bank, aid, "withdrawn")
    assert r.status_code == 409 and "only the enterprise" in r.json()["detail"]
    r = move(client, bank, aid, "teleported")
    assert r.status_code == 409 and r.json()["allowed_next"] == ["accepted", "rejected"]
    assert move(client, bank, aid, "accepted").status_code == 200
    assert move(client, bank, aid, "accepted").status_code == 409


def test_offers_and_approvals_need_terms_and_rejections_need_a_reason(client, bank, firm):
    product = make_product(client, bank)
    aid = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    move(client, bank, aid, "accepted")
    move(client, bank, aid, "under_review")
    r = move(client, bank, aid, "offered", amount_fen=100)
    assert r.status_code == 422 and r.json()["current_state"] == "under_review"
    assert move(client, bank, aid, "offered", amount_fen=1, rate="0.041234", term_months=1).status_code == 422
    too_big = move(client, bank, aid, "offered", amount_fen=10**19, rate="0.04", term_months=1)
    assert too_big.status_code == 422
    assert move(client, bank, aid + "x" * 500, "offered").status_code == 404
    assert move(client, bank, aid, "rejected").status_code == 422
    assert move(client, bank, aid, "rejected", reason="  ").status_code == 422
    r = move(client, bank, aid, "rejected", reason="cash flow too thin")
    assert r.status_code == 200 and r.json()["reject_reason"] == "cash flow too thin"
    assert r.json()["decided_at"] is not None
    assert move(client, firm, aid, "withdrawn").status_code == 409


def test_the_enterprise_withdraws_before_a_decision_but_not_after(client, bank, firm):
    product = make_product(client, bank)
    first = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    move(client, bank, first, "accepted")
    r = move(client, firm, first, "withdrawn", reason="found cheaper money")
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    second = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    for to, terms in [("accepted", {}), ("under_review", {}),
                      ("offered", {"amount_fen": 1_000, "rate": "0.05", "term_months": 6}),
                      ("approved", {"amount_fen": 1_000, "rate": "0.05", "term_months": 6})]:
        assert move(client, bank, second, to, **terms).status_code == 200
    r = move(client, firm, second, "withdrawn")
    assert r.status_code == 409 and r.json()["current_state"] == "approved"


def test_only_the_products_bank_moves_or_sees_an_application(
        client, bank, bank_b, firm, second, auth_headers):
    product = make_product(client, bank)
    aid = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    assert move(client, bank_b, aid, "accepted").status_code == 404
    assert client.get(f"/v1/financing/applications/{aid}", headers=bank_b).status_code == 404
    assert client.get(f"/v1/financing/applications/{aid}", headers=second).status_code == 404
    assert move(client, second, aid, "withdrawn").status_code == 404
    assert client.get("/v1/financing/applications", headers=bank_b).json()["items"] == []
    assert [a["id"] for a in client.get("/v1/financing/applications", headers=bank).json()["items"]] == [aid]
    assert [a["id"] for a in client.get("/v1/financing/applications", headers=firm).json()["items"]] == [aid]
    no_scope = auth_headers("o", org="BANK-A", org_type="institution", scopes=["financing:products"])
    assert move(client, no_scope, aid, "accepted").status_code == 403
    assert move(client, bank, "app_missing", "accepted").status_code == 404
    assert client.post(f"/v1/financing/applications/{aid}/transitions", headers=bank,
                       json={"to": "accepted", "extra": 1}).status_code == 422


def test_a_bank_that_misses_the_five_working_day_window_is_flagged_once_and_the_operator_alerted(
        client, clock, bank, firm, operator, session_factory):
    product = make_product(client, bank)
    clock.set(datetime(2026, 3, 6, 7, 0, tzinfo=UTC))  # Friday 15:00 in Guangzhou
    aid = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    answered = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    queue = client.get("/v1/financing/applications", headers=bank).json()["items"]
    assert queue[0]["service_due_at"] == "2026-03-13T07:00:00Z"  # next Friday 15:00
    assert queue[0]["window_status"] == "on_time"
    clock.set(datetime(2026, 3, 12, 8, 0, tzinfo=UTC))
    assert move(client, bank, answered, "accepted").status_code == 200
    assert client.get(f"/v1/financing/applications/{aid}", headers=bank).json()["window_status"] == "due_soon"
    assert client.get("/v1/financing/alerts", headers=operator).json()["items"] == []
    clock.set(datetime(2026, 3, 13, 7, 1, tzinfo=UTC))
    alerts = client.get("/v1/financing/alerts", headers=operator).json()["items"]
    assert [(a["application_id"], a["institution_id"], a["kind"]) for a in alerts] == [
        (aid, "BANK-A", "service_window_breach")]
    clock.advance(days=3)
    assert len(client.get("/v1/financing/alerts", headers=operator).json()["items"]) == 1
    flagged = client.get(f"/v1/financing/applications/{aid}", headers=bank).json()
    assert flagged["window_status"] == "breached" and flagged["window_breached_at"].startswith("2026-03-13")
    with session_factory() as s:
        n = s.execute(text("select count(*) from audit_log "
                           "where action = 'financing.service_window.breach'")).scalar()
    assert n == 1
    assert client.get("/v1/financing/alerts", headers=bank).status_code == 403
    assert client.get("/v1/financing/alerts").status_code == 401


def test_the_operator_follows_every_application_and_each_firm_read_is_audited(
        client, bank, firm, operator, session_factory, auth_headers):
    product = make_product(client, bank)
    aid = make_application(client, firm, make_demand(client, firm)["id"], product["id"])["id"]
    listed = client.get("/v1/financing/applications", headers=operator).json()["items"]
    assert [(a["id"], a["allowed_next"]) for a in listed] == [(aid, ["accepted", "rejected", "withdrawn"])]
    assert client.get("/v1/financing/applications", headers=operator,
                      params={"state": "approved"}).json()["items"] == []
    assert client.get("/v1/financing/applications", headers=operator,
                      params={"state": "nonsense"}).status_code == 422
    assert move(client, operator, aid, "accepted").status_code == 403
    with session_factory() as s:
        rows = s.execute(text("select subject_id from audit_log "
                              "where action = 'financing.application.list'")).all()
    assert [r[0] for r in rows] == [FIRM]
    regulator = auth_headers("reg", org="PBC", org_type="regulator", scopes=["financing:statistics"])
    assert client.get("/v1/financing/applications", headers=regulator).status_code == 403
