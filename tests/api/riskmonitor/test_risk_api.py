"""The risk API: regulators' risk analysts only, audited, problem+json for what cannot be done."""

from datetime import date

import pytest
from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry
from bayfin.riskmonitor import repository as repo
from bayfin.riskmonitor.wiring import RISK_MONITOR
from tests.integration.creditdata.deliveries import code
from tests.integration.riskmonitor.evidence import (
    hotline_file,
    monitor,
    police_file,
    register_firms,
    web_file,
)

ANALYST = {"org": "gz-risk-centre", "org_type": "regulator", "roles": ["risk_analyst"]}


@pytest.fixture
def loaded(platform, tmp_path):
    mon = monitor()
    platform.provide(RISK_MONITOR, mon)
    with platform.unit_of_work() as uow:
        register_firms(uow.session, tmp_path)
        for path, source in ((web_file(tmp_path), "risk_web"), (hotline_file(tmp_path), "risk_hotline"),
                             (police_file(tmp_path), "risk_police")):  # fmt: skip
            mon.ingest(uow.session, path, source, date(2024, 6, 1))
        uow.commit()
    return mon


def test_risk_data_needs_a_token(client):
    r = client.get("/v1/risk/watchlist")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "who",
    [
        {"org_type": "operator", "roles": ["operator"]},
        {"org_type": "institution", "roles": ["risk_analyst"]},
        {"org_type": "enterprise", "roles": ["risk_analyst"]},
        {"org_type": "regulator", "roles": ["viewer"]},
    ],
)
def test_anyone_but_a_regulators_risk_analyst_is_refused(client, auth_headers, who):
    assert client.get(f"/v1/risk/firms/{code(1)}", headers=auth_headers(**who)).status_code == 403
    assert client.get("/v1/risk/leads", headers=auth_headers(**who)).status_code == 403


def test_an_analyst_reads_a_portrait_and_the_read_is_audited(client, auth_headers, loaded, platform):
    r = client.get(f"/v1/risk/firms/{code(1)}", headers=auth_headers(subject="analyst-7", **ANALYST))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["current"]["level"] in ("high", "critical") and body["tags"] and body["leads"]
    with platform.session_factory() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "riskmonitor.portrait.read")
        ).all()
    assert [(e.actor, e.subject_id) for e in entries] == [("analyst-7", code(1))]


def test_an_unknown_firm_is_a_404_problem(client, auth_headers, loaded):
    r = client.get(f"/v1/risk/firms/{code(99)}", headers=auth_headers(**ANALYST))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_the_watchlist_and_a_lead_workflow_over_http(client, auth_headers, loaded):
    headers = auth_headers(**ANALYST)
    watch = client.get("/v1/risk/watchlist", headers=headers).json()["items"]
    assert [w["credit_code"] for w in watch] == [code(1)]
    lead = client.get("/v1/risk/leads?status=open", headers=headers).json()["items"][0]
    moved = client.post(
        f"/v1/risk/leads/{lead['id']}", json={"to": "dispatched", "assignee": "天河区"}, headers=headers
    )
    assert moved.status_code == 200 and moved.json()["assignee"] == "天河区"
    skipped = client.post(f"/v1/risk/leads/{lead['id']}", json={"to": "dispatched"}, headers=headers)
    assert skipped.status_code == 409
    bad = client.post(f"/v1/risk/leads/{lead['id']}", json={"to": "closed"}, headers=headers)
    assert bad.status_code == 422


def test_the_review_queue_is_worked_over_http(client, auth_headers, loaded, platform):
    headers = auth_headers(**ANALYST)
    queue = client.get("/v1/risk/review", headers=headers).json()["items"]
    assert [q["mention"] for q in queue] == ["路边投资店"]
    r = client.post(
        f"/v1/risk/review/{queue[0]['evidence_id']}", json={"credit_code": code(4)}, headers=headers
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    again = client.post(
        f"/v1/risk/review/{queue[0]['evidence_id']}", json={"credit_code": code(4)}, headers=headers
    )
    assert again.status_code == 422
    with platform.session_factory() as session:
        assert not repo.review_queue(session)
