"""Every SCIM query: users and groups inside an administrative scope, memberships, and the
compilation of a parsed SCIM filter (:mod:`bayfin.identity.scim.filter`) into SQLAlchemy conditions
on the columns a resource is stored in.

Attributes kept only in a user's SCIM attributes (title, phone numbers, every e-mail, …) cannot be
searched in SQL portably; :func:`plan` says which part of a filter SQL answers exactly, and the
caller evaluates the rest with scim2-models on the rows SQL narrowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, Select, and_, delete, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from bayfin.identity.core.models import (
    AuthorizationCode,
    Consent,
    Group,
    GroupMember,
    Invitation,
    MfaFactor,
    RefreshToken,
    RoleAssignment,
    SsoSession,
    User,
)
from bayfin.identity.core.scoping import AdminScope
from bayfin.identity.scim.filter import key_of
from bayfin.identity.scim.schema import InvalidFilter


# filters to SQL ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """A filterable attribute stored in a column: ``kind`` is str, text (case-insensitive),
    bool or datetime."""

    column: Any
    kind: str


#: A compiler for attributes no single column holds (e.g. group members): node → condition,
#: or None when SQL cannot answer it.
Special = Callable[[FilterNode], ColumnElement[bool] | None]


@dataclass(frozen=True)
class Attributes:
    """What SQL can search for one resource type."""

    columns: dict[str, Column]
    special: dict[str, Special]


def plan(node: FilterNode, attrs: Attributes) -> tuple[ColumnElement[bool] | None, bool]:
    """(condition, exact): SQL answers the whole filter when exact; else the condition (or None)
    only narrows the candidates and the filter must be evaluated on each of them."""
    whole = compile_node(node, attrs)
    if whole is not None:
        return whole, True
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_:
        parts = [c for c in (compile_node(t, attrs) for t in node.terms) if c is not None]
        return (and_(*parts) if parts else None), False
    return None, False


def compile_node(node: FilterNode, attrs: Attributes) -> ColumnElement[bool] | None:
    """The SQL condition of a filter node, or None when some attribute is not in a column."""
    if isinstance(node, LogicalExpr):
        parts = [compile_node(t, attrs) for t in node.terms]
        if any(p is None for p in parts):
            return None
        conds = cast(list[ColumnElement[bool]], parts)
        return and_(*conds) if node.op == LogicalOperator.and_ else or_(*conds)
    if isinstance(node, Not):
        inner = compile_node(node.expr, attrs)
        # A missing attribute makes the inner test unknown (NULL); SCIM counts it as false.
        return None if inner is None else not_(func.coalesce(inner, false()))
    if isinstance(node, (Comparison, Present, ValuePath)):
        key = key_of(node.attr_path)
        if key in attrs.special:
            return attrs.special[key](node)
        if isinstance(node, ValuePath):
            return None
        col = attrs.columns.get(key)
        if col is None:
            return None
        if isinstance(node, Present):
            cond = col.column.is_not(None)
            if col.kind in ("str", "text"):
                cond = and_(cond, col.column != "")
            return cast(ColumnElement[bool], cond)
        return compare(col, node.op, node.value)
    return None


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise InvalidFilter(f"{value!r} is not a dateTime (RFC 3339)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def compare(col: Column, op: CompareOperator, value: Any) -> ColumnElement[bool]:
    """``column op value`` with SCIM's typing and case rules."""
    if value is None:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilter("only eq and ne compare with null")
        cond = col.column.is_(None)
        return cast(ColumnElement[bool], cond if op == CompareOperator.eq else not_(cond))
    if col.kind == "bool":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilter("a boolean attribute compares with eq or ne and true or false")
        cond = col.column == (true() if value else false())
        return cast(ColumnElement[bool], cond if op == CompareOperator.eq else not_(cond))
    column: Any = col.column
    target: Any
    if col.kind == "datetime":
        if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
            raise InvalidFilter("co, sw and ew do not apply to a dateTime")
        target = _timestamp(value)
    else:
        target = str(value).lower() if col.kind == "text" else str(value)
        if col.kind == "text":
            column = func.lower(col.column)
    ops: dict[CompareOperator, Callable[[], Any]] = {
        CompareOperator.eq: lambda: column == target, CompareOperator.ne: lambda: column != target,
        CompareOperator.co: lambda: column.contains(target, autoescape=True),
        CompareOperator.sw: lambda: column.startswith(target, autoescape=True),
        CompareOperator.ew: lambda: column.endswith(target, autoescape=True),
        CompareOperator.gt: lambda: column > target, CompareOperator.ge: lambda: column >= target,
        CompareOperator.lt: lambda: column < target, CompareOperator.le: lambda: column <= target}
    cond = ops[op]()
    if op == CompareOperator.ne:
        cond = or_(cond, col.column.is_(None))
    return cast(ColumnElement[bool], cond)


