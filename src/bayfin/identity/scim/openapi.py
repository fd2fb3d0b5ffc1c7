"""Documented shapes of the SCIM 2.0 answers (RFC 7643/7644) in the OpenAPI document, under
``application/scim+json``. The SCIM service writes the bodies from scim2-models (``scim_schema``);
these models only describe them. ``attributes``/``excludedAttributes`` may leave out anything but
``schemas`` and ``id``, so every other attribute is optional here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

_BASE = "https://id.bayfin.example/scim/v2"
_META: dict[str, Any] = {"resourceType": "User", "created": "2026-01-02T03:04:05+00:00",
         "lastModified": "2026-01-02T03:04:05+00:00", "location": f"{_BASE}/Users/u_01J"}


class ScimJSONResponse(JSONResponse):
    """The media type every SCIM answer carries (RFC 7644 §3.1)."""

    media_type = "application/scim+json"


class ScimMeta(BaseModel):
    """A resource's metadata."""

    resourceType: str
    created: str
    lastModified: str
    location: str


class ScimReference(BaseModel):
    """A member or group a resource refers to (with its URI under the ``$ref`` key)."""

    model_config = ConfigDict(extra="allow")

    value: str
    display: str | None = None


class ScimUser(BaseModel):
    """A SCIM User: the core schema with the enterprise extension (its ``organization`` is the
    user's organization code) and any further attribute the directory provisioned."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "u_01J", "userName": "chen", "displayName": "陈小明", "name": {"formatted": "陈小明"},
        "active": True, "groups": [],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"organization": "BANK-A"},
        "meta": _META}]})

    schemas: list[str]
    id: str
    userName: str | None = None
    displayName: str | None = None
    name: dict[str, Any] | None = None
    active: bool | None = None
    groups: list[ScimReference] | None = None
    meta: ScimMeta | None = None
    externalId: str | None = None
    emails: list[dict[str, Any]] | None = None
    locale: str | None = None


class ScimGroup(BaseModel):
    """A SCIM Group and its members."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g_01J",
        "displayName": "credit officers", "members": [{"value": "u_01J", "display": "陈小明"}],
        "meta": {**_META, "resourceType": "Group", "location": f"{_BASE}/Groups/g_01J"}}]})

    schemas: list[str]
    id: str
    displayName: str | None = None
    members: list[ScimReference] | None = None
    meta: ScimMeta | None = None
    externalId: str | None = None


class _ListResponse(BaseModel):
    """A SCIM ListResponse, paged by startIndex and count (RFC 7644 §3.4.2); each subclass names
    what its ``Resources`` hold."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
        "startIndex": 1, "itemsPerPage": 0, "Resources": []}]})

    schemas: list[str]
    totalResults: int
    startIndex: int
    itemsPerPage: int


class ScimUserList(_ListResponse):
    """A page of users (SCIM ListResponse, paged by startIndex and count)."""

    Resources: list[ScimUser]


class ScimGroupList(_ListResponse):
    """A page of groups (SCIM ListResponse, paged by startIndex and count)."""

    Resources: list[ScimGroup]


class ScimResourceList(_ListResponse):
    """A page of users and groups together (a search at the service root, users first)."""

    Resources: list[ScimUser | ScimGroup]


class ScimServiceProviderConfig(BaseModel):
    """What this SCIM service supports (RFC 7643 §5)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True}, "bulk": {"supported": False}, "filter": {"supported": True},
        "changePassword": {"supported": True}, "sort": {"supported": False},
        "etag": {"supported": False}, "authenticationSchemes": []}]})

    schemas: list[str]
    patch: dict[str, Any]
    bulk: dict[str, Any]
    filter: dict[str, Any]
    changePassword: dict[str, Any]
    sort: dict[str, Any]
    etag: dict[str, Any]
    authenticationSchemes: list[dict[str, Any]]


class ScimResourceType(BaseModel):
    """A resource type served (RFC 7643 §6)."""

    model_config = ConfigDict(extra="allow")

    schemas: list[str]
    id: str
    name: str
    endpoint: str
    schema_: str = Field(alias="schema")


class ScimResourceTypes(_ListResponse):
    """The resource types served, as a ListResponse."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 2,
        "startIndex": 1, "itemsPerPage": 2,
        "Resources": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User",
                       "name": "User", "endpoint": "/Users",
                       "schema": "urn:ietf:params:scim:schemas:core:2.0:User"}]}]})

    Resources: list[ScimResourceType]


class ScimSchemaAttribute(BaseModel):
    """One attribute of a schema (RFC 7643 §7), sub-attributes included."""

    model_config = ConfigDict(extra="allow")

    name: str
    type: str


class ScimSchema(BaseModel):
    """A schema of a resource served (RFC 7643 §7): User, the enterprise extension, Group."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": "urn:ietf:params:scim:schemas:core:2.0:Group", "name": "Group",
        "description": "Group", "attributes": [{"name": "displayName", "type": "string"}],
        "meta": {"resourceType": "Schema",
                 "location": "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"}}]})

    schemas: list[str] | None = None
    id: str
    name: str | None = None
    description: str | None = None
    attributes: list[ScimSchemaAttribute]


class ScimSchemas(_ListResponse):
    """The schemas served, as a ListResponse."""

    Resources: list[ScimSchema]
