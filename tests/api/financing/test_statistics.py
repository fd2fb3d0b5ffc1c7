"""GET /v1/financing/statistics equals the underlying records exactly."""

from datetime import timedelta

import pytest

from bayfin.financing.domain import CHINA_TZ
from tests.api.financing.conftest import MONDAY, make_application, make_demand, make_product, move


@pytest.fixture
def third(auth_headers):
    from tests.api.financing.conftest import THIRD

    return auth_headers("cfo-3", org=THIRD, org_type="enterprise", scopes=["financing:apply"])


def _decide(client, clock, bank, aid, hours, outcome, amount_fen=None):
    for to in ("accepted", "under_review"):
        assert move(client, bank, aid, to).status_code == 200
    if outcome == "rejected":
        clock.set(MONDAY + timedelta(hours=hours))
        assert move(client, bank, aid, "rejected", reason="thin file").status_code == 200
        return
    terms = {"amount_fen": amount_fen, "rate": "0.0450", "term_months": 12}
    assert move(client, bank, aid, "offered", **terms).status_code == 200
    clock.set(MONDAY + timedelta(hours=hours))
    assert move(client, bank, aid, "approved", **terms).status_code == 200


def test_statistics_equal_the_records_figure_by_figure(
        client, hub, clock, bank, bank_b, firm, second, third, operator, auth_headers):
    credit_a = make_product(client, bank, product_type="credit")["id"]
    guarantee_b = make_product(client, bank_b, product_type="guarantee")["id"]
    d1, d2 = make_demand(client, firm)["id"], make_demand(client, firm)["id"]
    d3 = make_demand(client, second)["id"]
    d4, d5 = make_demand(client, third)["id"], make_demand(client, third)["id"]
    d6 = make_demand(client, firm)["id"]
    client.post(f"/v1/financing/demands/{d6}/close", headers=firm)
    a1 = make_application(client, firm, d1, credit_a)["id"]
    a2 = make_application(client, firm, d2, guarantee_b)["id"]
    a3 = make_application(client, second, d3, credit_a)["id"]
    a4 = make_application(client, third, d4, guarantee_b)["id"]
    a5 = make_application(client, third, d5, credit_a)["id"]
    a6 = make_application(client, firm, d1, guarantee_b)["id"]
    assert move(client, firm, a6, "withdrawn").status_code == 200
    _decide(client, clock, bank, a1, 10, "approved", 80_000_000)
    _decide(client, clock, bank_b, a2, 20, "approved", 50_000_000)
    _decide(client, clock, bank, a3, 30, "approved", 30_000_000)
    _decide(client, clock, bank_b, a4, 40, "approved", 20_000_000)  # approved, never disbursed
    _decide(client, clock, bank, a5, 50, "rejected")
    for headers, aid, path in [(bank, a1, ["disbursed"]), (bank_b, a2, ["disbursed", "repaid"]),
                               (bank, a3, ["disbursed", "overdue"])]:
        for to in path:
            assert move(client, headers, aid, to).status_code == 200

    r = client.get("/v1/financing/statistics", headers=operator)
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["registered_enterprises"], s["demands"], s["open_demands"], s["applications"]) == (3, 6, 5, 6)
    assert (s["financings"], s["financed_amount_fen"]) == (3, 160_000_000)
    assert (s["first_time_borrowers"], s["first_time_borrower_share"]) == (2, 0.666667)
    assert (s["decisions"], s["average_hours_to_decision"]) == (5, 30.0)
    assert s["by_city"] == [{"key": "440100", "financings": 3, "amount_fen": 160_000_000}]
    assert s["by_industry"] == [{"key": "C39", "financings": 3, "amount_fen": 160_000_000}]
    assert s["by_institution"] == [{"key": "BANK-A", "financings": 2, "amount_fen": 110_000_000},
                                   {"key": "BANK-B", "financings": 1, "amount_fen": 50_000_000}]
    assert s["by_product_type"] == [{"key": "credit", "financings": 2, "amount_fen": 110_000_000},
                                    {"key": "guarantee", "financings": 1, "amount_fen": 50_000_000}]
    disbursed_in = (MONDAY + timedelta(hours=50)).astimezone(CHINA_TZ).strftime("%Y-%m")
    assert s["by_month"] == [{"key": disbursed_in, "financings": 3, "amount_fen": 160_000_000}]
    regulator = auth_headers("reg", org="PBC-GZ", org_type="regulator", scopes=["financing:statistics"])
    assert client.get("/v1/financing/statistics", headers=regulator).json() == s


def test_an_empty_marketplace_has_zero_figures_and_no_shares(client, operator):
    s = client.get("/v1/financing/statistics", headers=operator).json()
    assert s["financings"] == 0
    assert (s["first_time_borrower_share"], s["average_hours_to_decision"]) == (None, None)


def test_statistics_are_for_the_operator_and_regulators_with_the_scope(client, bank, firm, auth_headers):
    assert client.get("/v1/financing/statistics").status_code == 401
    assert client.get("/v1/financing/statistics", headers=bank).status_code == 403
    assert client.get("/v1/financing/statistics", headers=firm).status_code == 403
    unscoped = auth_headers("ops", org="OPERATOR", org_type="operator", scopes=["financing:operate"])
    assert client.get("/v1/financing/statistics", headers=unscoped).status_code == 403
