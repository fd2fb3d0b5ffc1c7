"""SCIM 2.0 filters (RFC 7644 §3.4.2.2) parsed by scim2-models: pure, no SQL.

scim2-models owns the grammar (value paths such as ``emails[type eq "work"]``, ``not``, precedence,
JSON values). This module parses a filter into its syntax tree, evaluates a whole filter on a
resource (:func:`matcher`) and names the attribute a path points at (:func:`key_of`). Turning the
tree into SQL conditions on the columns a resource is stored in is the SCIM repository's work
(:func:`bayfin.identity.scim.repository.plan`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scim2_models import ScimFilter
from scim2_models.path import (
    AttrPath,
    FilterNode,
)

from bayfin.identity.scim.schema import (
    ENTERPRISE,
    GROUP_SCHEMA,
    USER_SCHEMA,
    InvalidFilter,
    scim_input,
)

__all__ = ["InvalidFilter", "key_of", "matcher", "parse"]

MAX_FILTER_LENGTH = 2000


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
