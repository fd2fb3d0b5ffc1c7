"""SCIM 2.0 provisioning (RFC 7643/7644) for Users and Groups: resource mapping, filters compiled
to SQL, paging, PUT and PATCH. Deactivating or deleting a user ends their access at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, delete, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from bayfin.identity import repository as repo
from bayfin.identity.models import (
    AuthorizationCode,
    Consent,
    Group,
    GroupMember,
    MfaFactor,
    Organization,
    RefreshToken,
    RoleAssignment,
    SsoSession,
    User,
)
from bayfin.identity.scim_filter import Compare, InvalidFilter, Logical, Node, Not, parse_filter
from bayfin.identity.service import Actor, IdentityService
from bayfin.kernel.errors import BadRequest, Conflict, NotFound
from bayfin.kernel.ids import new_id

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_COUNT = 500

_USER_ATTRS: dict[str, Any] = {
    "id": User.id, "username": User.username, "externalid": User.external_id,
    "displayname": User.display_name, "name.formatted": User.display_name, "active": User.active,
    "emails": User.email, "emails.value": User.email, "locale": User.locale,
    "meta.created": User.created_at, "meta.lastmodified": User.updated_at,
}
_GROUP_ATTRS: dict[str, Any] = {
    "id": Group.id, "displayname": Group.display_name, "externalid": Group.external_id,
    "meta.created": Group.created_at, "meta.lastmodified": Group.updated_at,
}
#: Attributes compared without regard to case (SCIM caseExact=false).
_CASE_INSENSITIVE = {"username", "emails", "emails.value", "displayname", "name.formatted"}


def _compile(node: Node, attrs: dict[str, Any], members: Callable[[Compare], ColumnElement[bool]] | None
             ) -> ColumnElement[bool]:
    if isinstance(node, Logical):
        left, right = _compile(node.left, attrs, members), _compile(node.right, attrs, members)
        return and_(left, right) if node.op == "and" else or_(left, right)
    if isinstance(node, Not):
        return not_(_compile(node.inner, attrs, members))
    key = node.attribute.lower().removeprefix(USER_SCHEMA.lower() + ":")
    if key in ("members", "members.value") and members is not None:
        return members(node)
    column = attrs.get(key)
    if column is None:
        raise InvalidFilter(f"cannot filter on {node.attribute}")
    if node.op == "pr":
        return cast(ColumnElement[bool], column.is_not(None))
    value = node.value
    if isinstance(value, bool) or value is None:
        if node.op not in ("eq", "ne"):
            raise InvalidFilter("only eq and ne compare booleans and null")
        cond = column.is_(value) if value is None else column == value
        if isinstance(value, bool):
            cond = column == (true() if value else false())
        return cast(ColumnElement[bool], cond if node.op == "eq" else not_(cond))
    text = str(value)
    col = column
    if key in _CASE_INSENSITIVE:
        col, text = func.lower(column), text.lower()
    ops: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: col == text, "ne": lambda: col != text,
        "co": lambda: col.contains(text, autoescape=True),
        "sw": lambda: col.startswith(text, autoescape=True),
        "ew": lambda: col.endswith(text, autoescape=True),
        "gt": lambda: col > text, "ge": lambda: col >= text, "lt": lambda: col < text,
        "le": lambda: col <= text}
    return ops[node.op]()


def _group_member_filter(node: Compare) -> ColumnElement[bool]:
    sub = select(GroupMember.group_id)
    if node.op == "pr":
        return Group.id.in_(sub)
    if node.op != "eq":
        raise InvalidFilter("members supports eq and pr")
    return Group.id.in_(sub.where(GroupMember.user_id == str(node.value)))


def _paging(start_index: int | None, count: int | None) -> tuple[int, int]:
    start = max(1, start_index or 1)
    size = MAX_COUNT if count is None else max(0, min(count, MAX_COUNT))
    return start, size


class ScimService:
    """Use cases behind the SCIM endpoints."""

    def __init__(self, identity: IdentityService, base_url: str) -> None:
        self.identity = identity
        self.base = base_url.rstrip("/") + "/scim/v2"

    # representations ---------------------------------------------------------------------------
    def user_resource(self, session: Session, user: User,
                      groups: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        """A user as a SCIM resource."""
        if groups is None:
            groups = repo.groups_of_users(session, [user.id])[user.id]
        org = session.get(Organization, user.organization_id) if user.organization_id else None
        body: dict[str, Any] = {
            "schemas": [USER_SCHEMA, ENTERPRISE], "id": user.id, "userName": user.username,
            "displayName": user.display_name, "name": {"formatted": user.display_name},
            "active": user.active,
            "groups": [{"value": g, "display": n, "$ref": f"{self.base}/Groups/{g}"} for g, n in groups],
            "meta": {"resourceType": "User", "created": user.created_at.isoformat(),
                     "lastModified": user.updated_at.isoformat(),
                     "location": f"{self.base}/Users/{user.id}"},
        }
        if user.external_id:
            body["externalId"] = user.external_id
        if user.email:
            body["emails"] = [{"value": user.email, "type": "work", "primary": True}]
        if user.locale:
            body["locale"] = user.locale
        if org is not None:
            body[ENTERPRISE] = {"organization": org.code}
        return body

    def group_resource(self, group: Group, members: list[tuple[str, str]]) -> dict[str, Any]:
        """A group as a SCIM resource."""
        body: dict[str, Any] = {
            "schemas": [GROUP_SCHEMA], "id": group.id, "displayName": group.display_name,
            "members": [{"value": u, "display": n, "$ref": f"{self.base}/Users/{u}"} for u, n in members],
            "meta": {"resourceType": "Group", "created": group.created_at.isoformat(),
                     "lastModified": group.updated_at.isoformat(),
                     "location": f"{self.base}/Groups/{group.id}"}}
        if group.external_id:
            body["externalId"] = group.external_id
        return body

    # users -------------------------------------------------------------------------------------
    def list_users(self, session: Session, filter_text: str | None, start_index: int | None,
                   count: int | None) -> dict[str, Any]:
        """A page of users matching a filter."""
        q = select(User)
        if filter_text:
            q = q.where(_compile(parse_filter(filter_text), _USER_ATTRS, None))
        start, size = _paging(start_index, count)
        total = repo.count(session, q)
        rows = session.scalars(q.order_by(User.username).offset(start - 1).limit(size)).all()
        groups = repo.groups_of_users(session, [u.id for u in rows])
        return {"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start,
                "itemsPerPage": len(rows),
                "Resources": [self.user_resource(session, u, groups[u.id]) for u in rows]}

    def get_user(self, session: Session, user_id: str) -> User:
        """A user by SCIM id."""
        user = repo.user_by_id(session, user_id)
        if user is None:
            raise NotFound("no such user")
        return user

    def _user_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        emails = body.get("emails")
        email = None
        if isinstance(emails, list) and emails:
            primary = [e for e in emails if isinstance(e, dict) and e.get("primary")] or emails
            email = primary[0].get("value") if isinstance(primary[0], dict) else None
        raw_name = body.get("name")
        name: dict[str, Any] = raw_name if isinstance(raw_name, dict) else {}
        display = body.get("displayName") or name.get("formatted") or " ".join(
            p for p in (name.get("givenName"), name.get("familyName")) if p) or None
        raw_ext = body.get(ENTERPRISE)
        ext: dict[str, Any] = raw_ext if isinstance(raw_ext, dict) else {}
        return {"display_name": display, "email": email, "external_id": body.get("externalId"),
                "locale": body.get("locale"), "organization": ext.get("organization"),
                "active": body.get("active")}

    def create_user(self, session: Session, actor: Actor, body: dict[str, Any]) -> User:
        """Provision a user from a SCIM resource."""
        username = body.get("userName")
        if not isinstance(username, str) or not username.strip():
            raise BadRequest("userName is required", scimType="invalidValue")
        if repo.user_by_username(session, username):
            raise Conflict("userName is taken", scimType="uniqueness")
        f = self._user_fields(body)
        active = f["active"] if isinstance(f["active"], bool) else True
        return self.identity.create_user(
            session, actor, username=username, display_name=f["display_name"] or username,
            organization=f["organization"], email=f["email"], external_id=f["external_id"],
            active=active, locale=f["locale"], password=body.get("password"))

    def replace_user(self, session: Session, actor: Actor, user: User, body: dict[str, Any]) -> User:
        """PUT: the resource's mutable attributes become the body's."""
        f = self._user_fields(body)
        username = body.get("userName")
        if isinstance(username, str) and username.strip().lower() != user.username:
            if repo.user_by_username(session, username):
                raise Conflict("userName is taken", scimType="uniqueness")
            user.username = username.strip().lower()
        self.identity.update_user(session, actor, user, display_name=f["display_name"],
                                  email=f["email"] or "", external_id=f["external_id"] or "",
                                  organization=f["organization"], locale=f["locale"])
        if isinstance(f["active"], bool):
            self.identity.set_active(session, actor, user, f["active"])
        return user

    def patch_user(self, session: Session, actor: Actor, user: User, body: dict[str, Any]) -> User:
        """PATCH: add/replace/remove operations on scalar attributes, emails and ``active``."""
        for op, path, value in _operations(body):
            if path is None:
                if not isinstance(value, dict) or op == "remove":
                    raise BadRequest("an operation without path needs an object value",
                                     scimType="invalidValue")
                self._patch_fields(session, actor, user, op, value)
            else:
                self._patch_fields(session, actor, user, op, {path: value})
        return user

    def _patch_fields(self, session: Session, actor: Actor, user: User, op: str,
                      values: dict[str, Any]) -> None:
        for raw_path, value in values.items():
            path = raw_path.lower().removeprefix(USER_SCHEMA.lower() + ":")
            if op == "remove":
                value = None
            if path == "active":
                if not isinstance(value, bool):
                    raise BadRequest("active must be true or false", scimType="invalidValue")
                self.identity.set_active(session, actor, user, value)
            elif path in ("displayname", "name.formatted"):
                self.identity.update_user(session, actor, user, display_name=str(value or user.username))
            elif path == "externalid":
                self.identity.update_user(session, actor, user, external_id=str(value or ""))
            elif path == "locale":
                self.identity.update_user(session, actor, user, locale=str(value or ""))
            elif path.startswith("emails"):
                email = value if isinstance(value, str) else self._user_fields({"emails": value})["email"]
                self.identity.update_user(session, actor, user, email=str(email or ""))
            elif path == "name" and isinstance(value, dict):
                display = self._user_fields({"name": value})["display_name"]
                if display:
                    self.identity.update_user(session, actor, user, display_name=display)
            elif path == "username" and isinstance(value, str):
                self.replace_user(session, actor, user, {"userName": value})
            else:
                raise BadRequest(f"cannot patch {raw_path}", scimType="invalidPath")

    def delete_user(self, session: Session, actor: Actor, user: User) -> None:
        """Deprovision: end access at once, then remove the user and what hangs on them."""
        self.identity.set_active(session, actor, user, False)
        for model in (RoleAssignment, GroupMember, MfaFactor, Consent, RefreshToken, AuthorizationCode,
                      SsoSession):
            session.execute(delete(model).where(model.user_id == user.id))
        session.delete(user)
        session.flush()
        self.identity.audit.record(session, actor=actor.subject, actor_org=actor.organization_id,
                                   action="identity.user.delete", subject_type="user",
                                   subject_id=user.id)

    # groups ------------------------------------------------------------------------------------
    def list_groups(self, session: Session, filter_text: str | None, start_index: int | None,
                    count: int | None) -> dict[str, Any]:
        """A page of groups matching a filter."""
        q = select(Group)
        if filter_text:
            q = q.where(_compile(parse_filter(filter_text), _GROUP_ATTRS, _group_member_filter))
        start, size = _paging(start_index, count)
        total = repo.count(session, q)
        rows = session.scalars(q.order_by(Group.display_name).offset(start - 1).limit(size)).all()
        members = repo.group_members(session, [g.id for g in rows])
        return {"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start,
                "itemsPerPage": len(rows),
                "Resources": [self.group_resource(g, members[g.id]) for g in rows]}

    def get_group(self, session: Session, group_id: str) -> tuple[Group, list[tuple[str, str]]]:
        """A group and its members."""
        group = session.get(Group, group_id)
        if group is None:
            raise NotFound("no such group")
        return group, repo.group_members(session, [group.id])[group.id]

    def create_group(self, session: Session, actor: Actor, body: dict[str, Any]) -> Group:
        """Provision a group (with members)."""
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("displayName is required", scimType="invalidValue")
        if session.scalar(select(Group.id).where(Group.display_name == name)):
            raise Conflict("displayName is taken", scimType="uniqueness")
        now = self.identity.clock.now()
        group = Group(id=new_id("grp"), display_name=name, external_id=body.get("externalId"),
                      created_at=now, updated_at=now)
        session.add(group)
        session.flush()
        self._set_members(session, group, _member_ids(body.get("members")), replace=True)
        self._audit_group(session, actor, "group.create", group)
        return group

    def patch_group(self, session: Session, actor: Actor, group: Group, body: dict[str, Any]) -> Group:
        """PATCH: add/remove/replace members, replace displayName or externalId."""
        for op, path, value in _operations(body):
            key = (path or "").lower()
            if key.startswith("members[") and op == "remove":
                node = parse_filter(path[len("members["):-1] if path else "")
                if not (isinstance(node, Compare) and node.attribute.lower() == "value"):
                    raise BadRequest("members filter must be value eq \"id\"", scimType="invalidFilter")
                self._remove_members(session, group, [str(node.value)])
            elif key == "members":
                ids = _member_ids(value)
                if op == "remove":
                    self._remove_members(session, group, ids if ids else None)
                else:
                    self._set_members(session, group, ids, replace=op == "replace")
            elif key == "" and isinstance(value, dict):
                if "displayName" in value:
                    group.display_name = str(value["displayName"])
                if "externalId" in value:
                    group.external_id = value["externalId"]
                if "members" in value:
                    self._set_members(session, group, _member_ids(value["members"]),
                                      replace=op == "replace")
            elif key == "displayname":
                group.display_name = str(value)
            elif key == "externalid":
                group.external_id = None if op == "remove" else str(value)
            else:
                raise BadRequest(f"cannot patch {path}", scimType="invalidPath")
        group.updated_at = self.identity.clock.now()
        session.flush()
        self._audit_group(session, actor, "group.update", group)
        return group

    def replace_group(self, session: Session, actor: Actor, group: Group, body: dict[str, Any]) -> Group:
        """PUT: name, external id and the whole member list."""
        if isinstance(body.get("displayName"), str):
            group.display_name = body["displayName"]
        group.external_id = body.get("externalId")
        self._set_members(session, group, _member_ids(body.get("members")), replace=True)
        group.updated_at = self.identity.clock.now()
        session.flush()
        self._audit_group(session, actor, "group.update", group)
        return group

    def delete_group(self, session: Session, actor: Actor, group: Group) -> None:
        """Remove a group and its memberships."""
        session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
        session.delete(group)
        session.flush()
        self._audit_group(session, actor, "group.delete", group)

    def _set_members(self, session: Session, group: Group, user_ids: list[str], *, replace: bool) -> None:
        if replace:
            session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
        existing = set(session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id)))
        for uid in dict.fromkeys(user_ids):
            if uid in existing:
                continue
            if repo.user_by_id(session, uid) is None:
                raise BadRequest(f"no user {uid}", scimType="invalidValue")
            session.add(GroupMember(group_id=group.id, user_id=uid))
        session.flush()

    def _remove_members(self, session: Session, group: Group, user_ids: list[str] | None) -> None:
        q = delete(GroupMember).where(GroupMember.group_id == group.id)
        if user_ids is not None:
            q = q.where(GroupMember.user_id.in_(user_ids))
        session.execute(q)
        session.flush()

    def _audit_group(self, session: Session, actor: Actor, action: str, group: Group) -> None:
        self.identity.audit.record(session, actor=actor.subject, actor_org=actor.organization_id,
                                   action=f"identity.{action}", subject_type="group",
                                   subject_id=group.id)


def _operations(body: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
    if PATCH_SCHEMA not in (body.get("schemas") or []):
        raise BadRequest("a PatchOp message is required", scimType="invalidSyntax")
    ops = body.get("Operations")
    if not isinstance(ops, list) or not ops:
        raise BadRequest("Operations is required", scimType="invalidSyntax")
    out = []
    for item in ops:
        if not isinstance(item, dict) or str(item.get("op", "")).lower() not in ("add", "replace", "remove"):
            raise BadRequest("each operation needs op add, replace or remove", scimType="invalidSyntax")
        path = item.get("path")
        out.append((str(item["op"]).lower(), str(path) if path else None, item.get("value")))
    return out


def _member_ids(value: Any) -> list[str]:
    if not value:
        return []
    if not isinstance(value, list):
        value = [value]
    return [str(m["value"]) for m in value if isinstance(m, dict) and m.get("value")]
