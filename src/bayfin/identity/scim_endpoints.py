"""SCIM 2.0 endpoints (``/scim/v2``) for a bank's HR or directory system; callers need scope ``scim``.

Errors use SCIM's own error message format (RFC 7644 §3.12) so directory connectors understand them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from bayfin.api.deps import AUTH_ERRORS, Session, require
from bayfin.identity.scim_schemas import (
    ScimGroup,
    ScimGroupList,
    ScimJSONResponse,
    ScimResourceTypes,
    ScimServiceProviderConfig,
    ScimUser,
    ScimUserList,
)
from bayfin.identity.scim_service import GROUP_SCHEMA, USER_SCHEMA, ScimService
from bayfin.identity.service import Actor
from bayfin.identity.web import identity_of
from bayfin.kernel.errors import AppError, BadRequest
from bayfin.kernel.security import Principal

router = APIRouter(prefix="/scim/v2", tags=["identity: SCIM 2.0"], default_response_class=ScimJSONResponse)
Provisioner = Annotated[Principal, Depends(require(scopes=("scim",)))]
SCIM_JSON = "application/scim+json"
_R: dict[int | str, dict[str, Any]] = {
    401: AUTH_ERRORS[401], 403: AUTH_ERRORS[403],
    400: {"description": "SCIM error (invalidFilter, invalidValue, invalidPath…)"},
    404: {"description": "SCIM error: no such resource"},
    409: {"description": "SCIM error: uniqueness"}}


def _json(body: Any, status: int = 200, location: str | None = None) -> Response:
    headers = {"Location": location} if location else None
    return Response(orjson.dumps(body), status_code=status, media_type=SCIM_JSON, headers=headers)


def _error(exc: AppError) -> Response:
    body: dict[str, Any] = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                            "status": str(exc.status_code), "detail": exc.message}
    scim_type = exc.extra.get("scimType") or (exc.code if exc.code == "invalidFilter" else None)
    if scim_type:
        body["scimType"] = scim_type
    return _json(body, exc.status_code)


def _scim(request: Request) -> ScimService:
    return ScimService(identity_of(request).service, identity_of(request).issuer)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (SCIM bodies are objects)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return {}
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return {"__invalid__": True}
    return data if isinstance(data, dict) else {"__invalid__": True}


Body = Annotated[dict[str, Any], Depends(json_body)]


def _run(body: dict[str, Any], action: Callable[[], Response]) -> Response:
    try:
        if body.get("__invalid__"):
            raise BadRequest("the body must be a JSON object", scimType="invalidSyntax")
        return action()
    except AppError as exc:
        return _error(exc)


@router.get("/Users", response_model=ScimUserList, responses=_R)
def list_users(request: Request, session: Session, who: Provisioner, filter: str | None = None,
               startIndex: int | None = None, count: int | None = None) -> Response:
    """Users matching ``filter``, a page at a time (``startIndex`` is 1-based)."""
    return _run({}, lambda: _json(_scim(request).list_users(session, filter, startIndex, count)))


@router.post("/Users", status_code=201, response_model=ScimUser, responses=_R)
def create_user(request: Request, session: Session, who: Provisioner, body: Body) -> Response:
    """Provision a user."""
    def act() -> Response:
        scim = _scim(request)
        user = scim.create_user(session, Actor.of(who), body)
        res = scim.user_resource(session, user, [])
        return _json(res, 201, res["meta"]["location"])
    return _run(body, act)


@router.get("/Users/{user_id}", response_model=ScimUser, responses=_R)
def get_user(user_id: str, request: Request, session: Session, who: Provisioner) -> Response:
    """One user."""
    scim = _scim(request)
    return _run({}, lambda: _json(scim.user_resource(session, scim.get_user(session, user_id))))


@router.put("/Users/{user_id}", response_model=ScimUser, responses=_R)
def replace_user(user_id: str, request: Request, session: Session, who: Provisioner,
                 body: Body) -> Response:
    """Replace a user's attributes."""
    scim = _scim(request)
    return _run(body, lambda: _json(scim.user_resource(session, scim.replace_user(
        session, Actor.of(who), scim.get_user(session, user_id), body))))


