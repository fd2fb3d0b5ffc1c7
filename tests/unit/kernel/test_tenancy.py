"""The tenant scope: an organization's subtree, read-only reach across tenants for operators and
regulators, and no scope at all without an organization."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from bayfin.kernel.errors import Forbidden, NotFound
from bayfin.kernel.security import Principal
from bayfin.kernel.tenancy import MissingScope, TenantScope

ROWS = Table("rows", MetaData(), Column("owner", String))


def scope(org: str | None, org_type: str | None = "institution", subtree=None) -> TenantScope:
    principal = Principal("someone", org, org_type)
    return TenantScope.of(principal, subtree) if subtree else TenantScope.of(principal)


def test_a_caller_without_an_organization_has_no_scope_even_with_a_powerful_role():
    for org_type in ("institution", "operator", "regulator", None):
        with pytest.raises(MissingScope) as refused:
            TenantScope.of(Principal("drifter", None, org_type,
                                     roles=frozenset({"fraud_analyst", "operator"})))
        assert refused.value.status_code == 403


def test_a_bank_reads_and_changes_its_own_and_its_branches_records_only():
    head = scope("BANK-A", subtree=lambda code: {code, "BANK-A-SZ"})
    assert head.may_read("BANK-A") and head.may_read("BANK-A-SZ") and head.may_change("BANK-A-SZ")
    assert not head.may_read("BANK-B") and not head.may_read(None) and not head.may_change("BANK-B")
    branch = scope("BANK-A-SZ")
    assert not branch.may_read("BANK-A")
    with pytest.raises(NotFound):
        branch.visible(object(), "BANK-A")
    sql = str(select(ROWS).where(head.readable(ROWS.c.owner)).compile(compile_kwargs={"literal_binds": True}))
    assert "'BANK-A', 'BANK-A-SZ'" in sql


def test_operators_and_regulators_read_every_tenant_but_change_only_their_own():
    for org_type in ("operator", "regulator"):
        reach = scope("OVERSIGHT", org_type)
        assert reach.cross_tenant == org_type and reach.may_read("BANK-A") and reach.may_read(None)
        assert not reach.may_change("BANK-A") and reach.may_change("OVERSIGHT")
        with pytest.raises(Forbidden):
            reach.changeable(object(), "BANK-A")
    assert scope("BANK-A").cross_tenant is None  # an institution never crosses, whatever its roles


def test_the_platforms_own_tools_say_so_by_name():
    tools = TenantScope.system("cli")
    assert tools.may_read("BANK-A") and tools.may_change("BANK-A") and tools.owner is None
