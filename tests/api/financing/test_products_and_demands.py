"""Products, demands and matches over HTTP: who may do what, and what each refusal looks like."""

from sqlalchemy import text

from tests.api.financing.conftest import FIRM, make_demand, make_product, product_body


def test_an_institution_publishes_lists_changes_and_deactivates_its_product(client, bank, firm):
    product = make_product(client, bank, cities=["440100"], min_tax_grade="B")
    assert product["institution_id"] == "BANK-A" and product["min_rate"] == "0.0350"
    assert product["consent_categories"] == ["courts", "registration", "score", "social_security", "tax"]
    r = client.patch(f"/v1/financing/products/{product['id']}", headers=bank,
                     json={"max_rate": "0.0550", "min_score": 600})
    assert r.status_code == 200, r.text
    assert (r.json()["max_rate"], r.json()["min_score"]) == ("0.0550", 600)
    listed = client.get("/v1/financing/products", headers=bank).json()["items"]
    assert [p["id"] for p in listed] == [product["id"]]
    r = client.post(f"/v1/financing/products/{product['id']}/deactivate", headers=bank)
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/v1/financing/products", headers=firm).json()["items"] == []
    assert client.get(f"/v1/financing/products/{product['id']}", headers=firm).status_code == 404
    assert client.get(f"/v1/financing/products/{product['id']}", headers=bank).status_code == 200


def test_product_endpoints_refuse_strangers_other_banks_and_bad_input(
        client, bank, bank_b, firm, auth_headers):
    assert client.post("/v1/financing/products", json=product_body()).status_code == 401
    r = client.post("/v1/financing/products", headers=firm, json=product_body())
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    unscoped = auth_headers("x", org="BANK-C", org_type="institution", scopes=["financing:review"])
    r = client.post("/v1/financing/products", headers=unscoped, json=product_body())
    assert r.status_code == 403 and r.json()["required_scopes"] == ["financing:products"]
    for bad in ({"min_amount_fen": 9, "max_amount_fen": 5}, {"min_rate": "0.03505"},
                {"max_rate": "1.5"}, {"min_tax_grade": "Z"}, {"product_type": "pawn"},
                {"cities": ["44 01"]}, {"unknown": 1}, {"max_amount_fen": 10**19}):
        r = client.post("/v1/financing/products", headers=bank, json=product_body(**bad))
        assert r.status_code == 422, bad
    product = make_product(client, bank)
    r = client.patch(f"/v1/financing/products/{product['id']}", headers=bank_b, json={"min_score": 1})
    assert r.status_code == 404
    r = client.patch(f"/v1/financing/products/{product['id']}", headers=bank,
                     json={"min_amount_fen": 900_000_000})
    assert r.status_code == 422 and "min_amount_fen" in r.json()["detail"]
    r = client.patch(f"/v1/financing/products/{product['id']}", headers=bank, json={"name": None})
    assert r.status_code == 422
    assert client.post(f"/v1/financing/products/{product['id']}/deactivate",
                       headers=bank_b).status_code == 404


def test_a_demand_carries_the_firm_facts_from_the_hub_and_is_audited(
        client, hub, clock, firm, session_factory):
    demand = make_demand(client, firm, collateral_offered=True, urgency="high")
    assert demand["credit_code"] == FIRM and demand["status"] == "open"
    assert (demand["city_code"], demand["industry_code"]) == ("440100", "C39")
    assert demand["firm_age_months"] == 83  # founded 5 March 2019, today 2 March 2026
    assert demand["score"] is None  # no scoring model is registered
    listed = client.get("/v1/financing/demands", headers=firm).json()["items"]
    assert [d["id"] for d in listed] == [demand["id"]]
    with session_factory() as s:
        rows = s.execute(text("select action, subject_id from audit_log "
                              "where action = 'financing.demand.publish'")).all()
    assert [tuple(r) for r in rows] == [("financing.demand.publish", FIRM)]


def test_demands_are_closed_once_by_their_own_enterprise_only(client, firm, second, bank):
    demand = make_demand(client, firm)
    assert client.get(f"/v1/financing/demands/{demand['id']}", headers=firm).json() == demand
    assert client.get(f"/v1/financing/demands/{demand['id']}", headers=second).status_code == 404
    assert client.post(f"/v1/financing/demands/{demand['id']}/close", headers=second).status_code == 404
    assert client.post(f"/v1/financing/demands/{demand['id']}/close", headers=bank).status_code == 403
    r = client.post(f"/v1/financing/demands/{demand['id']}/close", headers=firm)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = client.post(f"/v1/financing/demands/{demand['id']}/close", headers=firm)
    assert r.status_code == 409 and r.json()["current_status"] == "closed"
    assert client.get("/v1/financing/demands", headers=second).json()["items"] == []
    assert client.get("/v1/financing/demands", headers=bank).status_code == 403


def test_demand_input_is_validated(client, firm, bank):
    for bad in ({"amount_fen": 0}, {"amount_fen": 10**19}, {"term_months": 0}, {"purpose": ""},
                {"urgency": "asap"}):
        body = {"amount_fen": 1, "term_months": 1, "purpose": "x", **bad}
        assert client.post("/v1/financing/demands", headers=firm, json=body).status_code == 422, bad
    assert client.post("/v1/financing/demands", headers=bank,
                       json={"amount_fen": 1, "term_months": 1, "purpose": "x"}).status_code == 403


