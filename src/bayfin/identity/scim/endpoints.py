"""SCIM 2.0 endpoints (``/scim/v2``) for a bank's HR or directory system; callers need scope ``scim``
and act only inside their organization's subtree.

Every answer under ``/scim/v2`` is ``application/scim+json``; errors, whoever raises them (this
router, authentication, routing, validation), are SCIM error messages (RFC 7644 §3.12): the
``error_formats`` hook rewrites the platform's problem documents for this prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session as OrmSession
from starlette.responses import Response

from bayfin.api.deps import AUTH_ERRORS, Session, require
from bayfin.identity.core.scoping import AdminScope
from bayfin.identity.core.service import Actor, scope_of
from bayfin.identity.core.web import identity_of
from bayfin.identity.scim.groups import ScimGroups
from bayfin.identity.scim.openapi import (
    ScimGroup,
    ScimGroupList,
    ScimJSONResponse,
    ScimResourceList,
    ScimResourceType,
    ScimResourceTypes,
    ScimSchema,
    ScimSchemas,
    ScimServiceProviderConfig,
    ScimUser,
    ScimUserList,
)
from bayfin.identity.scim.schema import (
    RESOURCE_TYPES,
    SCHEMAS,
    SCIM_JSON,
    SEARCH_SCHEMA,
    find,
    list_response,
    service_provider_config,
)
from bayfin.identity.scim.service import Query as ScimQuery
from bayfin.identity.scim.service import ScimService, paging
from bayfin.kernel.errors import BadRequest
from bayfin.kernel.security import Principal

router = APIRouter(prefix="/scim/v2", tags=["identity: SCIM 2.0"],
                   default_response_class=ScimJSONResponse)
_SCIM_ERROR = {SCIM_JSON: {"schema": {"type": "object"}}}
_R: dict[int | str, dict[str, Any]] = {
    401: {**AUTH_ERRORS[401], "content": _SCIM_ERROR},
    403: {**AUTH_ERRORS[403], "content": _SCIM_ERROR},
    400: {"description": "SCIM error (invalidFilter, invalidValue, invalidSyntax, tooMany…)",
          "content": _SCIM_ERROR},
    404: {"description": "SCIM error: no such resource (or one outside the caller's organization)",
          "content": _SCIM_ERROR},
    409: {"description": "SCIM error: uniqueness", "content": _SCIM_ERROR}}
#: Integers beyond this are clamped: paging never reaches the database with an out-of-range value.
_BIG = 2**31 - 1


def _acting(session: Session,
            who: Annotated[Principal, Depends(require(scopes=("scim",)))]) -> Actor:
    return Actor.of(who, scope_of(session, who))


Provisioner = Annotated[Actor, Depends(_acting)]


def _json(body: Any, status: int = 200, location: str | None = None) -> Response:
    headers = {"Location": location} if location else None
    return Response(orjson.dumps(body), status_code=status, media_type=SCIM_JSON, headers=headers)


def _users(request: Request) -> ScimService:
    return ScimService(identity_of(request).service, identity_of(request).issuer)


def _groups(request: Request) -> ScimGroups:
    return ScimGroups(_users(request))


#: How a resource type renders one of its records for the caller: (session, record, scope) -> JSON.
Render = Callable[[OrmSession, Any, AdminScope], dict[str, Any]]


def _created(session: OrmSession, who: Actor, record: Any, render: Render) -> Response:
    """201 with a newly provisioned user or group and its Location."""
    res = render(session, record, who.scope)
    return _json(res, 201, res["meta"]["location"])


def _changed(session: OrmSession, who: Actor, ref: str, body: dict[str, Any],
             get: Callable[[OrmSession, AdminScope, str], Any],
             change: Callable[[OrmSession, Actor, Any, dict[str, Any]], Any],
             render: Render) -> Response:
    """PUT or PATCH: the user or group ``ref`` names inside the caller's scope, changed by
    ``change`` with the body, as it now is."""
    return _json(render(session, change(session, who, get(session, who.scope, ref), body),
                        who.scope))


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (SCIM bodies are objects): 400 invalidSyntax otherwise."""
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest("the body is not JSON", scimType="invalidSyntax") from exc
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", scimType="invalidSyntax")
    if _has_nul(data):
        raise BadRequest("text must not contain NUL characters", scimType="invalidValue")
    return data


