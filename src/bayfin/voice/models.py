"""Tables of the voice module: encrypted voiceprint templates, liveness challenges, assistant dialogues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime


class VoiceTemplate(Base):
    """One user's enrolled voiceprint (声纹模板), AES-GCM sealed, with its failure count and lockout."""

    __tablename__ = "voice_templates"

    subject: Mapped[str] = mapped_column(String(120), primary_key=True)
    organization: Mapped[str | None] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    embedder: Mapped[str] = mapped_column(String(80))
    utterances: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VoiceChallenge(Base):
    """A digit sequence the server chose for one liveness check; usable once before it expires."""

    __tablename__ = "voice_challenges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(120), index=True)
    digits: Mapped[str] = mapped_column(String(12))
    level: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AssistantDialogue(Base):
    """The assistant's pending question for one user (awaiting confirmation, a choice or a slot)."""

    __tablename__ = "voice_dialogues"

    subject: Mapped[str] = mapped_column(String(120), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