def test_matches_rank_eligible_products_with_why_and_name_the_failed_criterion_of_near_misses(
        client, hub, clock, bank, bank_b, firm, session_factory):
    cheap = make_product(client, bank, name="cheap", min_rate="0.0300", max_rate="0.0400")
    dear = make_product(client, bank_b, name="dear", min_rate="0.0800", max_rate="0.1200")
    shenzhen = make_product(client, bank, name="shenzhen only", cities=["440300"])
    secured = make_product(client, bank_b, name="secured", collateral_required=True)
    far = make_product(client, bank, name="big tickets", min_amount_fen=900_000_000,
                       max_amount_fen=2_000_000_000, cities=["440300"])
    demand = make_demand(client, firm)
    r = client.get(f"/v1/financing/demands/{demand['id']}/matches", headers=firm)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scored"] is False
    assert [m["product_id"] for m in body["eligible"]] == [cheap["id"], dear["id"]]
    assert body["eligible"][0]["fit"] > body["eligible"][1]["fit"]
    assert body["eligible"][0]["reasons"][0] == "rate 3.00%–4.00% a year"
    assert "the firm's city is served" not in body["eligible"][0]["reasons"]  # "cheap" serves every city
    near = {m["product_id"]: m["failed"] for m in body["near_misses"]}
    assert near == {shenzhen["id"]: ["city"], secured["id"]: ["collateral"]}
    assert far["id"] not in near  # fails two criteria: not a near miss
    with session_factory() as s:
        n = s.execute(text("select count(*) from audit_log where action = 'financing.demand.match'")).scalar()
    assert n == 1


def test_only_the_demands_enterprise_gets_its_matches(client, firm, second, bank):
    demand = make_demand(client, firm)
    assert client.get(f"/v1/financing/demands/{demand['id']}/matches", headers=second).status_code == 404
    assert client.get(f"/v1/financing/demands/{demand['id']}/matches", headers=bank).status_code == 403
    assert client.get(f"/v1/financing/demands/{demand['id']}/matches").status_code == 401


def test_a_bank_lead_list_shows_open_demands_fitting_its_products_and_audits_each_firm(
        client, hub, clock, bank, bank_b, firm, second, session_factory):
    product = make_product(client, bank, max_amount_fen=200_000_000)
    make_product(client, bank_b)
    fits = make_demand(client, firm, amount_fen=150_000_000)
    make_demand(client, second, amount_fen=300_000_000)  # above the product's range
    closed = make_demand(client, second, amount_fen=100_000_000)
    client.post(f"/v1/financing/demands/{closed['id']}/close", headers=second)
    r = client.get("/v1/financing/leads", headers=bank)
    assert r.status_code == 200, r.text
    assert [(x["demand_id"], x["product_id"]) for x in r.json()["items"]] == [(fits["id"], product["id"])]
    assert r.json()["items"][0]["city_code"] == "440100"
    with session_factory() as s:
        rows = s.execute(text("select subject_id from audit_log where action = 'financing.leads'")).all()
    assert [r[0] for r in rows] == [FIRM]
    assert client.get("/v1/financing/leads", headers=firm).status_code == 403
    applied = client.post("/v1/financing/applications", headers=firm,
                          json={"demand_id": fits["id"], "product_id": product["id"]})
    assert applied.status_code == 201
    assert client.get("/v1/financing/leads", headers=bank).json()["items"] == []  # it is in the queue now


def test_matches_see_a_new_changed_or_deactivated_product_at_once(client, hub, clock, bank, firm):
    first = make_product(client, bank, name="first")
    demand = make_demand(client, firm)
    url = f"/v1/financing/demands/{demand['id']}/matches"
    assert [m["product_id"] for m in client.get(url, headers=firm).json()["eligible"]] == [first["id"]]
    second = make_product(client, bank, name="second", min_rate="0.0200", max_rate="0.0300")
    assert [m["product_id"] for m in client.get(url, headers=firm).json()["eligible"]] == [
        second["id"], first["id"]]
    client.patch(f"/v1/financing/products/{second['id']}", headers=bank, json={"cities": ["440300"]})
    body = client.get(url, headers=firm).json()
    assert [m["product_id"] for m in body["near_misses"]] == [second["id"]]
    client.post(f"/v1/financing/products/{first['id']}/deactivate", headers=bank)
    assert client.get(url, headers=firm).json()["eligible"] == []


def test_with_a_registered_model_matching_uses_the_firms_score(client, hub, clock, bank, firm, platform):
    from bayfin.scoring import SCORING
    from bayfin.scoring import model as registry
    from tests.unit.scoring.test_scorecard import synthetic

    features, y = synthetic(1200)
    registry.save(registry.fit_model(features, y, challenger=False), platform.settings.data_dir)
    platform.service(SCORING).reload()
    demand = make_demand(client, firm)
    assert isinstance(demand["score"], int)
    reachable = make_product(client, bank, name="reachable", min_score=demand["score"])
    too_high = make_product(client, bank, name="too high", min_score=demand["score"] + 1)
    body = client.get(f"/v1/financing/demands/{demand['id']}/matches", headers=firm).json()
    assert body["scored"] is True and body["score"] == demand["score"]
    assert [m["product_id"] for m in body["eligible"]] == [reachable["id"]]
    assert [(m["product_id"], m["failed"]) for m in body["near_misses"]] == [(too_high["id"], ["score"])]
