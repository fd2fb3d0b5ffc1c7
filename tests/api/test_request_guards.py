"""Bad input never reaches the database unchecked: huge integers, NUL characters, loose types for
money and counts, oversized bodies and wrong media types all answer 4xx problem+json, on SQLite and
PostgreSQL alike (PostgreSQL refuses what SQLite silently stores, so both must be tried)."""

from __future__ import annotations

import orjson
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import text

from bayfin.api.app import create_app
from bayfin.api.deps import Session
from bayfin.kernel.fields import Text

HUGE = "149628450750703697920"  # past 2**63: "bigint out of range" on PostgreSQL
MIB = 1024 * 1024


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    return r.json()


@pytest.fixture
def analyst(auth_headers):
    return auth_headers("analyst-1", org="BANK-A", org_type="institution",
                        roles=["fraud_analyst", "fraud_supervisor", "risk_analyst", "credit_officer"],
                        scopes=["fraud:read", "fraud:lists", "fraud:cases", "consent:request",
                                "credit:read", "financing:products", "financing:review"])


@pytest.fixture
def operator(auth_headers):
    return auth_headers("ops-1", org="OPERATOR", org_type="operator",
                        roles=["operator", "terminals_operator", "risk_analyst", "risk_supervisor"],
                        scopes=["terminals:read", "terminals:operate", "identity:read", "identity:admin"])


@pytest.fixture
def regulator(auth_headers):
    return auth_headers("pboc-1", org="PBOC-GD", org_type="regulator", roles=["risk_analyst"],
                        scopes=["risk:read", "risk:review"])


@pytest.fixture
def enterprise(auth_headers):
    return auth_headers("cfo-1", org="91440101000000019F", org_type="enterprise",
                        roles=["enterprise_admin"], scopes=["consent:manage", "financing:apply"])


# --- huge integers -----------------------------------------------------------------------------

def test_a_huge_page_size_answers_422_and_a_forged_cursor_400_never_a_database_error(client, analyst):
    # lists page by a sealed cursor (kernel/pagination.py): no caller-made integer reaches a query
    _problem(client.get(f"/v1/consents?limit={HUGE}", headers=analyst), 422)
    _problem(client.get(f"/v1/consents?cursor={HUGE}", headers=analyst), 400)


@pytest.mark.parametrize(("method", "path", "who"), [
    ("delete", "/v1/fraud/lists/{n}", "analyst"),
    ("get", "/v1/fraud/cases/{n}", "analyst"),
    ("post", "/v1/fraud/cases/{n}/entries", "analyst"),
    ("post", "/v1/terminals/alarms/{n}/acknowledge", "operator"),
    ("post", "/v1/terminals/alarms/{n}/clear", "operator"),
    ("post", "/v1/risk/review/{n}", "regulator"),
])
def test_a_huge_id_in_a_path_answers_422(client, request, method, path, who):
    headers = request.getfixturevalue(who)
    kwargs = {"json": {"note": "x", "kind": "note", "outcome": "confirmed"}} if method == "post" else {}
    for value in (HUGE, "-" + HUGE, str(2**63)):
        r = getattr(client, method)(path.format(n=value), headers=headers, **kwargs)
        _problem(r, 422)


def test_huge_scim_paging_is_clamped_or_refused_never_a_database_error(client, auth_headers, platform):
    from bayfin.identity import IDENTITY, SYSTEM

    with platform.unit_of_work() as uow:  # SCIM acts within the client's organization: it must exist
        platform.service(IDENTITY).service.create_org(uow.session, SYSTEM, code="BANK-A", name="A",
                                                           org_type="institution")
        uow.commit()
    scim = auth_headers("hr-app", org="BANK-A", org_type="institution", scopes=["scim"])
    for query in (f"startIndex={HUGE}", f"count={HUGE}", f"startIndex={HUGE}&count={HUGE}"):
        r = client.get(f"/scim/v2/Users?{query}", headers=scim)
        assert r.status_code in (200, 400, 422), (query, r.status_code, r.text[:300])


