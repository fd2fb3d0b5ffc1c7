"""The voiceprint takeover, tried as an attacker holding only a plain ``voice`` session token: replacing
or deleting an enrolled voiceprint needs a fresh step-up and never lifts a lockout, and a step-up token
carries only the scopes asked for (so it cannot open the wallet)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bayfin.kernel.security import Principal
from tests.api.voice.test_voice_api import CHALLENGE, IMPOSTOR, OWNER, _enrol, _verify

SUBJECT = "citizen-7"


@pytest.fixture
def plain(auth_headers: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The session token an attacker got hold of: voice and wallet, no step-up."""
    monkeypatch.setattr("bayfin.voice.voiceprint.new_challenge_digits", lambda: CHALLENGE)
    return auth_headers(subject=SUBJECT, org="bank-1", org_type="institution", scopes=["voice", "wallet"])


def _token(client: TestClient, acr: str, *, age: int = 0) -> dict[str, str]:
    tokens = client.app.state.platform.tokens  # type: ignore[attr-defined]
    extra = {"iat": int(time.time()) - age} if age else None
    token = tokens.issue(Principal(subject=SUBJECT, organization_id="bank-1", organization_type="institution",
                                   scopes=frozenset({"voice", "wallet"}), acr=acr), extra=extra)
    return {"Authorization": f"Bearer {token}"}


def _lock(client: TestClient, headers: dict[str, str]) -> None:
    assert [_verify(client, headers, OWNER, say="000000").status_code for _ in range(5)] == [401] * 5
    assert _verify(client, headers, OWNER).status_code == 423


def test_a_plain_session_token_cannot_replace_a_locked_voiceprint_or_lift_the_lock(
        client: TestClient, plain: dict[str, str]) -> None:
    assert _enrol(client, plain).status_code == 201  # the first enrolment needs no step-up
    _lock(client, plain)
    takeover = _enrol(client, plain, IMPOSTOR)
    assert takeover.status_code == 403 and takeover.json()["code"] == "step_up_required"
    assert _verify(client, plain, IMPOSTOR).status_code == 423  # still locked, and still the owner's voice
    assert client.delete("/v1/voice/voiceprint", headers=plain).status_code == 403


def test_a_stale_or_single_factor_sign_in_is_not_a_step_up(client: TestClient, plain: dict[str, str]) -> None:
    _enrol(client, plain)
    for headers in (_token(client, "pwd"), _token(client, "mfa", age=600)):
        assert _enrol(client, headers, IMPOSTOR).status_code == 403
        assert client.delete("/v1/voice/voiceprint", headers=headers).status_code == 403
    assert _verify(client, plain, OWNER).status_code == 200  # the owner's voiceprint is untouched


def test_a_fresh_second_factor_re_enrols_but_the_lock_stays(client: TestClient,
                                                             plain: dict[str, str]) -> None:
    _enrol(client, plain)
    _lock(client, plain)
    mfa = _token(client, "mfa")
    assert _enrol(client, mfa).status_code == 201
    assert _verify(client, plain, OWNER).status_code == 423
    assert client.delete("/v1/voice/voiceprint", headers=mfa).status_code == 423


def test_the_old_voiceprint_is_a_step_up_for_replacing_it(client: TestClient, plain: dict[str, str]) -> None:
    _enrol(client, plain)
    answer = _verify(client, plain, OWNER)
    assert answer.status_code == 200
    stepped = {"Authorization": f"Bearer {answer.json()['step_up_token']}"}
    assert client.delete("/v1/voice/voiceprint", headers=stepped).status_code == 204


def test_a_voice_step_up_counts_from_the_verification_not_the_sign_in(client: TestClient,
                                                                        auth_headers: Any,
                                                                        plain: dict[str, str]) -> None:
    # the step-up token keeps the sign-in's auth_time (an hour ago here): the fresh voice check is what
    # replaces the voiceprint, and a plain token of the same old sign-in still cannot
    signed_in = auth_headers(subject=SUBJECT, org="bank-1", org_type="institution",
                             scopes=["voice", "wallet"], auth_time=int(time.time()) - 3600)
    assert _enrol(client, signed_in).status_code == 201
    assert _enrol(client, signed_in, IMPOSTOR).status_code == 403
    answer = _verify(client, signed_in, OWNER)
    assert answer.status_code == 200
    stepped = {"Authorization": f"Bearer {answer.json()['step_up_token']}"}
    assert _enrol(client, stepped).status_code == 201


def test_a_step_up_token_carries_only_the_scopes_asked_for(client: TestClient, plain: dict[str, str],
                                                          auth_headers: Any) -> None:
    _enrol(client, plain)
    platform = client.app.state.platform  # type: ignore[attr-defined]
    default = _verify(client, plain, OWNER)
    assert platform.tokens.verify(default.json()["step_up_token"]).scopes == frozenset({"voice"})
    activation = client.post("/v1/wallet/tokens/tok_x/activate",
                             headers={"Authorization": f"Bearer {default.json()['step_up_token']}"})
    assert activation.status_code == 403  # the wallet wants its own scope, which was not asked for
    challenge = client.post("/v1/voice/challenges", headers=plain, json={}).json()
    from tests.speech import digits_text, espeak

    spoken = espeak(digits_text(challenge["digits"]), *OWNER)
    asked = client.post("/v1/voice/verifications", headers=plain,
                        data={"challenge_id": challenge["challenge_id"], "scope": "wallet"},
                        files={"recording": ("d.wav", spoken, "audio/wav")})
    assert asked.status_code == 200
    assert platform.tokens.verify(asked.json()["step_up_token"]).scopes == frozenset({"wallet"})
    voice_only = auth_headers(subject=SUBJECT, org="bank-1", org_type="institution", scopes=["voice"])
    challenge = client.post("/v1/voice/challenges", headers=voice_only, json={}).json()
    beyond = client.post("/v1/voice/verifications", headers=voice_only,
                         data={"challenge_id": challenge["challenge_id"], "scope": "voice wallet"},
                         files={"recording": ("d.wav", spoken, "audio/wav")})
    assert beyond.status_code == 422 and "step_up_token" not in beyond.text
