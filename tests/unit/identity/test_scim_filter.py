"""SCIM filters: scim2-models parses them; this module says what SQL answers exactly and refuses
what cannot apply, with SCIM's invalidFilter."""

from __future__ import annotations

import pytest
from scim2_models.path import LogicalExpr, ValuePath

from bayfin.identity.scim.filter import InvalidFilter, parse
from bayfin.identity.scim.repository import GROUP_ATTRS, USER_ATTRS, compile_node, plan
from bayfin.identity.scim.schema import GroupResource, UserResource


def _sql(condition) -> str:
    return str(condition.compile(compile_kwargs={"literal_binds": True})).lower()


def test_value_paths_parse_into_their_own_node():
    node = parse('emails[type eq "work" and value co "@bank-a"]', UserResource)
    assert isinstance(node, ValuePath) and node.attr_path.attr == "emails"


def test_column_attributes_compile_exactly_with_scim_case_rules():
    cond, exact = plan(parse('userName eq "ALICE" and externalId eq "HR-1"', UserResource), USER_ATTRS)
    assert exact
    sql = _sql(cond)
    assert "lower(identity_users.username) = 'alice'" in sql
    assert "identity_users.external_id = 'HR-1'".lower() in sql  # externalId is caseExact


def test_dates_compare_as_timestamps():
    cond, exact = plan(parse('meta.lastModified gt "2026-01-01T00:00:00Z"', UserResource), USER_ATTRS)
    assert exact and "identity_users.updated_at >" in _sql(cond)


def test_a_date_that_is_not_one_is_an_invalid_filter():
    with pytest.raises(InvalidFilter) as err:
        plan(parse('meta.lastModified gt "yesterday"', UserResource), USER_ATTRS)
    assert err.value.extra["scimType"] == "invalidFilter"


def test_attributes_outside_the_columns_leave_the_rest_to_evaluation():
    node = parse('userName sw "a" and title eq "Officer"', UserResource)
    cond, exact = plan(node, USER_ATTRS)
    assert not exact and isinstance(node, LogicalExpr) and "username" in _sql(cond)
    cond, exact = plan(parse('userName sw "a" or title eq "Officer"', UserResource), USER_ATTRS)
    assert cond is None and not exact


def test_not_counts_a_missing_attribute_as_false():
    sql = _sql(compile_node(parse('not (externalId eq "x")', UserResource), USER_ATTRS))
    assert sql.startswith("not coalesce(")


def test_group_members_compile_to_a_membership_subquery():
    for text in ('members[value eq "usr_1"]', 'members.value eq "usr_1"', "members pr"):
        cond, exact = plan(parse(text, GroupResource), GROUP_ATTRS)
        assert exact and "identity_group_members" in _sql(cond), text


def test_booleans_compare_only_with_eq_and_ne():
    with pytest.raises(InvalidFilter):
        plan(parse('active gt "x"', UserResource), USER_ATTRS)


@pytest.mark.parametrize("text", ['userName eq', 'userName like "x"', '(userName eq "a"',
                                  'userName eq "a" userName', 'not userName eq "a"', '"x" @',
                                  'userName eq "a\x00"', "userName eq " + '"x"' * 2000])
def test_malformed_filters_are_refused_with_invalid_filter(text):
    with pytest.raises(InvalidFilter) as err:
        parse(text, UserResource)
    assert err.value.status_code == 400
