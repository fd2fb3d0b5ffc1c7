"""The voice API end to end with real speech (espeak-ng): enrol, challenge, verify, lock, delete, and
the assistant from text and from English audio."""

from __future__ import annotations

import os
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.speech import digits_text, espeak

os.environ.setdefault("BAYFIN_VOICE_CORPUS_PER_INTENT", "16")

OWNER = ("en+f2", 60, 120)
IMPOSTOR = ("en+m1", 40, 120)
ENROL_TEXTS = ["my voice is my password", digits_text("4071"), digits_text("958362")]
#: A fixed challenge keeps the test deterministic (the service draws it from secrets otherwise).
CHALLENGE = "273915"


@pytest.fixture
def user(auth_headers: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setattr("bayfin.voice.voiceprint.new_challenge_digits", lambda: CHALLENGE)
    return auth_headers(subject="citizen-7", org="bank-1", org_type="institution", scopes=["voice"])


def _enrol(client: TestClient, headers: dict[str, str], voice: tuple[str, int, int] = OWNER) -> Any:
    files = [("recordings", (f"u{i}.wav", espeak(t, *voice), "audio/wav")) for i, t in enumerate(ENROL_TEXTS)]
    return client.post("/v1/voice/voiceprint", headers=headers, files=files)


def _verify(client: TestClient, headers: dict[str, str], voice: tuple[str, int, int],
            level: str = "login", say: str | None = None) -> Any:
    challenge = client.post("/v1/voice/challenges", headers=headers, json={"level": level}).json()
    spoken = espeak(digits_text(say or challenge["digits"]), *voice)
    return client.post("/v1/voice/verifications", headers=headers,
                       data={"challenge_id": challenge["challenge_id"]},
                       files={"recording": ("digits.wav", spoken, "audio/wav")})


def test_the_owner_reading_the_challenge_digits_is_verified_and_gets_a_step_up_token(
        client: TestClient, user: dict[str, str]) -> None:
    assert _enrol(client, user).status_code == 201
    answer = _verify(client, user, OWNER, level="high")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["accepted"] and body["score"] >= body["threshold"]
    stepped = client.app.state.platform.tokens.verify(body["step_up_token"])  # type: ignore[attr-defined]
    assert stepped.acr == "voiceprint" and stepped.subject == "citizen-7"
    assert "voiceprint" in stepped.amr


def test_another_voice_reading_the_right_digits_is_refused(client: TestClient, user: dict[str, str]) -> None:
    _enrol(client, user)
    answer = _verify(client, user, IMPOSTOR)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["reason"] == "voice_mismatch"


def test_a_replayed_recording_of_other_digits_is_refused(client: TestClient, user: dict[str, str]) -> None:
    _enrol(client, user)
    answer = _verify(client, user, OWNER, say="516284")
    assert answer.status_code == 401
    assert answer.json()["reason"] == "wrong_digits"


def test_five_failures_lock_the_voiceprint(client: TestClient, user: dict[str, str]) -> None:
    _enrol(client, user)
    statuses = [_verify(client, user, OWNER, say="000000").status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert _verify(client, user, OWNER).status_code == 423


def test_a_challenge_cannot_be_used_twice(client: TestClient, user: dict[str, str]) -> None:
    _enrol(client, user)
    challenge = client.post("/v1/voice/challenges", headers=user, json={}).json()
    spoken = espeak(digits_text(challenge["digits"]), *OWNER)
    for expected in (200, 409):
        answer = client.post("/v1/voice/verifications", headers=user,
                             data={"challenge_id": challenge["challenge_id"]},
                             files={"recording": ("d.wav", spoken, "audio/wav")})
        assert answer.status_code == expected


def test_the_user_can_delete_the_voiceprint(client: TestClient, user: dict[str, str]) -> None:
    _enrol(client, user)
    assert client.delete("/v1/voice/voiceprint", headers=user).status_code == 403  # needs a step-up
    stepped = {"Authorization": f"Bearer {_verify(client, user, OWNER).json()['step_up_token']}"}
    assert client.delete("/v1/voice/voiceprint", headers=stepped).status_code == 204
    assert client.post("/v1/voice/challenges", headers=user, json={}).status_code == 404
    assert client.delete("/v1/voice/voiceprint", headers=stepped).status_code == 404


def test_bad_audio_is_a_problem_not_a_crash(client: TestClient, user: dict[str, str]) -> None:
    files = [("recordings", ("x.wav", b"not a wav at all", "audio/wav"))] * 3
    answer = client.post("/v1/voice/voiceprint", headers=user, files=files)
    assert answer.status_code == 422
    assert answer.json()["code"] == "bad_audio"


def test_too_few_recordings_are_refused(client: TestClient, user: dict[str, str]) -> None:
    files = [("recordings", ("a.wav", espeak("my voice is my password", *OWNER), "audio/wav"))]
    assert client.post("/v1/voice/voiceprint", headers=user, files=files).status_code == 422


def test_voice_endpoints_need_a_token_with_the_voice_scope(client: TestClient, auth_headers: Any) -> None:
    assert client.post("/v1/voice/assistant/turns", json={"text": "查余额"}).status_code == 401
    other = auth_headers(subject="citizen-7", scopes=["sscard:self"])
    assert client.post("/v1/voice/assistant/turns", headers=other, json={"text": "查余额"}).status_code == 403


def test_money_moves_only_after_a_spoken_confirmation(client: TestClient, user: dict[str, str]) -> None:
    first = client.post("/v1/voice/assistant/turns", headers=user, json={"text": "给张三转账500元"}).json()
    assert first["action"] == "confirm" and first["intent"] == "transfer.to_person"
    assert first["slots"] == {"amount": 50000, "payee": "张三"}
    again = client.post("/v1/voice/assistant/turns", headers=user, json={"text": "再说一遍"}).json()
    assert again["text"] == first["text"]
    done = client.post("/v1/voice/assistant/turns", headers=user, json={"text": "确认"}).json()
    assert done["action"] == "execute" and done["deep_link"] == "bayfin://app/transfer/to_person"


def test_an_english_spoken_command_opens_the_function(client: TestClient, user: dict[str, str]) -> None:
    audio = espeak("check balance", "en+f2", 50, 110)
    answer = client.post("/v1/voice/assistant/turns/audio", headers=user,
                         files={"recording": ("cmd.wav", audio, "audio/wav")})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["transcript"] == "check balance"
    assert body["intent"] == "account.balance" and body["action"] == "navigate"
