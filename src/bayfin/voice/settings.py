"""The voice module's settings (``BAYFIN_VOICE_*``), validated once at start-up and passed explicitly."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["VoiceSettings"]


class VoiceSettings(BaseSettings):
    """Voice knobs (``BAYFIN_VOICE_*``)."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_VOICE_", env_file=None, extra="ignore")

    template_key: SecretStr = Field(default=SecretStr(""), description="Secret the voiceprint templates are "
                                    "encrypted under (AES-GCM, key derived by HKDF); empty: derived from "
                                    "the audit key.")
    corpus_per_intent: int = Field(default=120, ge=1, description="Generated training phrases per intent "
                                   "for the assistant's intent classifier (tests use fewer).")
