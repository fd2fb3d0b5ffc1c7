"""Delegated administration: which organizations an identity administrator may act on.

A bank's SCIM connector or administrator acts only inside its own organization's subtree (the
bank and its branches), as a Keycloak realm or fine-grained admin permission would confine it.
Acting on the whole platform is an explicit grant: the ``platform_admin`` role held by a member of
the operator. Every scoped query takes an :class:`AdminScope`; there is no default, so forgetting
it is a type error and a runtime error, never "see everything". The scope of an API caller is read
from the organization tree by ``service.scope_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, true

from bayfin.kernel.errors import Forbidden
from bayfin.kernel.security import Principal

PLATFORM_ADMIN = "platform_admin"
#: Role names whose holders act for the platform rather than for one institution (the operator's
#: and regulators' roles, and the operators of the shared card and terminal networks): only a
#: platform administrator may define or grant them, or give them to an app as service roles.
RESERVED_ROLES = frozenset({PLATFORM_ADMIN, "operator", "regulator", "risk_analyst",
                            "risk_supervisor", "sscard_operator", "terminals_operator"})


@dataclass(frozen=True)
class AdminScope:
    """The organizations an administrator may see and change (ids), or the whole platform."""

    platform: bool
    org_ids: frozenset[str]
    home_org_id: str | None

    @classmethod
    def whole_platform(cls) -> AdminScope:
        """The platform operator's own tooling (the CLI) or a platform administrator."""
        return cls(True, frozenset(), None)

    def covers(self, org_id: str | None) -> bool:
        """True if a record owned by ``org_id`` (None: the platform itself) is inside the scope."""
        return self.platform or (org_id is not None and org_id in self.org_ids)

    def where(self, column: Any) -> ColumnElement[bool]:
        """The SQL condition keeping rows whose owning organization column is inside the scope."""
        if self.platform:
            return true()
        return cast(ColumnElement[bool], column.in_(sorted(self.org_ids)))

    def require(self, org_id: str | None, what: str = "this organization") -> None:
        """Refuse (403) acting on a record owned outside the scope."""
        if not self.covers(org_id):
            raise Forbidden(f"{what} is outside the caller's administrative scope")


def require_scope(scope: object) -> AdminScope:
    """Fail loudly when a caller forgot to pass a scope (a programming error, not "everything")."""
    if not isinstance(scope, AdminScope):
        raise TypeError("an AdminScope is required")
    return scope


def is_platform_admin(principal: Principal) -> bool:
    """A member of the operator holding the explicit platform administrator role."""
    return principal.organization_type == "operator" and principal.has_role(PLATFORM_ADMIN)
