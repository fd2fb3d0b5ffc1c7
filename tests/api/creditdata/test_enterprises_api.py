"""The enterprise record over HTTP: operators only, audited, problem+json for unknown or invalid codes."""

from datetime import date

from sqlalchemy import select

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import ingest_file
from bayfin.kernel.audit import AuditEntry
from tests.integration.creditdata.deliveries import REG_HEADER, code, reg_line, write

OPERATOR = {"roles": ["operator"], "org": "gd-data-office"}


def load(platform, tmp_path):
    with platform.unit_of_work() as uow:
        ingest_file(
            uow.session,
            write(tmp_path / "a.csv", REG_HEADER, [reg_line(1, capital="100"), reg_line(2, capital="x")]),
            load_mapping("amr_registration"),
            date(2023, 1, 10),
        )
        ingest_file(
            uow.session,
            write(tmp_path / "b.csv", REG_HEADER, [reg_line(1, capital="200")]),
            load_mapping("amr_registration"),
            date(2024, 1, 10),
        )
        uow.commit()


def test_reading_an_enterprise_needs_a_token(client):
    r = client.get(f"/v1/enterprises/{code(1)}")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")


def test_reading_an_enterprise_needs_the_operator_role(client, auth_headers):
    r = client.get(
        f"/v1/enterprises/{code(1)}", headers=auth_headers(roles=["credit_officer"], org_type="institution")
    )
    assert r.status_code == 403


def test_an_operator_reads_the_record_and_the_read_is_audited(client, auth_headers, platform, tmp_path):
    load(platform, tmp_path)
    r = client.get(f"/v1/enterprises/{code(1)}", headers=auth_headers(subject="op-7", **OPERATOR))
    assert r.status_code == 200
    body = r.json()
    assert body["registration"]["values"]["registered_capital_fen"] == 200_000_000
    assert (
        body["registration"]["source"] == "amr_registration" and body["registration"]["as_of"] == "2024-01-10"
    )
    with platform.session_factory() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor, entry.actor_org, entry.subject_id) == (
        "creditdata.enterprise.read",
        "op-7",
        "gd-data-office",
        code(1),
    )


def test_as_of_returns_what_was_known_on_that_date(client, auth_headers, platform, tmp_path):
    load(platform, tmp_path)
    r = client.get(f"/v1/enterprises/{code(1)}?as_of=2023-06-30", headers=auth_headers(**OPERATOR))
    assert r.json()["registration"]["values"]["registered_capital_fen"] == 100_000_000


def test_an_unknown_enterprise_is_a_404_problem(client, auth_headers):
    r = client.get(f"/v1/enterprises/{code(99)}", headers=auth_headers(**OPERATOR))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"


def test_an_invalid_credit_code_is_a_404_problem_naming_the_defect(client, auth_headers):
    bad = code(1)[:17] + ("1" if code(1)[17] != "1" else "2")
    r = client.get(f"/v1/enterprises/{bad}", headers=auth_headers(**OPERATOR))
    assert r.status_code == 404 and r.json()["credit_code_problem"] == "check_character_mismatch"


def test_a_malformed_as_of_is_a_422_problem(client, auth_headers):
    r = client.get(f"/v1/enterprises/{code(1)}?as_of=yesterday", headers=auth_headers(**OPERATOR))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_operators_see_batch_counts_and_quarantined_rows(client, auth_headers, platform, tmp_path):
    load(platform, tmp_path)
    status = client.get("/v1/hub/status", headers=auth_headers(**OPERATOR)).json()
    assert status["totals"]["rows_in"] == 3 and status["quarantine_by_reason"] == {"invalid_amount": 1}
    page = client.get("/v1/hub/quarantine?reason=invalid_amount", headers=auth_headers(**OPERATOR)).json()
    rows = page["items"]
    assert [(q["row_number"], q["source"]) for q in rows] == [(2, "amr_registration")]
    assert client.get("/v1/hub/status", headers=auth_headers(roles=["analyst"])).status_code == 403
