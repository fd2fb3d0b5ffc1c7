"""Documented shapes of the SCIM 2.0 answers (RFC 7643/7644). The SCIM service writes the bodies;
these models describe them in the OpenAPI document under ``application/scim+json``."""

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
    """A SCIM User (core schema with the enterprise extension's organization)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u_01J", "userName": "chen",
        "displayName": "陈小明", "name": {"formatted": "陈小明"}, "active": True, "groups": [],
        "meta": _META}]})

    schemas: list[str]
    id: str
    userName: str
    displayName: str
    name: dict[str, str]
    active: bool
    groups: list[ScimReference]
    meta: ScimMeta
    externalId: str | None = None
    emails: list[dict[str, Any]] | None = None
    locale: str | None = None


class ScimGroup(BaseModel):
    """A SCIM Group and its members."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g_01J",
        "displayName": "credit officers", "members": [{"value": "u_01J", "display": "陈小明"}],
        "meta": {**_META, "resourceType": "Group", "location": f"{_BASE}/Groups/g_01J"}}]})

    schemas: list[str]
    id: str
    displayName: str
    members: list[ScimReference]
    meta: ScimMeta
    externalId: str | None = None


class ScimUserList(BaseModel):
    """A page of users (SCIM ListResponse, paged by startIndex and count)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
        "startIndex": 1, "itemsPerPage": 1, "Resources": []}]})

    schemas: list[str]
    totalResults: int
    startIndex: int
    itemsPerPage: int
    Resources: list[ScimUser]


class ScimGroupList(BaseModel):
    """A page of groups (SCIM ListResponse, paged by startIndex and count)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
        "startIndex": 1, "itemsPerPage": 0, "Resources": []}]})

    schemas: list[str]
    totalResults: int
    startIndex: int
    itemsPerPage: int
    Resources: list[ScimGroup]


class ScimServiceProviderConfig(BaseModel):
    """What this SCIM service supports (RFC 7643 §5)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True}, "bulk": {"supported": False}, "filter": {"supported": True},
        "changePassword": {"supported": False}, "sort": {"supported": False},
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


class ScimResourceTypes(BaseModel):
    """The resource types served, as a ListResponse."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 2,
        "Resources": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User",
                       "name": "User", "endpoint": "/Users",
                       "schema": "urn:ietf:params:scim:schemas:core:2.0:User"}]}]})

    schemas: list[str]
    totalResults: int
    Resources: list[ScimResourceType]
