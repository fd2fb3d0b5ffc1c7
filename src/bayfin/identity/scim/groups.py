"""SCIM 2.0 Groups, each owned by the organization of the client that provisioned it: a client sees,
changes and fills only its own subtree's groups, with its own subtree's users."""

from __future__ import annotations

from typing import Any

from scim2_models import Context, PatchOp
from sqlalchemy.orm import Session

from bayfin.identity.core import repository as repo
from bayfin.identity.core.models import Group, GroupMember
from bayfin.identity.core.scoping import AdminScope
from bayfin.identity.core.service import Actor
from bayfin.identity.scim import repository as scim_repo
from bayfin.identity.scim.repository import GROUP_ATTRS
from bayfin.identity.scim.schema import GROUP_SCHEMA, GroupResource, list_response, scim_input
from bayfin.identity.scim.service import Query, ScimService, render, select_page
from bayfin.kernel.errors import BadRequest, Conflict, NotFound
from bayfin.kernel.ids import new_id


class ScimGroups:
    """Use cases behind the SCIM Group endpoints."""

    def __init__(self, users: ScimService) -> None:
        self.users = users
        self.identity = users.identity
        self.base = users.base

    def group_body(self, group: Group, members: list[tuple[str, str]]) -> dict[str, Any]:
        """A group as a SCIM resource (before attribute selection)."""
        body: dict[str, Any] = {
            "schemas": [GROUP_SCHEMA], "id": group.id, "displayName": group.display_name,
            "meta": {"resourceType": "Group", "created": group.created_at.isoformat(),
                     "lastModified": group.updated_at.isoformat(),
                     "location": f"{self.base}/Groups/{group.id}"}}
        if members:
            body["members"] = [{"value": u, "display": n, "type": "User",
                                "$ref": f"{self.base}/Users/{u}"} for u, n in members]
        if group.external_id:
            body["externalId"] = group.external_id
        return body

    def group_resource(self, session: Session, group: Group, scope: AdminScope,
                       query: Query | None = None) -> dict[str, Any]:
        """A group with its members inside the scope, with the requested attributes."""
        members = repo.group_members(session, [group.id], scope)[group.id]
        return render(GroupResource, self.group_body(group, members), query)

    def list_groups(self, session: Session, scope: AdminScope, query: Query) -> dict[str, Any]:
        """A page of the groups inside the scope that match the filter."""
        q = scim_repo.groups_in_scope(scope)

        def body(g: Group) -> dict[str, Any]:
            return self.group_body(g, repo.group_members(session, [g.id], scope)[g.id])

        rows, total, start = select_page(session, q, Group.display_name, query, GroupResource,
                                         GROUP_ATTRS, body)
        members = repo.group_members(session, [g.id for g in rows], scope)
        return list_response([render(GroupResource, self.group_body(g, members[g.id]), query)
                              for g in rows], total, start)

    def get_group(self, session: Session, scope: AdminScope, group_id: str) -> Group:
        """A group inside the scope (others: 404)."""
        if "\x00" in group_id or len(group_id) > 40:
            raise NotFound("no such group")
        group = scim_repo.group_in_scope(session, scope, group_id)
        if group is None:
            raise NotFound("no such group")
        return group

    def _parse(self, body: dict[str, Any], context: Context) -> dict[str, Any]:
        if not isinstance(body.get("displayName"), str) or not body["displayName"].strip():
            raise BadRequest("displayName is required", scimType="invalidValue")
        with scim_input():
            data: dict[str, Any] = GroupResource.model_validate(body, scim_ctx=context).model_dump(
                scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return data

    def _unique(self, session: Session, org_id: str | None, name: str, group: Group | None) -> None:
        found = scim_repo.group_named(session, org_id, name)
        if found is not None and (group is None or found != group.id):
            raise Conflict("displayName is taken", scimType="uniqueness")

    def create_group(self, session: Session, actor: Actor, body: dict[str, Any]) -> Group:
        """Provision a group owned by the client's organization, with members of its subtree."""
        data = self._parse(body, Context.RESOURCE_CREATION_REQUEST)
        org_id = actor.scope.home_org_id
        self._unique(session, org_id, data["displayName"], None)
        now = self.identity.clock.now()
        group = Group(id=new_id("grp"), display_name=data["displayName"].strip(), organization_id=org_id,
                      external_id=data.get("externalId"), created_at=now, updated_at=now)
        repo.add(session, group)
        session.flush()
        self._set_members(session, actor.scope, group, data.get("members") or [])
        self._audit(session, actor, "group.create", group)
        return group

    def replace_group(self, session: Session, actor: Actor, group: Group, body: dict[str, Any],
                      context: Context = Context.RESOURCE_REPLACEMENT_REQUEST) -> Group:
        """PUT: name, external id and the whole member list (members outside the scope stay)."""
        data = self._parse(body, context)
        self._unique(session, group.organization_id, data["displayName"], group)
        group.display_name = data["displayName"].strip()
        group.external_id = data.get("externalId")
        self._set_members(session, actor.scope, group, data.get("members") or [])
        group.updated_at = self.identity.clock.now()
        session.flush()
        self._audit(session, actor, "group.update", group)
        return group

    def patch_group(self, session: Session, actor: Actor, group: Group, body: dict[str, Any]) -> Group:
        """PATCH applied by scim2-models to the current group, saved as a replacement."""
        members = repo.group_members(session, [group.id], actor.scope)[group.id]
        with scim_input():
            resource = GroupResource.model_validate(self.group_body(group, members),
                                                    scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
            PatchOp[GroupResource].model_validate(
                body, scim_ctx=Context.RESOURCE_PATCH_REQUEST).patch(resource)
            after = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        return self.replace_group(session, actor, group, after, Context.RESOURCE_QUERY_RESPONSE)

    def delete_group(self, session: Session, actor: Actor, group: Group) -> None:
        """Remove a group and its memberships."""
        scim_repo.delete_group(session, group)
        self._audit(session, actor, "group.delete", group)

    def _set_members(self, session: Session, scope: AdminScope, group: Group,
                     members: list[dict[str, Any]]) -> None:
        wanted: dict[str, str | None] = {}
        for member in members:
            if str(member.get("type") or "User") != "User":
                raise BadRequest("only users can be group members", scimType="invalidValue")
            if member.get("value"):
                display = member.get("display")
                wanted[str(member["value"])] = str(display)[:200] if display else None
        found = scim_repo.users_found_in_scope(session, scope, list(wanted))
        missing = [uid for uid in wanted if uid not in found]
        if missing:
            raise BadRequest(f"no user {missing[0]}", scimType="invalidValue")
        scim_repo.drop_members_except(session, scope, group.id, list(wanted))
        present = scim_repo.memberships(session, group.id)
        for uid, display in wanted.items():
            if uid in present:
                present[uid].display = display
            else:
                repo.add(session, GroupMember(group_id=group.id, user_id=uid, display=display))
        session.flush()

    def _audit(self, session: Session, actor: Actor, action: str, group: Group) -> None:
        self.identity.audit.record(session, actor=actor.subject, actor_org=actor.organization_id,
                                   action=f"identity.{action}", subject_type="group",
                                   subject_id=group.id)