def _has_nul(value: Any) -> bool:
    """True if a NUL character hides anywhere in a JSON value (PostgreSQL cannot store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


Body = Annotated[dict[str, Any], Depends(json_body)]


def _split(value: str | None) -> list[str] | None:
    return [a.strip() for a in value.split(",") if a.strip()] if value else None


def _clamp(value: int | None) -> int | None:
    return None if value is None else max(-_BIG, min(value, _BIG))


def _query(filter: str | None = None, startIndex: int | None = None, count: int | None = None,
           attributes: str | None = None,
           excludedAttributes: str | None = None) -> ScimQuery:
    return ScimQuery(filter, _clamp(startIndex), _clamp(count), _split(attributes),
                     _split(excludedAttributes))


ListQuery = Annotated[ScimQuery, Depends(_query)]
Selection = Annotated[ScimQuery, Depends(_query)]


def _search(body: dict[str, Any]) -> ScimQuery:
    if SEARCH_SCHEMA not in (body.get("schemas") or []):
        raise BadRequest("a SearchRequest message is required", scimType="invalidSyntax")

    def ints(name: str) -> int | None:
        value = body.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"{name} must be an integer", scimType="invalidValue")
        return _clamp(value)

    def names(name: str) -> list[str] | None:
        value = body.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return _split(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise BadRequest(f"{name} must be a list of attribute names", scimType="invalidValue")

    flt = body.get("filter")
    if flt is not None and not isinstance(flt, str):
        raise BadRequest("filter must be a string", scimType="invalidFilter")
    return ScimQuery(flt, ints("startIndex"), ints("count"), names("attributes"),
                     names("excludedAttributes"))


# users -----------------------------------------------------------------------------------------
@router.get("/Users", response_model=ScimUserList, responses=_R)
def list_users(request: Request, session: Session, who: Provisioner, query: ListQuery) -> Response:
    """Users of the caller's organization subtree matching ``filter``, a page at a time."""
    return _json(_users(request).list_users(session, who.scope, query))


@router.post("/Users/.search", response_model=ScimUserList, responses=_R)
def search_users(request: Request, session: Session, who: Provisioner, body: Body) -> Response:
    """The same as listing, with the query in a SearchRequest body (RFC 7644 §3.4.3)."""
    return _json(_users(request).list_users(session, who.scope, _search(body)))


@router.post("/Users", status_code=201, response_model=ScimUser, responses=_R)
def create_user(request: Request, session: Session, who: Provisioner, body: Body) -> Response:
    """Provision a user in the caller's organization (or a branch of it the resource names)."""
    scim = _users(request)
    return _created(session, who, scim.create_user(session, who, body), scim.user_resource)


@router.get("/Users/{user_id}", response_model=ScimUser, responses=_R)
def get_user(user_id: str, request: Request, session: Session, who: Provisioner,
             query: Selection) -> Response:
    """One user."""
    scim = _users(request)
    return _json(scim.user_resource(session, scim.get_user(session, who.scope, user_id), who.scope,
                                    query))


@router.put("/Users/{user_id}", response_model=ScimUser, responses=_R)
def replace_user(user_id: str, request: Request, session: Session, who: Provisioner,
                 body: Body) -> Response:
    """Replace a user's attributes."""
    scim = _users(request)
    return _changed(session, who, user_id, body, scim.get_user, scim.replace_user,
                    scim.user_resource)


@router.patch("/Users/{user_id}", response_model=ScimUser, responses=_R)
def patch_user(user_id: str, request: Request, session: Session, who: Provisioner,
               body: Body) -> Response:
    """Change a user; ``active: false`` ends their sessions and tokens at once."""
    scim = _users(request)
    return _changed(session, who, user_id, body, scim.get_user, scim.patch_user,
                    scim.user_resource)


@router.delete("/Users/{user_id}", status_code=204, responses=_R)
def delete_user(user_id: str, request: Request, session: Session, who: Provisioner) -> Response:
    """Deprovision a user."""
    scim = _users(request)
    scim.delete_user(session, who, scim.get_user(session, who.scope, user_id))
    return Response(status_code=204)


