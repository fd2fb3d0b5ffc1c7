"""The graph over HTTP: operators see it all, credit officers one firm under its consent, others nothing."""

from datetime import date

import pytest
from sqlalchemy import select

from bayfin.creditdata.domain import make_credit_code
from bayfin.kernel.audit import AuditEntry
from bayfin.supplychain.ingest import ingest_graph_file

C = [make_credit_code("9", "1", "440100", f"{20000000 + i:08d}") for i in range(6)]
HEADER = "担保合同编号,担保人统一社会信用代码,借款人统一社会信用代码,担保金额(元),签订月份\n"


@pytest.fixture
def graph_data(platform, tmp_path):
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "销方统一社会信用代码,购方统一社会信用代码,开票月份,价税合计(元),发票份数\n"
        + "".join(f"{C[1]},{C[0]},2024-{m:02d},300.00,1\n{C[2]},{C[0]},2024-{m:02d},100.00,1\n"
                  for m in range(1, 13)), encoding="utf-8")
    guarantees = tmp_path / "guarantees.csv"
    guarantees.write_text(HEADER + f"DB1,{C[3]},{C[4]},5000.00,2024-01\nDB2,{C[4]},{C[3]},6000.00,2024-02\n",
                          encoding="utf-8")
    with platform.unit_of_work() as uow:
        ingest_graph_file(uow.session, invoices, "graph_invoices", date(2025, 1, 10))
        ingest_graph_file(uow.session, guarantees, "graph_guarantees", date(2025, 1, 10))
        uow.commit()


@pytest.fixture
def operator(auth_headers):
    return auth_headers("op", org="GD-OFFICE", org_type="operator", roles=["operator"])


@pytest.fixture
def officer(auth_headers):
    return auth_headers("officer-a", org="BANK-A", org_type="institution", roles=["credit_officer"],
                        scopes=["consent:request", "credit:read"])


def consent_for(client, bank, auth_headers, firm):
    r = client.post("/v1/consents", headers=bank, json={
        "credit_code": firm, "purpose_code": "103", "purpose_text": "supply-chain finance",
        "categories": ["tax"], "access_mode": "periodic", "frequency": {"unit": "day", "value": 50},
        "data_from": "2023-01-01", "data_to": "2024-12-31", "validity_days": 30})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    owner = auth_headers("owner", org=firm, org_type="enterprise", scopes=["consent:manage"])
    assert client.post(f"/v1/consents/{cid}/approve", json={}, headers=owner).status_code == 200
    return cid


def test_an_operator_sees_the_circles_and_reads_a_chain_audited(client, graph_data, operator, platform):
    circles = client.get("/v1/graph/circles", headers=operator)
    assert circles.status_code == 200
    assert [c["at_stake_fen"] for c in circles.json()["items"]] == [1_100_000]
    chain = client.get(f"/v1/graph/enterprises/{C[0]}/chain", headers=operator)
    assert chain.status_code == 200
    assert [m["credit_code"] for m in chain.json()["upstream"]] == [C[1], C[2]]
    with platform.unit_of_work() as uow:
        actions = uow.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == C[0])).all()
    assert "graph.chain" in actions


def test_no_token_is_401_and_an_enterprise_is_403(client, graph_data, auth_headers):
    assert client.get("/v1/graph/circles").status_code == 401
    firm = auth_headers("firm", org=C[0], org_type="enterprise", roles=["owner"])
    assert client.get("/v1/graph/circles", headers=firm).status_code == 403
    assert client.get(f"/v1/graph/enterprises/{C[0]}/chain", headers=firm).status_code == 403


def test_a_credit_officer_needs_the_firms_consent(client, graph_data, officer, auth_headers):
    assert client.get("/v1/graph/circles", headers=officer).status_code == 403
    refused = client.get(f"/v1/graph/enterprises/{C[0]}/offers", headers=officer)
    assert refused.status_code == 403
    cid = consent_for(client, officer, auth_headers, C[0])
    offers = client.get(f"/v1/graph/enterprises/{C[0]}/offers", headers=officer, params={"consent_id": cid})
    assert offers.status_code == 200, offers.text
    assert {o["supplier"] for o in offers.json()["items"]} == {C[1], C[2]}
    other = client.get(f"/v1/graph/enterprises/{C[1]}/chain", headers=officer, params={"consent_id": cid})
    assert other.status_code == 403


def test_the_ego_picture_is_svg_and_an_unknown_firm_is_404(client, graph_data, operator):
    svg = client.get(f"/v1/graph/enterprises/{C[3]}/ego.svg", headers=operator)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count("<circle") == 2
    assert client.get(f"/v1/graph/enterprises/{C[5]}/ego", headers=operator).status_code == 404
    assert client.get(f"/v1/graph/enterprises/{C[3]}/ego", headers=operator,
                      params={"radius": 9}).status_code == 422


def test_exposure_names_the_neighbour_that_drives_it(client, graph_data, operator):
    r = client.get(f"/v1/graph/enterprises/{C[3]}/exposure", headers=operator, params={"defaulted": [C[4]]})
    assert r.status_code == 200
    exposed = r.json()["exposed"][0]
    assert exposed["exposure"] > 0 and exposed["drivers"][0]["credit_code"] == C[4]


def test_signals_run_once_then_list(client, graph_data, operator):
    first = client.post("/v1/graph/signals/run", headers=operator, params={"month": "2024-12"})
    assert first.status_code == 200
    assert {s["kind"] for s in first.json()} >= {"new_guarantee_circle"}
    assert client.post("/v1/graph/signals/run", headers=operator, params={"month": "2024-12"}).json() == []
    listed = client.get("/v1/graph/signals", headers=operator).json()
    assert len(listed["items"]) == len(first.json()) and listed["next"] is None


def test_signals_page_newest_first_without_loss_or_repeat(client, graph_data, operator, platform):
    from datetime import UTC, datetime

    from bayfin.supplychain.models import GraphSignal

    with platform.unit_of_work() as uow:
        uow.session.add_all([GraphSignal(kind="test", key=str(i), subject=C[0], month="2024-12",
                                         raised_at=datetime.now(UTC), details={}) for i in range(7)])
        uow.commit()
    seen, url = [], "/v1/graph/signals?limit=2"
    while url:
        page = client.get(url, headers=operator).json()
        assert len(page["items"]) <= 2
        seen += [s["id"] for s in page["items"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 7
