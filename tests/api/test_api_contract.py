"""The API's contract, read from its own OpenAPI document, so that every new route is held to it:
one pagination style on every list, typed and exemplified answers, readable operation ids, and
Retry-After wherever a 429 can come."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bayfin.api.app import api_operations, create_app
from bayfin.api.deps import can_rate_limit
from bayfin.kernel.pagination import MAX_LIMIT
from bayfin.kernel.security import Principal

#: SCIM 2.0 keeps its own standard paging (startIndex/count, RFC 7644 §3.4.2.4).
SCIM = "/scim/v2/"
JSON_TYPES = ("application/json", "application/scim+json")
ORG_TYPES = ("operator", "institution", "enterprise", "regulator", None)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The OpenAPI document (built without a database: only the routes are needed)."""
    from bayfin.kernel.settings import Settings

    return create_app(Settings(environment="test")).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _success_schemas(spec: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for status, answer in op["responses"].items():
        if status.startswith("2"):
            for media, body in answer.get("content", {}).items():
                if media in JSON_TYPES:
                    found.append(_resolve(spec, body.get("schema", {})))
    return found


def _is_page(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    return {"items", "next"} <= set(schema.get("properties", {}))


def _list_routes(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, op) for path, method, op in _operations(spec) if method == "get"
            and any(_is_page(spec, s) or s.get("type") == "array" for s in _success_schemas(spec, op))]


def _free_form(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        return _free_form(spec, schema.get("items", {}))
    if "anyOf" in schema or "oneOf" in schema:
        return any(_free_form(spec, s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    if _is_page(spec, schema):
        return _free_form(spec, schema["properties"]["items"])
    return "properties" not in schema and schema.get("additionalProperties") is not False


def test_the_document_finds_the_lists_it_is_meant_to_check(spec):
    paths = {path for path, _ in _list_routes(spec)}
    assert {"/v1/graph/circles", "/v1/graph/groups", "/v1/risk/leads", "/v1/fraud/cases",
            "/v1/consents", "/v1/identity/users"} <= paths
    assert len(paths) >= 35


def test_every_list_outside_scim_is_a_page_with_a_bounded_limit_and_a_cursor(spec):
    for path, op in _list_routes(spec):
        if path.startswith(SCIM):
            continue
        schemas = _success_schemas(spec, op)
        assert all(_is_page(spec, s) for s in schemas), f"{path} answers a bare array"
        assert all(set(s["required"]) >= {"items", "next"} for s in schemas), path
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        assert {"limit", "cursor"} <= set(params), f"{path} does not take limit and cursor"
        limit = params["limit"]["schema"]
        assert limit["minimum"] == 1 and limit["maximum"] <= MAX_LIMIT, path
        assert not {"offset", "after_id", "before_id"} & set(params), f"{path} keeps an old paging style"


def test_no_success_answer_is_a_free_form_object_and_each_names_an_example(spec):
    for path, method, op in _operations(spec):
        for status, answer in op["responses"].items():
            if not status.startswith("2"):
                continue
            for media, body in answer.get("content", {}).items():
                if media not in JSON_TYPES:
                    continue
                schema = body.get("schema", {})
                assert not _free_form(spec, schema), f"{method.upper()} {path} answers a free-form object"


def test_the_former_dict_answers_carry_examples(spec):
    typed = ["/v1/graph/enterprises/{credit_code}/chain", "/v1/risk/firms/{credit_code}",
             "/v1/fraud/cases/stats", "/v1/fraud/models/shadow-report", "/v1/risk/leads/outcomes",
             "/.well-known/openid-configuration", "/healthz"]
    for path in typed:
        (schema,) = _success_schemas(spec, spec["paths"][path]["get"])
        assert schema.get("examples"), f"{path} has no example"


def test_operation_ids_are_unique_readable_module_action_names(spec):
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", operation_id), operation_id
        assert not re.search(r"_(get|post|put|patch|delete)$", operation_id), operation_id
        assert "_v1_" not in operation_id, operation_id
    assert "api_healthz" in ids and "riskmonitor_get_leads" in ids


def test_every_operation_that_can_answer_429_documents_retry_after(spec):
    from bayfin.kernel.settings import Settings

    app = create_app(Settings(environment="test"))
    limited = {(path, method) for path, method, dependant in api_operations(app) if can_rate_limit(dependant)}
    assert ("/v1/credit-reports/{credit_code}", "get") in limited
    for path, method in limited:
        assert "429" in spec["paths"][path][method]["responses"], f"{method} {path}"
    with_429 = [(p, m, op) for p, m, op in _operations(spec) if "429" in op["responses"]]
    assert len(with_429) >= len(limited)
    for path, method, op in with_429:
        headers = op["responses"]["429"].get("headers", {})
        assert headers.get("Retry-After", {}).get("schema", {}).get("type") == "integer", f"{method} {path}"


class _Everything(frozenset[str]):
    """Every scope and every role: the contract walk looks past authorization at paging."""

    def __contains__(self, item: object) -> bool:
        return True


class _AnyOrgVerifier:
    """Bearer ``as-<org type>`` names the caller's organization type; nothing else is checked."""

    def verify(self, token: str) -> Principal:
        kind = token.removeprefix("as-")
        return Principal(subject="contract-walker", organization_id="ORG-1",
                         organization_type=None if kind == "none" else kind,
                         roles=_Everything(), scopes=_Everything())


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_list_refuses_a_foreign_or_forged_cursor_and_an_out_of_range_limit(platform):
    platform.token_verifier = _AnyOrgVerifier()
    app = create_app(platform=platform)
    with TestClient(app, raise_server_exceptions=False) as client:
        spec = client.get("/openapi.json").json()
        lists = [(path, op) for path, op in _list_routes(spec) if not path.startswith(SCIM)]
        # a genuine cursor of one list, handed to every other list
        seeded = client.get("/v1/identity/organizations", params={"limit": 1},
                            headers={"Authorization": "Bearer as-operator"})
        assert seeded.status_code == 200, seeded.text
        for path, _op in lists:
            url, admitted = _filled(path), None
            for kind in ORG_TYPES:
                headers = {"Authorization": f"Bearer as-{kind or 'none'}"}
                r = client.get(url, params={"cursor": "not-a-cursor"}, headers=headers)
                if r.status_code not in (401, 403):
                    admitted = headers
                    break
            assert admitted is not None, f"no caller reaches {path}"
            assert r.status_code == 400 and r.json()["code"] == "invalid_cursor", (path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            forged = client.get(url, params={"cursor": "eyJrIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA"},
                                headers=admitted)
            assert forged.status_code == 400, (path, forged.text)
            for bad in (0, MAX_LIMIT + 1, -1, "many"):
                assert client.get(url, params={"limit": bad}, headers=admitted).status_code == 422, path


def test_every_list_without_parameters_answers_a_page_with_next(platform):
    platform.token_verifier = _AnyOrgVerifier()
    with TestClient(create_app(platform=platform), raise_server_exceptions=False) as client:
        spec = client.get("/openapi.json").json()
        answered = 0
        for path, op in _list_routes(spec):
            required = [p for p in op.get("parameters", []) if p.get("required")]
            if path.startswith(SCIM) or required:
                continue
            for kind in ORG_TYPES:
                r = client.get(path, params={"limit": 2},
                               headers={"Authorization": f"Bearer as-{kind or 'none'}"})
                if r.status_code == 200:
                    body = r.json()
                    assert set(body) == {"items", "next"} and isinstance(body["items"], list), path
                    assert len(body["items"]) <= 2, path
                    answered += 1
                    break
        assert answered >= 20
