import pytest

from bayfin.identity.scim_filter import Compare, InvalidFilter, Logical, Not, parse_filter


def test_a_simple_equality_parses_with_its_string_value():
    assert parse_filter('userName eq "Alice"') == Compare("userName", "eq", "Alice")


def test_and_binds_tighter_than_or():
    node = parse_filter('a eq 1 or b eq 2 and c pr')
    expected = Logical("and", Compare("b", "eq", 2), Compare("c", "pr"))
    assert node == Logical("or", Compare("a", "eq", 1), expected)


def test_not_and_parentheses_and_booleans():
    node = parse_filter('not (active eq false) and (emails.value co "@bank" or externalId sw "hr-")')
    assert isinstance(node, Logical) and isinstance(node.left, Not)
    assert node.left.inner == Compare("active", "eq", False)


def test_escaped_quotes_survive():
    assert parse_filter(r'displayName eq "say \"hi\""').value == 'say "hi"'


@pytest.mark.parametrize("text", ['userName eq', 'userName like "x"', '(a eq 1', 'a eq 1 b',
                                  'not a eq 1', '"x" @'])
def test_malformed_filters_are_refused(text):
    with pytest.raises(InvalidFilter):
        parse_filter(text)
