"""SCIM 2.0 provisioning of Users (RFC 7643/7644), confined to the calling client's organization
subtree: other organizations' users do not exist for it, and it can neither create users outside
its subtree nor move its users out of it.

Resources are read and written through scim2-models: a request is validated against the published
schema, PATCH is applied by scim2-models to the current resource and saved as a replacement, and
responses honour ``attributes``/``excludedAttributes``. Columns hold what the platform needs
(user name, display name, primary e-mail, organization, state); everything else a directory sends
is kept in ``scim_attributes`` and returned as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from scim2_models import Context, PatchOp, ResponseParameters
from sqlalchemy import Select
from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.models import User
from bayfin.identity.core.scoping import AdminScope
from bayfin.identity.core.service import Actor, IdentityService
from bayfin.identity.scim import repository as scim_repo
from bayfin.identity.scim.filter import matcher, parse
from bayfin.identity.scim.repository import USER_ATTRS, Attributes, plan
from bayfin.identity.scim.schema import (
    ENTERPRISE,
    MAX_RESULTS,
    USER_SCHEMA,
    UserResource,
    list_response,
    scim_input,
)
from bayfin.kernel.errors import BadRequest, Conflict, NotFound

#: Rows a filter naming attributes outside the columns may scan before the caller must narrow it.
SCAN_LIMIT = 20_000
#: Attributes the columns hold; the rest of a provisioned resource goes to ``scim_attributes``.
_COLUMN_ATTRS = {"id", "meta", "userName", "externalId", "groups", "password"}
#: Column widths a provisioned value must fit (the locale column takes only a language tag).
_LIMITS = {"userName": 120, "externalId": 200}
_LOCALE_MAX = 10
_MAX_INDEX = 2**31 - 1


def paging(start_index: int | None, count: int | None) -> tuple[int, int]:
    """RFC 7644 §3.4.2.4: startIndex below 1 means 1; count is clamped to [0, MAX_RESULTS]."""
    start = min(max(1, start_index or 1), _MAX_INDEX)
    size = MAX_RESULTS if count is None else max(0, min(count, MAX_RESULTS))
    return start, size


@dataclass(frozen=True)
class Query:
    """A list or search request: filter, paging and which attributes to return."""

    filter: str | None = None
    start_index: int | None = None
    count: int | None = None
    attributes: Sequence[str] | None = None
    excluded: Sequence[str] | None = None


def render(model: Any, body: dict[str, Any], query: Query | None = None) -> dict[str, Any]:
    """A resource through its scim2-models model: normalised, with attributes selected."""
    with scim_input():
        params = None
        if query is not None and (query.attributes or query.excluded):
            params = ResponseParameters[model](attributes=list(query.attributes or []) or None,
                                               excluded_attributes=list(query.excluded or []) or None)
        resource = model.model_validate(body, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return cast(dict[str, Any], resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
                                                        response_parameters=params))


def select_page(session: Session, q: Select[Any], order: Any, query: Query, model: Any,
                attrs: Attributes, build: Callable[[Any], dict[str, Any]]
                ) -> tuple[list[Any], int, int]:
    """Rows of one page matching the filter, the total, and the start index."""
    start, size = paging(query.start_index, query.count)
    if not query.filter:
        total = repo.count(session, q)
        return scim_repo.page(session, q, order, start, size), total, start
    node = parse(query.filter, model)
    cond, exact = plan(node, attrs)
    if cond is not None:
        q = q.where(cond)
    if exact:
        total = repo.count(session, q)
        return scim_repo.page(session, q, order, start, size), total, start
    if repo.count(session, q) > SCAN_LIMIT:
        raise BadRequest("the filter names attributes that need a scan of too many resources; "
                         "narrow it with userName, externalId or meta.lastModified",
                         scimType="tooMany")
    test = matcher(query.filter, model)
    with scim_input():
        hits = [row for row in scim_repo.every(session, q, order)
                if test(model.model_validate(build(row), scim_ctx=Context.RESOURCE_QUERY_RESPONSE))]
    return hits[start - 1:start - 1 + size], len(hits), start


@dataclass
class UserFields:
    """What a SCIM user resource sets, split into columns and kept attributes."""

    username: str
    display_name: str
    email: str | None
    external_id: str | None
    locale: str | None
    active: bool | None
    password: str | None
    attributes: dict[str, Any]


class ScimService:
    """Use cases behind the SCIM User endpoints (groups: :mod:`scim_groups`)."""

    def __init__(self, identity: IdentityService, base_url: str) -> None:
        self.identity = identity
        self.base = base_url.rstrip("/") + "/scim/v2"

    # representation ----------------------------------------------------------------------------
    def user_body(self, session: Session, user: User, scope: AdminScope,
                  groups: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        """A user as a SCIM resource (before attribute selection)."""
        if groups is None:
            groups = repo.groups_of_users(session, [user.id], scope)[user.id]
        attrs = dict(user.scim_attributes or {})
        # A user a directory provisioned carries the schemas it was sent with; its displayName and
        # active show only if sent (their values are the columns', which the admin API also sets).
        managed = attrs.pop("schemas", None) is not None
        ext = dict(attrs.pop(ENTERPRISE, None) or {})
        show_display = attrs.pop("displayName", None) is not None or not managed
        show_active = attrs.pop("active", None) is not None or not managed
        body: dict[str, Any] = {
            "schemas": [USER_SCHEMA], "id": user.id, "userName": user.username,
            "meta": {"resourceType": "User", "created": user.created_at.isoformat(),
                     "lastModified": user.updated_at.isoformat(),
                     "location": f"{self.base}/Users/{user.id}"}}
        if show_display:
            body["displayName"] = user.display_name
        if show_active:
            body["active"] = user.active
        if not managed:
            body["name"] = {"formatted": user.display_name}
        body.update(attrs)
        body["emails"] = _emails(attrs.get("emails"), user.email)
        if not body["emails"]:
            del body["emails"]
        if groups:
            body["groups"] = [{"value": g, "display": n, "type": "direct",
                               "$ref": f"{self.base}/Groups/{g}"} for g, n in groups]
        if user.external_id:
            body["externalId"] = user.external_id
        if user.locale and not managed:
            body["locale"] = user.locale
        if not managed and user.organization_id:
            # Nothing provisioned: the organization the platform keeps the user in, by code.
            org = repo.org_by_id(session, user.organization_id)
            ext["organization"] = org.code if org else None
        if ext:
            body[ENTERPRISE] = ext
            body["schemas"] = [USER_SCHEMA, ENTERPRISE]
        return body

    def user_resource(self, session: Session, user: User, scope: AdminScope,
                      query: Query | None = None) -> dict[str, Any]:
        """A user as a SCIM resource, with the requested attributes."""
        return render(UserResource, self.user_body(session, user, scope), query)

    # reading -----------------------------------------------------------------------------------
    def list_users(self, session: Session, scope: AdminScope, query: Query) -> dict[str, Any]:
        """A page of the users inside the scope that match the filter."""
        q = scim_repo.users_in_scope(scope)
        rows, total, start = select_page(session, q, User.username, query, UserResource, USER_ATTRS,
                                         lambda u: self.user_body(session, u, scope))
        groups = repo.groups_of_users(session, [u.id for u in rows], scope)
        return list_response([render(UserResource, self.user_body(session, u, scope, groups[u.id]),
                                     query) for u in rows], total, start)

    def get_user(self, session: Session, scope: AdminScope, user_id: str) -> User:
        """A user inside the scope by SCIM id (others: 404)."""
        if "\x00" in user_id or len(user_id) > 40:
            raise NotFound("no such user")
        user = scim_repo.user_in_scope(session, scope, user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    # writing -----------------------------------------------------------------------------------
    def _manager(self, value: Any) -> Any:
        """The enterprise manager as the schema wants it: Microsoft Entra sends the bare id and no
        ``$ref`` (which the schema requires and this server can derive)."""
        if isinstance(value, str):
            value = {"value": value}
        if isinstance(value, dict) and isinstance(value.get("value"), str) and not value.get("$ref"):
            value = {**value, "$ref": f"{self.base}/Users/{value['value']}"}
        return value

    def _with_manager(self, body: dict[str, Any]) -> dict[str, Any]:
        ext = body.get(ENTERPRISE)
        if isinstance(ext, dict) and "manager" in ext:
            return {**body, ENTERPRISE: {**ext, "manager": self._manager(ext["manager"])}}
        return body

    def _patch_manager(self, body: dict[str, Any]) -> dict[str, Any]:
        ops = body.get("Operations")
        if not isinstance(ops, list):
            return body
        fixed = []
        for op in ops:
            if isinstance(op, dict):
                path = str(op.get("path") or "").lower()
                if path == f"{ENTERPRISE.lower()}:manager":
                    op = {**op, "value": self._manager(op.get("value"))}
                elif not path and isinstance(op.get("value"), dict):
                    op = {**op, "value": self._with_manager(op["value"])}
            fixed.append(op)
        return {**body, "Operations": fixed}

    def _fields(self, body: dict[str, Any], context: Context) -> UserFields:
        if not isinstance(body.get("userName"), str) or not body["userName"].strip():
            raise BadRequest("userName is required", scimType="invalidValue")
        body = self._with_manager(body)
        with scim_input():
            model = UserResource.model_validate(body, scim_ctx=context)
            password = model.password
            data = model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        for key, limit in _LIMITS.items():
            if len(str(data.get(key) or "")) > limit:
                raise BadRequest(f"{key} is longer than {limit} characters", scimType="invalidValue")
        attrs = {k: v for k, v in data.items() if k not in _COLUMN_ATTRS}
        name = attrs.get("name") or {}
        display = data.get("displayName") or name.get("formatted") or " ".join(
            p for p in (name.get("givenName"), name.get("familyName")) if p) or data["userName"]
        emails = attrs.get("emails") or []
        primary = [e for e in emails if e.get("primary")] or emails
        email = primary[0].get("value") if primary else None
        if email is not None and len(email) > 254:
            raise BadRequest("an e-mail address is longer than 254 characters",
                             scimType="invalidValue")
        locale = data.get("locale")
        return UserFields(
            username=str(data["userName"]), display_name=str(display)[:200],
            email=email, external_id=data.get("externalId"),
            locale=locale if locale and len(locale) <= _LOCALE_MAX else None, active=data.get("active"),
            password=password, attributes=attrs)

    def _unique(self, session: Session, username: str, user: User | None = None) -> None:
        found = repo.user_by_username(session, username)
        if found is not None and (user is None or found.id != user.id):
            raise Conflict("userName is taken", scimType="uniqueness")

    def create_user(self, session: Session, actor: Actor, body: dict[str, Any]) -> User:
        """Provision a user inside the client's organization (or the subtree one it names)."""
        f = self._fields(body, Context.RESOURCE_CREATION_REQUEST)
        self._unique(session, f.username)
        return self.identity.create_user(
            session, actor, username=f.username, display_name=f.display_name, organization=None,
            email=f.email, external_id=f.external_id, active=True if f.active is None else f.active,
            locale=f.locale, password=f.password, attributes=f.attributes)

    def replace_user(self, session: Session, actor: Actor, user: User, body: dict[str, Any],
                     context: Context = Context.RESOURCE_REPLACEMENT_REQUEST,
                     password: str | None = None) -> User:
        """PUT: the resource becomes the body; the user stays in their organization."""
        f = self._fields(body, context)
        self._unique(session, f.username, user)
        self.identity.replace_profile(
            session, actor, user, username=f.username, display_name=f.display_name, email=f.email,
            external_id=f.external_id, locale=f.locale, organization=None, attributes=f.attributes)
        if f.active is not None:
            self.identity.set_active(session, actor, user, f.active)
        if (password := f.password or password) is not None:
            self.identity.set_password(session, actor, user, password)
        return user

    def patch_user(self, session: Session, actor: Actor, user: User, body: dict[str, Any]) -> User:
        """PATCH (RFC 7644 §3.5.2) on any attribute, value paths included, applied by scim2-models."""
        current = self.user_body(session, user, actor.scope)
        with scim_input():
            resource = UserResource.model_validate(current, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
            operations = PatchOp[UserResource].model_validate(
                self._patch_manager(body), scim_ctx=Context.RESOURCE_PATCH_REQUEST)
            operations.patch(resource)
            after = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return self.replace_user(session, actor, user, after, Context.RESOURCE_QUERY_RESPONSE,
                                 password=resource.password)

    def delete_user(self, session: Session, actor: Actor, user: User) -> None:
        """Deprovision: end access at once, then remove the user and what hangs on them."""
        self.identity.set_active(session, actor, user, False)
        scim_repo.delete_user(session, user)
        self.identity.audit.record(session, actor=actor.subject, actor_org=actor.organization_id,
                                   action="identity.user.delete", subject_type="user",
                                   subject_id=user.id)


def _emails(kept: Any, column: str | None) -> list[dict[str, Any]]:
    """Every e-mail provisioned, with the column's (the one the platform uses) as primary; an
    address changed through the admin API replaces the primary one."""
    emails = [dict(e) for e in kept] if isinstance(kept, list) else []
    if column is None:
        return []
    if not any(e.get("value") == column for e in emails):
        emails = [e for e in emails if not e.get("primary")]
        emails.insert(0, {"value": column, "type": "work", "primary": True})
    return emails

