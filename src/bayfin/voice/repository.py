"""Every query of the voice module."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bayfin.voice.models import AssistantDialogue, VoiceChallenge, VoiceTemplate


def save(session: Session, row: VoiceTemplate | VoiceChallenge | AssistantDialogue) -> None:
    """Store a new or changed template, challenge or dialogue state (flushed, so it is visible to
    the rest of the transaction)."""
    session.add(row)
    session.flush()


def template(session: Session, subject: str) -> VoiceTemplate | None:
    """The user's enrolled template, if any."""
    return session.get(VoiceTemplate, subject)


def delete_template(session: Session, subject: str) -> bool:
    """Remove the user's template and open challenges; True if a template existed."""
    existed = session.get(VoiceTemplate, subject) is not None
    session.execute(delete(VoiceTemplate).where(VoiceTemplate.subject == subject))
    session.execute(delete(VoiceChallenge).where(VoiceChallenge.subject == subject))
    return existed


def challenge(session: Session, challenge_id: str, subject: str) -> VoiceChallenge | None:
    """One of the user's challenges by id (another user's id is not found)."""
    row = session.execute(select(VoiceChallenge).where(VoiceChallenge.id == challenge_id,
                                                       VoiceChallenge.subject == subject))
    return row.scalar_one_or_none()


def dialogue(session: Session, subject: str) -> AssistantDialogue | None:
    """The user's stored dialogue state."""
    return session.get(AssistantDialogue, subject)
