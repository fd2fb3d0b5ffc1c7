"""Financing pages over HTTP on both databases: the financing API's scope rules, forms that keep what
was typed, and a published demand that opens its matches."""

from __future__ import annotations

import re

from bayfin.financing.models import FinancingDemand
from tests.api.creditreport.test_credit_reports import FIRM, hub  # noqa: F401
from tests.api.web.test_console_pages import csrf, sign_in


def test_the_financing_pages_follow_the_financing_apis_scopes(client, platform):
    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("consent:manage",))
    page = client.get("/console/firm/consents")
    assert 'href="/console/financing/demands"' not in page.text
    assert client.get("/console/financing/demands").status_code == 403
    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("consent:manage", "financing:apply"))
    assert 'href="/console/financing/demands"' in client.get("/console/firm/consents").text
    assert client.get("/console/financing/demands").status_code == 200
    assert client.get("/console/financing/queue").status_code == 403, "a firm has no bank queue"


def test_a_demand_with_a_bad_amount_and_no_purpose_keeps_what_was_typed(client, platform, hub, session):  # noqa: F811
    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("financing:apply",))
    token = csrf(client.get("/console/financing/demands").text)
    r = client.post("/console/financing/demands", data={"csrf_token": token, "amount": "12abc",
                                                        "term_months": "18", "purpose": "",
                                                        "urgency": "high"})
    assert r.status_code == 422
    assert 'id="amount-error"' in r.text and 'id="purpose-error"' in r.text
    assert 'value="12abc"' in r.text and 'value="18"' in r.text
    assert re.search(r'value="high"\s+checked', r.text)
    assert session.query(FinancingDemand).count() == 0


def test_a_published_demand_opens_its_matches_page(client, platform, hub, session):  # noqa: F811
    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("financing:apply",))
    token = csrf(client.get("/console/financing/demands").text)
    r = client.post("/console/financing/demands", follow_redirects=False, data={
        "csrf_token": token, "amount": "500,000", "term_months": "12", "purpose": "equipment",
        "urgency": "normal"})
    assert r.status_code == 303
    demand = session.query(FinancingDemand).filter_by(credit_code=FIRM).one()
    assert demand.amount_fen == 50_000_000 and r.headers["location"].startswith(
        f"/console/financing/demands/{demand.id}")
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "The demand is published." in page.text or "融资需求已发布。" in page.text


def test_the_firm_withdraws_its_application_from_its_page(client, platform, hub, session):  # noqa: F811
    from decimal import Decimal

    from bayfin.financing import service_for
    from bayfin.financing.models import LoanApplication
    from bayfin.financing.schemas import ProductIn
    from bayfin.kernel.security import Principal

    bank = Principal("officer-a", "BANK-A", "institution", scopes=frozenset({"financing:products"}))
    product = service_for(session, platform).create_product(bank, ProductIn(
        name="Micro loan", product_type="credit", min_amount_fen=100_000, max_amount_fen=100_000_000,
        min_term_months=3, max_term_months=36, min_rate=Decimal("0.04"), max_rate=Decimal("0.08")))
    session.commit()
    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("financing:apply",))
    token = csrf(client.get("/console/financing/demands").text)
    r = client.post("/console/financing/demands", follow_redirects=False, data={
        "csrf_token": token, "amount": "50000", "term_months": "12", "purpose": "stock"})
    demand_id = r.headers["location"].split("/")[-1].split("?")[0]
    r = client.post("/console/financing/applications", follow_redirects=False,
                    data={"csrf_token": token, "demand_id": demand_id, "product_id": product.id})
    assert r.status_code == 303
    application = session.query(LoanApplication).filter_by(credit_code=FIRM).one()
    page = client.get(f"/console/financing/applications/{application.id}")
    assert page.status_code == 200, page.text[-1500:]
    assert 'data-testid="withdraw"' in page.text
    r = client.post(f"/console/financing/applications/{application.id}/withdraw",
                    data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    assert session.get(LoanApplication, application.id).state == "withdrawn"
    again = client.post(f"/console/financing/applications/{application.id}/withdraw",
                        data={"csrf_token": token})
    assert again.status_code == 409 and "<main" in again.text


def test_the_matches_page_says_why_in_terms_and_names_a_near_miss_plainly(client, platform, hub, session):  # noqa: F811
    from decimal import Decimal

    from bayfin.financing import service_for
    from bayfin.financing.schemas import ProductIn
    from bayfin.kernel.security import Principal

    bank = Principal("officer-a", "BANK-A", "institution", scopes=frozenset({"financing:products"}))
    service = service_for(session, platform)
    for name, secured in (("Micro loan", False), ("Secured loan", True)):
        service.create_product(bank, ProductIn(
            name=name, product_type="credit", min_amount_fen=100_000, max_amount_fen=100_000_000,
            min_term_months=3, max_term_months=36, min_rate=Decimal("0.04"), max_rate=Decimal("0.08"),
            collateral_required=secured))
    session.commit()
    sign_in(client, platform, "finance-1", FIRM, "enterprise", scopes=("financing:apply",))
    token = csrf(client.get("/console/financing/demands").text)
    r = client.post("/console/financing/demands", follow_redirects=True, data={
        "csrf_token": token, "amount": "50000", "term_months": "12", "purpose": "stock"})
    assert r.status_code == 200
    assert "rate 4.00%–8.00% a year" in r.text  # the domain's why, beside the product
    assert ("the product needs collateral the demand does not offer" in r.text
            or "产品要求抵押，需求未提供" in r.text)
    assert ">collateral<" not in r.text  # not the raw criterion code
