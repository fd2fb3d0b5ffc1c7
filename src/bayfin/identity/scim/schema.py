"""What the SCIM service publishes about itself (RFC 7643 §5-§7) and the resource models it speaks.

The resource models, schemas and resource types come from scim2-models, so what is published is
what the parser validates against; the ServiceProviderConfig says what this server supports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from pydantic import ValidationError
from scim2_models import (
    Context,
    EnterpriseUser,
    Group,
    ResourceType,
    SCIMException,
    ScimPolicy,
    User,
)

from bayfin.kernel.errors import AppError, BadRequest, Conflict, NotFound

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"
MAX_RESULTS = 500

#: A user as this server represents it: the core schema with the enterprise extension.
UserResource = User[EnterpriseUser]
GroupResource = Group

_CORE = {"schemas", "id", "meta"}
#: Strict RFC reading, except two PATCH habits of Microsoft Entra that cannot be misread: a
#: ``remove`` whose value selects the entries, and a path filter that names an entry to create.
POLICY = ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply,
                    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create)


def _schemas() -> list[dict[str, Any]]:
    out = []
    for model in (UserResource, EnterpriseUser, GroupResource):
        schema = model.to_schema().model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        schema.setdefault("meta", {}).update({"resourceType": "Schema",
                                              "location": f"/Schemas/{schema['id']}"})
        out.append(schema)
    return out


def _resource_types() -> list[dict[str, Any]]:
    out = []
    for model in (UserResource, GroupResource):
        rt = ResourceType.from_resource(model).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        rt.setdefault("meta", {}).update({"resourceType": "ResourceType",
                                          "location": f"/ResourceTypes/{rt['id']}"})
        out.append(rt)
    return out


SCHEMAS: list[dict[str, Any]] = _schemas()
RESOURCE_TYPES: list[dict[str, Any]] = _resource_types()


def service_provider_config() -> dict[str, Any]:
    """What this SCIM service supports (RFC 7643 §5)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://bayfin.dev/docs/identity#scim",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": True}, "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": True,
            "description": "a client-credentials access token with scope scim; the client acts "
                           "only inside its organization's subtree"}],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/ServiceProviderConfig"}}


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    """A ListResponse message."""
    return {"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start,
            "itemsPerPage": len(resources), "Resources": resources}


def find(items: list[dict[str, Any]], item_id: str, what: str) -> dict[str, Any]:
    """One published schema or resource type by id."""
    for item in items:
        if item["id"] == item_id:
            return item
    raise NotFound(f"no such {what}")


def scim_error(problem: dict[str, Any]) -> bytes:
    """An RFC 9457 problem rewritten as a SCIM error message (RFC 7644 §3.12)."""
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(problem.get("status", 500)),
                            "detail": str(problem.get("detail") or problem.get("title") or "error")}
    scim_type = problem.get("scimType")
    if not scim_type and problem.get("code") == "invalidFilter":
        scim_type = "invalidFilter"
    if scim_type:
        body["scimType"] = scim_type
    return orjson.dumps(body)


@contextmanager
def scim_input() -> Iterator[None]:
    """Run under :data:`POLICY`; turn scim2-models' refusals into the platform's 400/409 errors,
    keeping the scimType."""
    try:
        with POLICY:
            yield
    except SCIMException as exc:
        raise _app_error(exc.status, exc.scim_type, exc.detail) from exc
    except ValidationError as exc:
        scim_type = "invalidValue"
        status = 400
        for err in exc.errors():
            ctx = err.get("ctx") or {}
            if ctx.get("scim_type"):
                scim_type, status = str(ctx["scim_type"]), int(ctx.get("status", 400))
                break
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        msg = errors[0]["msg"] if errors else "invalid value"
        detail = f"{where}: {msg}" if where else msg
        raise _app_error(status, scim_type, detail) from exc


class InvalidFilter(BadRequest):
    """The filter does not parse or cannot apply (SCIM ``invalidFilter``)."""

    code = "invalidFilter"

    def __init__(self, message: str) -> None:
        super().__init__(message, scimType="invalidFilter")


def _app_error(status: int, scim_type: str, detail: str) -> AppError:
    if scim_type == "invalidFilter":
        return InvalidFilter(detail)
    if status == 409:
        return Conflict(detail, scimType=scim_type or "uniqueness")
    if status == 404:
        return NotFound(detail)
    return BadRequest(detail, scimType=scim_type or "invalidValue")


def core_attributes(body: dict[str, Any]) -> dict[str, Any]:
    """A resource's attributes without the ones every resource carries."""
    return {k: v for k, v in body.items() if k not in _CORE}