USER_ATTRS = Attributes(
    columns={"id": Column(User.id, "str"), "username": Column(User.username, "text"),
             "externalid": Column(User.external_id, "str"),
             "displayname": Column(User.display_name, "text"), "active": Column(User.active, "bool"),
             "locale": Column(User.locale, "str"), "meta.created": Column(User.created_at, "datetime"),
             "meta.lastmodified": Column(User.updated_at, "datetime")},
    special={})

_MEMBER_ATTRS = Attributes(columns={"value": Column(GroupMember.user_id, "str"),
                                    "members": Column(GroupMember.user_id, "str"),
                                    "members.value": Column(GroupMember.user_id, "str")},
                           special={})


def _members(node: Any) -> ColumnElement[bool] | None:
    """``members``, ``members.value`` and ``members[value …]`` as a subquery on memberships."""
    inner: Any = getattr(node, "val_filter", None)
    if inner is not None:
        cond = compile_node(inner, _MEMBER_ATTRS)
    elif hasattr(node, "op"):
        cond = compile_node(node, _MEMBER_ATTRS)
    else:  # presence
        cond = GroupMember.user_id.is_not(None)
    if cond is None:
        return None
    return Group.id.in_(select(GroupMember.group_id).where(cond))


GROUP_ATTRS = Attributes(
    columns={"id": Column(Group.id, "str"), "displayname": Column(Group.display_name, "text"),
             "externalid": Column(Group.external_id, "str"),
             "meta.created": Column(Group.created_at, "datetime"),
             "meta.lastmodified": Column(Group.updated_at, "datetime")},
    special={"members": _members, "members.value": _members})


# listing ----------------------------------------------------------------------------------------
def users_in_scope(scope: AdminScope) -> Select[Any]:
    """The query of every user owned inside the scope (a filter narrows it further)."""
    return select(User).where(scope.where(User.organization_id))


def groups_in_scope(scope: AdminScope) -> Select[Any]:
    """The query of every group owned inside the scope (a filter narrows it further)."""
    return select(Group).where(scope.where(Group.organization_id))


def page(session: Session, query: Select[Any], order: Any, start: int, size: int) -> list[Any]:
    """Rows ``start`` (1-based) to ``start + size - 1`` of a listing query in ``order``."""
    return list(session.scalars(query.order_by(order).offset(start - 1).limit(size)))


def every(session: Session, query: Select[Any], order: Any) -> Iterable[Any]:
    """Every row of a listing query in ``order`` (the caller bounds it by its count first)."""
    return session.scalars(query.order_by(order))


# users ------------------------------------------------------------------------------------------
def user_in_scope(session: Session, scope: AdminScope, user_id: str) -> User | None:
    """A user by SCIM id, if owned inside the scope."""
    return session.scalar(select(User).where(User.id == user_id, scope.where(User.organization_id)))


def delete_user(session: Session, user: User) -> None:
    """Remove a user and every record that hangs on them (flushed)."""
    for model in (RoleAssignment, GroupMember, MfaFactor, Consent, RefreshToken, AuthorizationCode,
                  SsoSession, Invitation):
        session.execute(delete(model).where(model.user_id == user.id))
    session.delete(user)
    session.flush()


# groups -----------------------------------------------------------------------------------------
def group_in_scope(session: Session, scope: AdminScope, group_id: str) -> Group | None:
    """A group by SCIM id, if owned inside the scope."""
    return session.scalar(select(Group).where(Group.id == group_id,
                                              scope.where(Group.organization_id)))


def group_named(session: Session, org_id: str | None, name: str) -> str | None:
    """The id of the group of this organization (None: the platform's) with this display name,
    compared case-insensitively."""
    owner = (Group.organization_id.is_(None) if org_id is None
             else Group.organization_id == org_id)
    return session.scalar(select(Group.id).where(
        owner, func.lower(Group.display_name) == name.strip().lower()))


def delete_group(session: Session, group: Group) -> None:
    """Remove a group and its memberships (flushed)."""
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    session.delete(group)
    session.flush()


def users_found_in_scope(session: Session, scope: AdminScope, user_ids: list[str]) -> set[str]:
    """Those of ``user_ids`` that name users owned inside the scope."""
    return set(session.scalars(select(User.id).where(User.id.in_(user_ids),
                                                     scope.where(User.organization_id))))


def drop_members_except(session: Session, scope: AdminScope, group_id: str,
                        keep: list[str]) -> None:
    """Remove a group's members owned inside the scope except ``keep`` (members outside stay)."""
    in_scope = select(User.id).where(scope.where(User.organization_id))
    session.execute(delete(GroupMember).where(GroupMember.group_id == group_id,
                                              GroupMember.user_id.in_(in_scope),
                                              GroupMember.user_id.not_in(keep)))


def memberships(session: Session, group_id: str) -> dict[str, GroupMember]:
    """A group's memberships by user id."""
    return {m.user_id: m for m in session.scalars(select(GroupMember).where(
        GroupMember.group_id == group_id))}
