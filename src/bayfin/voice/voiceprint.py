"""Voiceprint rules: template from several utterances, cosine scoring, per-level thresholds, lockout,
digit challenges, and AES-GCM encryption of templates at rest."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_ENROL_UTTERANCES = 3
MIN_SPEECH_SECONDS = 1.0
#: Cosine thresholds per assurance level, chosen from the espeak-ng evaluation in docs/models.md:
#: "login" at the equal-error point, "high" (withdrawals, transfers) trading more rejects for fewer
#: false accepts.
THRESHOLDS = {"login": 0.88, "high": 0.90}
#: Every enrolment recording must score this close to the template (one speaker, not a mix).
ENROL_CONSISTENCY = 0.80
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
CHALLENGE_DIGITS = 6
CHALLENGE_TTL = timedelta(minutes=2)
#: Free digit recognition may differ from the challenge by this many edits (it drops or inserts digits
#: on synthetic speech); the forced alignment to the exact sequence must succeed as well.
MAX_DIGIT_EDITS = 3


def template_from(embeddings: list[np.ndarray]) -> np.ndarray:
    """The enrolled template: mean of the utterance embeddings, L2-normalised."""
    mean = np.mean(np.stack(embeddings), axis=0)
    return np.asarray(mean / (np.linalg.norm(mean) + 1e-12), dtype=np.float32)


def consistency(embeddings: list[np.ndarray]) -> float:
    """Lowest cosine between any enrolment utterance and the template (a mixed-speaker check)."""
    template = template_from(embeddings)
    return float(min(float(e @ template) for e in embeddings))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings."""
    return float(a @ b / ((np.linalg.norm(a) * np.linalg.norm(b)) + 1e-12))


def threshold(level: str) -> float:
    """The acceptance threshold of an assurance level ('login' or 'high')."""
    return THRESHOLDS[level]


def new_challenge_digits() -> str:
    """A random digit sequence for the liveness check (from the OS's CSPRNG)."""
    return "".join(secrets.choice("0123456789") for _ in range(CHALLENGE_DIGITS))


@dataclass(frozen=True)
class Lockout:
    """Counting failures: locked once MAX_FAILURES accumulate, until the lockout period passes."""

    failures: int
    locked_until: datetime | None

    def is_locked(self, now: datetime) -> bool:
        """True while the lockout lasts."""
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime) -> Lockout:
        """The state after one more failed attempt."""
        failures = self.failures + 1
        return Lockout(0, now + LOCKOUT) if failures >= MAX_FAILURES else Lockout(failures, None)


class TemplateCipher:
    """AES-256-GCM with a per-template random nonce; the user id is bound as associated data so a
    template copied onto another user's row does not decrypt."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_secret(cls, secret: bytes) -> TemplateCipher:
        """Derive the template key from a settings secret with HKDF-SHA256."""
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"bayfin-voice",
                   info=b"voiceprint-templates").derive(secret)
        return cls(key)

    def seal(self, template: np.ndarray, subject: str) -> bytes:
        """nonce || ciphertext of the float32 template."""
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, template.astype(np.float32).tobytes(), subject.encode())

    def open(self, sealed: bytes, subject: str) -> np.ndarray:
        """The template back from :meth:`seal` (raises InvalidTag when tampered or misattributed)."""
        plain = self._aead.decrypt(sealed[:12], sealed[12:], subject.encode())
        return np.frombuffer(plain, dtype=np.float32).copy()
