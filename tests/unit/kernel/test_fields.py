"""The shared request text types: ``Text`` refuses only NUL, ``Line`` every control character."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from bayfin.identity.core.schemas import UserIn
from bayfin.kernel.fields import Line, Text


@pytest.mark.parametrize("bad", ["a\x00b", "a\tb", "two\nlines", "\x1b[31mred", "del\x7f", "c1\x85"])
def test_a_line_refuses_every_control_character(bad):
    with pytest.raises(ValidationError):
        TypeAdapter(Line).validate_python(bad)


def test_text_keeps_newlines_and_tabs_but_refuses_nul():
    assert TypeAdapter(Text).validate_python("a note\n\twith lines") == "a note\n\twith lines"
    with pytest.raises(ValidationError):
        TypeAdapter(Text).validate_python("a\x00b")


def test_an_identity_body_refuses_a_control_character_and_an_unbounded_reference():
    assert UserIn(username="ana", display_name="Ana Lima", organization="BANK-A").username == "ana"
    with pytest.raises(ValidationError):
        UserIn(username="ana", display_name="Ana\x1b[2J")
    with pytest.raises(ValidationError):
        UserIn(username="ana", display_name="Ana", organization="x" * 201)
