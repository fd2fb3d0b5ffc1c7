"""Whose records a caller may reach: the one tenancy model every repository filters by.

Every tenant-owned record names its owning organization by code (an institution's code, an
enterprise's unified social credit code). A caller reaches the records of its own organization and
of that organization's branches (its subtree). Two kinds of organization cross tenants, and only to
read: the platform operator and a regulator (their reads are audited where the scope is made, in
``api/deps.py``). There is no third way: a caller without an organization gets no scope at all
(403), never "every tenant".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true

from bayfin.kernel.errors import Forbidden, NotFound
from bayfin.kernel.security import Principal

#: Organization types whose members may read (never change) every tenant's records.
CROSS_TENANT_ORG_TYPES = ("operator", "regulator")

#: The organization codes under a caller's organization, itself included (branches of a head office).
Subtree = Callable[[str], Iterable[str]]


def own_only(code: str) -> frozenset[str]:
    """The subtree of an organization without branches: itself."""
    return frozenset({code})


class MissingScope(Forbidden):
    """The caller belongs to no organization, so owns nothing and may read nothing tenant-owned."""

    code = "no_tenant_scope"


def owned_by(owner_column: Any, owner: str | None) -> ColumnElement[bool]:
    """A SQL condition keeping the rows of exactly ``owner`` (None: the platform's own, ownerless
    rows). For identifiers unique per owner, such as a bank's event ids, not for reach: use a scope."""
    condition: ColumnElement[bool] = owner_column.is_(None) if owner is None else owner_column == owner
    return condition


@dataclass(frozen=True)
class TenantScope:
    """The organizations whose records a caller may read and change.

    ``organization`` is the caller's own organization (new records belong to it); ``organizations`` is
    its subtree; ``cross_tenant`` names the operator or regulator reach (read-only) when the caller has
    it. Built only by :meth:`of` (and so by the one API dependency), never by hand in an endpoint.
    """

    actor: str
    organization: str
    organization_type: str | None
    organizations: frozenset[str]
    cross_tenant: str | None = None

    @classmethod
    def of(cls, principal: Principal, subtree: Subtree = own_only) -> TenantScope:
        """The scope of an authenticated caller; :class:`MissingScope` (403) without an organization."""
        code = principal.organization_id
        if not code:
            raise MissingScope("your account belongs to no organization, so it reaches no tenant's records")
        reach = principal.organization_type if principal.organization_type in CROSS_TENANT_ORG_TYPES else None
        return cls(actor=principal.subject, organization=code, organization_type=principal.organization_type,
                   organizations=frozenset({code, *subtree(code)}), cross_tenant=reach)

    @classmethod
    def system(cls, actor: str) -> TenantScope:
        """The reach of the platform's own tools run on the server (the CLI, workers): every tenant.
        Never produced from a token; a name to grep for rather than a ``None`` that means "all"."""
        return cls(actor=actor, organization="", organization_type="operator", organizations=frozenset(),
                   cross_tenant="system")

    # -- reading --------------------------------------------------------------------------------
    def may_read(self, owner: str | None) -> bool:
        """True if a record owned by ``owner`` is visible (an ownerless record only across tenants)."""
        return self.cross_tenant is not None or (owner is not None and owner in self.organizations)

    def readable(self, owner_column: Any) -> ColumnElement[bool]:
        """A SQL condition keeping the rows this scope may read (``owner_column`` holds the owner's code)."""
        if self.cross_tenant is not None:
            return true()
        condition: ColumnElement[bool] = owner_column.in_(sorted(self.organizations))
        return condition

    def readable_or_shared(self, owner_column: Any, shared_column: Any) -> ColumnElement[bool]:
        """Like :meth:`readable`, plus consortium rows every tenant may read (``shared_column`` true)."""
        if self.cross_tenant is not None:
            return true()
        own: ColumnElement[bool] = owner_column.in_(sorted(self.organizations))
        condition: ColumnElement[bool] = own | shared_column.is_(True)
        return condition

    def visible(self, record: Any, owner: str | None, what: str = "record") -> Any:
        """``record`` if it exists and this scope may read it, else :class:`NotFound` (never 403: a
        refused id must not tell whether another tenant has it)."""
        if record is None or not self.may_read(owner):
            raise NotFound(f"no such {what}")
        return record

    # -- changing -------------------------------------------------------------------------------
    def may_change(self, owner: str | None) -> bool:
        """True if this caller may change a record owned by ``owner``: only inside its subtree."""
        return self.cross_tenant == "system" or (owner is not None and owner in self.organizations)

    def changeable(self, record: Any, owner: str | None, what: str = "record") -> Any:
        """``record`` if this scope may change it; NotFound when it may not even read it, 403 when it
        may read but not change it (a shared list entry of another bank, a regulator's read)."""
        self.visible(record, owner, what)
        if not self.may_change(owner):
            raise Forbidden(f"only the owning organization changes this {what}")
        return record

    @property
    def owner(self) -> str | None:
        """The organization that owns what this caller creates (None for the platform's own tools)."""
        return self.organization or None