@router.patch("/Users/{user_id}", response_model=ScimUser, responses=_R)
def patch_user(user_id: str, request: Request, session: Session, who: Provisioner,
               body: Body) -> Response:
    """Change a user; ``active: false`` ends their sessions and tokens at once."""
    scim = _scim(request)
    return _run(body, lambda: _json(scim.user_resource(session, scim.patch_user(
        session, Actor.of(who), scim.get_user(session, user_id), body))))


@router.delete("/Users/{user_id}", status_code=204, responses=_R)
def delete_user(user_id: str, request: Request, session: Session, who: Provisioner) -> Response:
    """Deprovision a user."""
    scim = _scim(request)

    def act() -> Response:
        scim.delete_user(session, Actor.of(who), scim.get_user(session, user_id))
        return Response(status_code=204)
    return _run({}, act)


@router.get("/Groups", response_model=ScimGroupList, responses=_R)
def list_groups(request: Request, session: Session, who: Provisioner, filter: str | None = None,
                startIndex: int | None = None, count: int | None = None) -> Response:
    """Groups matching ``filter``, a page at a time."""
    return _run({}, lambda: _json(_scim(request).list_groups(session, filter, startIndex, count)))


@router.post("/Groups", status_code=201, response_model=ScimGroup, responses=_R)
def create_group(request: Request, session: Session, who: Provisioner, body: Body) -> Response:
    """Provision a group."""
    def act() -> Response:
        scim = _scim(request)
        group = scim.create_group(session, Actor.of(who), body)
        res = scim.group_resource(*scim.get_group(session, group.id))
        return _json(res, 201, res["meta"]["location"])
    return _run(body, act)


@router.get("/Groups/{group_id}", response_model=ScimGroup, responses=_R)
def get_group(group_id: str, request: Request, session: Session, who: Provisioner) -> Response:
    """One group with its members."""
    scim = _scim(request)
    return _run({}, lambda: _json(scim.group_resource(*scim.get_group(session, group_id))))


@router.put("/Groups/{group_id}", response_model=ScimGroup, responses=_R)
def replace_group(group_id: str, request: Request, session: Session, who: Provisioner,
                  body: Body) -> Response:
    """Replace a group's name and members."""
    scim = _scim(request)

    def act() -> Response:
        group, _ = scim.get_group(session, group_id)
        scim.replace_group(session, Actor.of(who), group, body)
        return _json(scim.group_resource(*scim.get_group(session, group_id)))
    return _run(body, act)


@router.patch("/Groups/{group_id}", response_model=ScimGroup, responses=_R)
def patch_group(group_id: str, request: Request, session: Session, who: Provisioner,
                body: Body) -> Response:
    """Add or remove members, rename."""
    scim = _scim(request)

    def act() -> Response:
        group, _ = scim.get_group(session, group_id)
        scim.patch_group(session, Actor.of(who), group, body)
        return _json(scim.group_resource(*scim.get_group(session, group_id)))
    return _run(body, act)


@router.delete("/Groups/{group_id}", status_code=204, responses=_R)
def delete_group(group_id: str, request: Request, session: Session, who: Provisioner) -> Response:
    """Remove a group."""
    scim = _scim(request)

    def act() -> Response:
        group, _ = scim.get_group(session, group_id)
        scim.delete_group(session, Actor.of(who), group)
        return Response(status_code=204)
    return _run({}, act)


@router.get("/ServiceProviderConfig", response_model=ScimServiceProviderConfig)
def service_provider_config() -> Response:
    """What this SCIM service supports."""
    return _json({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True}, "bulk": {"supported": False, "maxOperations": 0,
                                               "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 500}, "changePassword": {"supported": False},
        "sort": {"supported": False}, "etag": {"supported": False},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
                                   "description": "client credentials token with scope scim"}]})


@router.get("/ResourceTypes", response_model=ScimResourceTypes)
def resource_types() -> Response:
    """The resource types served."""
    return _json({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 2,
                  "Resources": [
                      {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User",
                       "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA},
                      {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group",
                       "name": "Group", "endpoint": "/Groups", "schema": GROUP_SCHEMA}]})