def test_huge_query_integers_answer_422(client, analyst, operator, enterprise):
    for url, who in ((f"/v1/monitoring/notifications?limit={HUGE}", analyst),
                     (f"/v1/enterprises/me/access-log?limit={HUGE}", enterprise),
                     (f"/v1/fraud/models/shadow-report?hours={HUGE}", analyst),
                     (f"/v1/hub/quarantine?limit={HUGE}", operator),
                     (f"/v1/identity/users?limit={HUGE}", operator),
                     (f"/v1/terminals/terminals?limit={HUGE}", operator)):
        r = client.get(url, headers=who)
        assert r.status_code in (403, 422), (url, r.status_code, r.text[:300])
        assert r.status_code != 500


def test_a_database_refusal_is_422_problem_json_as_a_last_safety_net(platform):
    """Whatever slips past the schema types, a value the database refuses is the caller's 422."""
    router = APIRouter()

    @router.get("/t/raw")
    def raw(n: str, session: Session) -> dict[str, int]:
        # deliberately unchecked: the value goes straight to a BIGINT comparison
        return {"count": len(session.execute(text("SELECT 1 WHERE CAST(:n AS BIGINT) > 0"),
                                             {"n": int(n)}).all())}

    app = create_app(platform=platform)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/t/raw?n=5").json() == {"count": 1}
        body = _problem(c.get(f"/t/raw?n={HUGE}"), 422)
        assert body["code"] == "validation_failed"


# --- NUL characters ----------------------------------------------------------------------------

def test_a_nul_in_a_query_parameter_answers_422(client, analyst):
    for url in ("/v1/consents?status=%00", "/v1/fraud/lists?kind=block%00",
                "/healthz?x=%00", "/v1/fraud/lists?kind=%00block"):
        body = _problem(client.get(url, headers=analyst), 422)
        assert "NUL" in body["detail"]


def test_a_nul_in_a_path_answers_422(client, analyst):
    _problem(client.get("/v1/consents/abc%00def", headers=analyst), 422)


def test_a_nul_in_any_json_string_field_answers_422(client, analyst, enterprise):
    for path, body, who in (
            ("/v1/fraud/lists", {"kind": "block", "key_type": "device", "value": "d\u0000",
                                 "reason": "x"}, analyst),
            ("/v1/consents/C1/reject", {"reason_code": "user_request\u0000"}, enterprise),
            ("/v1/financing/demands", {"amount_fen": 100, "term_months": 12,
                                       "purpose": "working\u0000capital"}, enterprise)):
        r = client.post(path, headers=who, json=body)
        assert "NUL" in _problem(r, 422)["detail"]


