"""Makes the OpenAPI document true to what the server sends: every error is problem+json with the
Problem schema, and the statuses the shared guards can answer are documented on every operation."""

from __future__ import annotations

from typing import Any

from bayfin.api.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_BODY_METHODS = frozenset({"post", "put", "patch"})
#: Statuses the request guards (api/guards.py) and the validation layer can answer for any operation.
_GUARD_STATUSES: dict[str, str] = {
    "422": "Validation failed: the parameters or body do not match the expected shape, or hold a "
           "NUL character or a number out of range",
}
_BODY_STATUSES: dict[str, str] = {
    "413": "The request body is larger than this route accepts",
    "415": "The request body's media type is not one this route accepts",
}
_FORM_MEDIA = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
_PROTOCOL_PREFIXES = ("/scim/v2", "/oauth2/")  # errors in the protocol's own format, not problem+json
SCIM_PREFIX = "/scim/v2"
SCIM_JSON = "application/scim+json"
_SCIM_ERROR: dict[str, Any] = {
    "type": "object", "title": "ScimError", "description": "RFC 7644 §3.12 error message",
    "properties": {"schemas": {"type": "array", "items": {"type": "string"}},
                   "status": {"type": "string"}, "detail": {"type": "string"},
                   "scimType": {"type": "string"}},
    "required": ["schemas", "status"],
}


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": dict(PROBLEM_REF)}}


def _document(operation: dict[str, Any], status: str, description: str) -> None:
    operation.setdefault("responses", {}).setdefault(status, {"description": description})


def document_problems(schema: dict[str, Any], problem_schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``schema`` in place: the Problem component, every 4xx/5xx answer as problem+json
    (FastAPI's own 422 says application/json), 422 on every operation and 413/415 on every operation
    that takes a body. The guards' and validation's answers are problem+json on every path; the
    protocol endpoints' own errors keep their protocol's format."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = problem_schema
    components["ScimError"] = _SCIM_ERROR
    guard_statuses = {**_GUARD_STATUSES, **_BODY_STATUSES}
    for path, item in schema.get("paths", {}).items():
        protocol = path.startswith(_PROTOCOL_PREFIXES)
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            for status, description in _GUARD_STATUSES.items():
                _document(operation, status, description)
            if method in _BODY_METHODS or "requestBody" in operation:
                for status, description in _BODY_STATUSES.items():
                    _document(operation, status, description)
            if any(p.get("in") == "query" and p.get("name") == "cursor"
                   for p in operation.get("parameters", [])):
                # api/pagination.py: a cursor this list did not issue (edited, foreign, malformed)
                _document(operation, "400", "The cursor is not one this list issued (invalid_cursor)")
            body_types = operation.get("requestBody", {}).get("content", {})
            if _FORM_MEDIA & body_types.keys():
                _document(operation, "400", "The multipart or form body cannot be parsed")
            for status, entry in operation.get("responses", {}).items():
                if path.startswith(SCIM_PREFIX):
                    _scim_media(status, entry)
                elif status[:1] in ("4", "5") and (not protocol or status in guard_statuses):
                    entry["content"] = _problem_content()
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema


def _scim_media(status: str, entry: dict[str, Any]) -> None:
    """SCIM answers (RFC 7644 §3.1) are application/scim+json; an error is a SCIM error message
    (§3.12), or problem+json when refused before the SCIM layer (token, parameters, guards)."""
    content: dict[str, Any] = entry.get("content") or {}
    first: dict[str, Any] = next(iter(content.values()), {})
    if status[:1] in ("4", "5"):
        entry["content"] = {SCIM_JSON: {"schema": {"$ref": "#/components/schemas/ScimError"}},
                            **_problem_content()}
    elif content:
        entry["content"] = {SCIM_JSON: {"schema": first.get("schema", {})}}