# groups ----------------------------------------------------------------------------------------
@router.get("/Groups", response_model=ScimGroupList, responses=_R)
def list_groups(request: Request, session: Session, who: Provisioner, query: ListQuery) -> Response:
    """Groups of the caller's organization subtree matching ``filter``, a page at a time."""
    return _json(_groups(request).list_groups(session, who.scope, query))


@router.post("/Groups/.search", response_model=ScimGroupList, responses=_R)
def search_groups(request: Request, session: Session, who: Provisioner, body: Body) -> Response:
    """The same as listing, with the query in a SearchRequest body."""
    return _json(_groups(request).list_groups(session, who.scope, _search(body)))


@router.post("/Groups", status_code=201, response_model=ScimGroup, responses=_R)
def create_group(request: Request, session: Session, who: Provisioner, body: Body) -> Response:
    """Provision a group owned by the caller's organization."""
    groups = _groups(request)
    return _created(session, who, groups.create_group(session, who, body), groups.group_resource)


@router.get("/Groups/{group_id}", response_model=ScimGroup, responses=_R)
def get_group(group_id: str, request: Request, session: Session, who: Provisioner,
              query: Selection) -> Response:
    """One group with its members."""
    groups = _groups(request)
    return _json(groups.group_resource(session, groups.get_group(session, who.scope, group_id),
                                       who.scope, query))


@router.put("/Groups/{group_id}", response_model=ScimGroup, responses=_R)
def replace_group(group_id: str, request: Request, session: Session, who: Provisioner,
                  body: Body) -> Response:
    """Replace a group's name and members."""
    groups = _groups(request)
    return _changed(session, who, group_id, body, groups.get_group, groups.replace_group,
                    groups.group_resource)


@router.patch("/Groups/{group_id}", response_model=ScimGroup, responses=_R)
def patch_group(group_id: str, request: Request, session: Session, who: Provisioner,
                body: Body) -> Response:
    """Add or remove members, rename."""
    groups = _groups(request)
    return _changed(session, who, group_id, body, groups.get_group, groups.patch_group,
                    groups.group_resource)


@router.delete("/Groups/{group_id}", status_code=204, responses=_R)
def delete_group(group_id: str, request: Request, session: Session, who: Provisioner) -> Response:
    """Remove a group."""
    groups = _groups(request)
    groups.delete_group(session, who, groups.get_group(session, who.scope, group_id))
    return Response(status_code=204)


@router.post("/.search", response_model=ScimResourceList, responses=_R)
def search_all(request: Request, session: Session, who: Provisioner, body: Body) -> Response:
    """A search over users and groups at once (RFC 7644 §3.4.3): users first, then groups."""
    query = _search(body)
    start, size = paging(query.start_index, query.count)
    everything = ScimQuery(query.filter, 1, None, query.attributes, query.excluded)
    # A filter naming an attribute one type lacks is false for that type (RFC 7644 §3.4.2.1).
    users = _users(request).list_users(session, who.scope, everything)
    groups = _groups(request).list_groups(session, who.scope, everything)
    found = users["Resources"] + groups["Resources"]
    return _json(list_response(found[start - 1:start - 1 + size],
                               users["totalResults"] + groups["totalResults"], start))


# discovery (public, as RFC 7644 §4 allows) -----------------------------------------------------
@router.get("/ServiceProviderConfig", response_model=ScimServiceProviderConfig)
def get_service_provider_config() -> Response:
    """What this SCIM service supports."""
    return _json(service_provider_config())


@router.get("/ResourceTypes", response_model=ScimResourceTypes)
def resource_types() -> Response:
    """The resource types served, with their schema extensions."""
    return _json(list_response(RESOURCE_TYPES, len(RESOURCE_TYPES), 1))


@router.get("/ResourceTypes/{type_id}", response_model=ScimResourceType,
            responses={404: _R[404]})
def resource_type(type_id: str) -> Response:
    """One resource type."""
    return _json(find(RESOURCE_TYPES, type_id, "resource type"))


@router.get("/Schemas", response_model=ScimSchemas)
def schemas() -> Response:
    """The schemas of the resources served (User, the enterprise extension, Group)."""
    return _json(list_response(SCHEMAS, len(SCHEMAS), 1))


@router.get("/Schemas/{schema_id}", response_model=ScimSchema, responses={404: _R[404]})
def schema(schema_id: str) -> Response:
    """One schema by its URN."""
    return _json(find(SCHEMAS, schema_id, "schema"))

