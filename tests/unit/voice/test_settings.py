"""The voice section (``BAYFIN_VOICE_*``): read once at start-up, the template key kept secret, a bad
value refusing to start with the variable named."""

from __future__ import annotations

import pytest

from bayfin.bootstrap import SettingsInvalid, load_settings
from bayfin.voice.settings import VoiceSettings


def test_defaults_derive_the_template_key_from_the_audit_key_and_train_on_120_phrases(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAYFIN_VOICE_TEMPLATE_KEY", raising=False)
    monkeypatch.delenv("BAYFIN_VOICE_CORPUS_PER_INTENT", raising=False)
    settings = VoiceSettings()
    assert settings.template_key.get_secret_value() == "" and settings.corpus_per_intent == 120


def test_the_template_key_is_read_from_the_environment_and_never_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAYFIN_VOICE_TEMPLATE_KEY", "voice-secret-91")
    settings = VoiceSettings()
    assert settings.template_key.get_secret_value() == "voice-secret-91"
    assert "voice-secret-91" not in repr(settings)


@pytest.mark.parametrize("value", ["many", "0"])
def test_a_bad_corpus_size_refuses_to_start_naming_the_variable(monkeypatch: pytest.MonkeyPatch,
                                                                value: str) -> None:
    monkeypatch.setenv("BAYFIN_VOICE_CORPUS_PER_INTENT", value)
    with pytest.raises(SettingsInvalid, match="BAYFIN_VOICE_CORPUS_PER_INTENT"):
        load_settings()