def test_a_nul_in_a_form_body_answers_422(client):
    r = client.post("/oauth2/token", content=b"grant_type=client_credentials&client_id=a%00b",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    _problem(r, 422)


def test_the_text_type_refuses_nul_at_the_schema_layer():
    from pydantic import BaseModel, ValidationError

    class M(BaseModel):
        name: Text

    assert M(name="ok").name == "ok"
    with pytest.raises(ValidationError, match="NUL"):
        M(name="a\x00b")


# --- strict money and counts -------------------------------------------------------------------

@pytest.mark.parametrize("value", [True, "12", 12.0, 1.5, None])
def test_amounts_and_counts_refuse_bools_strings_and_floats_in_financing(client, enterprise, value):
    for field in ("amount_fen", "term_months"):
        body = {"amount_fen": 100_000, "term_months": 12, "purpose": "working capital", field: value}
        _problem(client.post("/v1/financing/demands", headers=enterprise, json=body), 422)


@pytest.mark.parametrize("value", [True, "12", 4.0])
def test_counts_refuse_bools_and_strings_in_consent_requests(client, analyst, value):
    body = {"credit_code": "91440101000000019F", "purpose_code": "101", "purpose_text": "loan",
            "categories": ["tax"], "data_from": "2024-01-01", "data_to": "2025-12-31",
            "frequency": {"unit": "month", "value": 4}, "validity_days": 90}
    for patch in ({"validity_days": value}, {"frequency": {"unit": "month", "value": value}},
                  {"data_life": {"unit": "month", "value": value}}):
        _problem(client.post("/v1/consents", headers=analyst, json={**body, **patch}), 422)


def test_rates_are_decimal_strings_never_json_numbers(client, analyst):
    from tests.api.financing.conftest import product_body

    for rate in (0.0385, True, "nan", "Infinity", "1e400"):
        r = client.post("/v1/financing/products", headers=analyst, json=product_body(min_rate=rate))
        _problem(r, 422)


# --- body size and media types -----------------------------------------------------------------

def test_a_10_mib_signature_is_refused_before_it_is_processed(client, analyst):
    body = b'{"artefact": {}, "signature": "' + b"A" * (10 * MIB) + b'"}'
    r = client.post("/v1/consents/verify", headers={**analyst, "Content-Type": "application/json"},
                    content=body)
    assert _problem(r, 413)["code"] == "payload_too_large"


def test_an_empty_object_inside_10_mib_of_whitespace_does_not_approve(client, enterprise):
    body = b" " * (5 * MIB) + b"{}" + b" " * (5 * MIB)
    r = client.post("/v1/consents/C1/approve", content=body,
                    headers={**enterprise, "Content-Type": "application/json"})
    _problem(r, 413)


def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    yield b'{"artefact": {}, "signature": "'
    while sent < total:
        yield b"A" * size
        sent += size
    yield b'"}'


def test_a_chunked_body_without_content_length_is_cut_at_the_limit(client, analyst):
    r = client.post("/v1/consents/verify", content=_chunks(3 * MIB),
                    headers={**analyst, "Content-Type": "application/json"})
    _problem(r, 413)


def test_a_content_length_that_lies_does_not_raise_the_limit(client, analyst):
    r = client.post("/v1/consents/verify", content=_chunks(3 * MIB),
                    headers={**analyst, "Content-Type": "application/json", "Content-Length": "40"})
    assert r.status_code in (400, 413), r.status_code  # the server or the transport refuses it


def test_a_body_under_the_json_limit_still_reaches_the_route(client, analyst):
    body = {"artefact": {"a": "b" * (512 * 1024)}, "signature": "x"}
    r = client.post("/v1/consents/verify", headers=analyst, json=body)
    assert r.status_code == 200 and r.json() == {"valid": False}


def test_json_routes_refuse_text_plain_with_415(client, analyst):
    r = client.post("/v1/consents/verify", content=b'{"artefact": {}, "signature": "x"}',
                    headers={**analyst, "Content-Type": "text/plain"})
    assert _problem(r, 415)["code"] == "unsupported_media_type"
    r = client.post("/v1/consents/verify", content=b'{"artefact": {}, "signature": "x"}',
                    headers={**analyst, "Content-Type": ""})
    _problem(r, 415)


def test_scim_takes_scim_json_and_json_and_refuses_text_plain(client, auth_headers):
    scim = auth_headers("hr-app", org="BANK-A", org_type="institution", scopes=["scim"])
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "guard.test"}

    r = client.post("/scim/v2/Users", content=orjson.dumps(user),
                    headers={**scim, "Content-Type": "text/plain"})
    assert r.status_code == 415
    for media_type in ("application/scim+json", "application/json; charset=utf-8"):
        r = client.post("/scim/v2/Users", content=orjson.dumps({**user, "userName": media_type[12:16]}),
                        headers={**scim, "Content-Type": media_type})
        assert r.status_code not in (413, 415), (media_type, r.status_code)


def test_upload_routes_take_more_than_a_json_body_but_not_without_limit(client, auth_headers):
    voice = auth_headers("caller-1", org="BANK-A", org_type="institution", scopes=["voice"])
    files = {"recording": ("a.wav", b"\x00" * (2 * MIB), "audio/wav")}
    r = client.post("/v1/voice/assistant/turns/audio", headers=voice, files=files)
    assert r.status_code not in (413, 415, 500), r.status_code
    big = {"recording": ("a.wav", b"\x00" * (33 * MIB), "audio/wav")}
    _problem(client.post("/v1/voice/assistant/turns/audio", headers=voice, files=big), 413)
    r = client.post("/v1/voice/assistant/turns/audio", headers={**voice, "Content-Type": "text/plain"},
                    content=b"hello")
    _problem(r, 415)


# --- the OpenAPI document ----------------------------------------------------------------------

def test_the_openapi_document_says_problem_json_for_every_error_and_documents_the_guards(client):
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in str(spec)
    operations = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            operations += 1
            responses = operation["responses"]
            assert "422" in responses, (method, path)
            if method in ("post", "put", "patch") or "requestBody" in operation:
                assert {"413", "415"} <= responses.keys(), (method, path)
            if path.startswith(("/scim/v2", "/oauth2/")):
                continue
            for status, entry in responses.items():
                if status.startswith(("4", "5")):
                    assert list(entry["content"]) == ["application/problem+json"], (method, path, status)
                    assert entry["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"}
    assert operations > 100
