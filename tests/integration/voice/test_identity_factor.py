"""The voiceprint plugs into the identity module's factor registry and answers with step-up tokens."""

from __future__ import annotations

from types import SimpleNamespace

from bayfin.identity import IDENTITY
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal


def test_the_identity_module_offers_the_voiceprint_factor(platform: Platform) -> None:
    assert "voiceprint" in platform.service(IDENTITY).authenticator.factors.kinds


def test_a_step_up_token_answers_the_factor_once_and_only_for_its_user(platform: Platform) -> None:
    factor = platform.service(IDENTITY).authenticator.factors.get("voiceprint")
    row = SimpleNamespace(user_id="usr-1", last_used_step=None)
    stepped = platform.tokens.issue(Principal(subject="usr-1", acr="voiceprint"))
    plain = platform.tokens.issue(Principal(subject="usr-1", acr="pwd"))
    other = platform.tokens.issue(Principal(subject="usr-2", acr="voiceprint"))
    assert not factor.check(row, plain)
    assert not factor.check(row, other)
    assert not factor.check(row, "garbage")
    assert factor.check(row, stepped)
    assert not factor.check(row, stepped)  # replayed
