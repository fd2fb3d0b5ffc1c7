"""SCIM 2.0 filters (RFC 7644 §3.4.2.2) parsed by scim2-models and compiled to SQL.

scim2-models owns the grammar (value paths such as ``emails[type eq "work"]``, ``not``, precedence,
JSON values). This module turns its syntax tree into SQLAlchemy conditions on the columns a
resource is stored in. Attributes kept only in a user's SCIM attributes (title, phone numbers,
every e-mail, …) cannot be searched in SQL portably; :func:`plan` says which part of a filter SQL
answers exactly, and the caller evaluates the rest with scim2-models on the rows SQL narrowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from scim2_models import ScimFilter
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

from bayfin.identity.scim.schema import (
    ENTERPRISE,
    GROUP_SCHEMA,
    USER_SCHEMA,
    InvalidFilter,
    scim_input,
)

__all__ = ["InvalidFilter", "compile_node", "matcher", "parse", "plan"]

MAX_FILTER_LENGTH = 2000


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


def parse(text: str, model: Any) -> FilterNode:
    """The syntax tree of a filter over ``model`` (a scim2-models resource), or 400 invalidFilter."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter("the filter is too long")
    if "\x00" in text:
        raise InvalidFilter("the filter contains a NUL character")
    with scim_input():
        return ScimFilter[model](text).ast


def matcher(text: str, model: Any) -> Callable[[Any], bool]:
    """A predicate evaluating the whole filter on a scim2-models resource."""
    with scim_input():
        bound = ScimFilter[model](text)
    return lambda resource: bool(bound.match(resource))


def key_of(path: AttrPath) -> str:
    """A lower-case lookup key: ``emails.value``, ``enterprise:organization``."""
    name = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
    uri = (path.uri or "").lower()
    if uri == ENTERPRISE.lower():
        return "enterprise:" + name
    if uri in ("", USER_SCHEMA.lower(), GROUP_SCHEMA.lower()):
        return name
    return f"{uri}:{name}"


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
