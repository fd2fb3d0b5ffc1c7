"""Voice use cases: enrol, verify with liveness digits, delete the template, assistant turns."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import AppError, Conflict, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.security import JwtTokens, Principal
from bayfin.voice import repository, voiceprint
from bayfin.voice.asr import Recognizer, digits_match
from bayfin.voice.audio import check_quality, decode_wav
from bayfin.voice.dialogue import Dialogue, DialogueState, Reply
from bayfin.voice.embedder import SpeakerEmbedder
from bayfin.voice.models import AssistantDialogue, VoiceChallenge, VoiceTemplate

#: The acr a voice-verified step-up token carries; the anti-fraud CHALLENGE is met by it.
STEP_UP_ACR = "voiceprint"
STEP_UP_TTL_SECONDS = 300
#: What replacing or erasing an enrolled voiceprint needs: a sign-in with password and a second factor,
#: or the old voiceprint itself, no older than the step-up lifetime.
FRESH_STEP_UP_ACRS = frozenset({"mfa", STEP_UP_ACR})


class StepUpRequired(AppError):
    """The caller must prove again who they are (password and second factor, or the old voiceprint)."""

    status_code = 403
    code = "step_up_required"
    title = "Fresh step-up required"
    persist_on_raise = True  # the refused attempt stays in the audit log (nothing else is written first)


class Locked(AppError):
    """Too many failed voice verifications: the voiceprint factor is locked for a while."""

    status_code = 423
    code = "voiceprint_locked"
    title = "Voiceprint locked"


class VerificationRefused(AppError):
    """The voice or the spoken digits did not match; the failure is counted (and kept on rollback)."""

    status_code = 401
    code = "voiceprint_rejected"
    title = "Voice verification failed"
    persist_on_raise = True


@dataclass(frozen=True)
class Verification:
    """The outcome of one accepted verification."""

    score: float
    threshold: float
    level: str
    digits_heard: str
    step_up_token: str


class VoiceService:
    """The voiceprint factor and the assistant, over injected embedder, recogniser and cipher."""

    def __init__(self, audit: AuditLog, clock: Clock, tokens: JwtTokens, embedder: SpeakerEmbedder,
                 recognizer: Recognizer, cipher: voiceprint.TemplateCipher, dialogue: Dialogue) -> None:
        self.audit, self.clock, self.tokens = audit, clock, tokens
        self.embedder, self.recognizer, self.cipher, self.dialogue = embedder, recognizer, cipher, dialogue

    def _audit(self, session: Session, who: Principal, action: str, outcome: str = "ok",
               **details: Any) -> None:
        self.audit.record(session, actor=who.subject, actor_org=who.organization_id,
                          action=f"voice.{action}", subject_type="person", subject_id=who.subject,
                          outcome=outcome, purpose="authentication" if action != "assistant" else
                          "voice banking assistant", details=details)

    def _speech(self, data: bytes) -> np.ndarray:
        samples = decode_wav(data)
        check_quality(samples, voiceprint.MIN_SPEECH_SECONDS)
        return samples

    def _require_step_up(self, session: Session, who: Principal, stepped_up: bool, action: str) -> None:
        if not stepped_up:
            self._audit(session, who, action, "refused", reason="step_up_required")
            raise StepUpRequired(f"to {action} an enrolled voiceprint, sign in again with password and a "
                                 "second factor, or verify with the old voiceprint",
                                 acr_values=sorted(FRESH_STEP_UP_ACRS), max_age=STEP_UP_TTL_SECONDS)

    def enrol(self, session: Session, who: Principal, recordings: list[bytes], *,
              stepped_up: bool = False) -> VoiceTemplate:
        """Build and store (sealed) the user's template from several good recordings. Replacing an
        enrolled one needs a fresh step-up (``stepped_up``) and keeps its failure count and lockout."""
        existing = repository.template(session, who.subject)
        if existing is not None:
            self._require_step_up(session, who, stepped_up, "replace")
        if len(recordings) < voiceprint.MIN_ENROL_UTTERANCES:
            raise ValidationFailed(f"enrolment needs {voiceprint.MIN_ENROL_UTTERANCES} recordings",
                                   received=len(recordings))
        embeddings = [self.embedder.embed(self._speech(r)) for r in recordings]
        if voiceprint.consistency(embeddings) < voiceprint.ENROL_CONSISTENCY:
            raise ValidationFailed("the recordings do not sound like one speaker", reason="inconsistent")
        now = self.clock.now()
        row = existing
        sealed = self.cipher.seal(voiceprint.template_from(embeddings), who.subject)
        if row is None:
            row = VoiceTemplate(subject=who.subject, created_at=now, failures=0, locked_until=None)
        # the failure count and any lockout stay: a new voice must not be a way out of a lock
        row.organization, row.sealed, row.embedder = who.organization_id, sealed, self.embedder.name
        row.utterances, row.updated_at = len(recordings), now
        repository.save(session, row)
        self._audit(session, who, "enrol", utterances=len(recordings))
        return row

    def delete(self, session: Session, who: Principal, *, stepped_up: bool = False) -> None:
        """Erase the user's template and challenges: needs a fresh step-up, and not while locked (a
        deleted template would take its lockout with it)."""
        template = repository.template(session, who.subject)
        if template is None:
            raise NotFound("no voiceprint is enrolled")
        self._require_step_up(session, who, stepped_up, "delete")
        lock = voiceprint.Lockout(template.failures, template.locked_until)
        if lock.is_locked(self.clock.now()):
            raise Locked("the voiceprint is locked after failed attempts; delete it once the lock ends",
                         locked_until=lock.locked_until.isoformat() if lock.locked_until else None)
        repository.delete_template(session, who.subject)
        self._audit(session, who, "delete")

    def challenge(self, session: Session, who: Principal, level: str) -> VoiceChallenge:
        """A fresh random digit sequence for the user to read aloud."""
        if level not in voiceprint.THRESHOLDS:
            raise ValidationFailed("unknown assurance level", allowed=sorted(voiceprint.THRESHOLDS))
        if repository.template(session, who.subject) is None:
            raise NotFound("no voiceprint is enrolled")
        row = VoiceChallenge(id=new_id("vch"), subject=who.subject, level=level,
                             digits=voiceprint.new_challenge_digits(),
                             expires_at=self.clock.now() + voiceprint.CHALLENGE_TTL)
        repository.save(session, row)
        return row

    def verify(self, session: Session, who: Principal, challenge_id: str, recording: bytes,
               scopes: frozenset[str] | None = None) -> Verification:
        """Check the voice against the template and the spoken digits against the challenge. The step-up
        token carries only ``scopes`` (each one the caller's token already has; default ``voice``)."""
        asked = scopes or frozenset({"voice"})
        beyond = sorted(asked - who.scopes)
        if beyond:
            raise ValidationFailed("a step-up token carries only scopes your token already has",
                                   scopes=beyond)
        now = self.clock.now()
        template = repository.template(session, who.subject)
        if template is None:
            raise NotFound("no voiceprint is enrolled")
        lock = voiceprint.Lockout(template.failures, template.locked_until)
        if lock.is_locked(now):
            raise Locked("too many failed attempts; try again later",
                         locked_until=lock.locked_until.isoformat() if lock.locked_until else None)
        challenge = repository.challenge(session, challenge_id, who.subject)
        if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
            raise Conflict("the challenge is unknown, used or expired; ask for a new one")
        challenge.used_at = now
        samples = self._speech(recording)
        score = voiceprint.cosine(self.embedder.embed(samples),
                                  self.cipher.open(template.sealed, who.subject))
        digits_ok, heard = digits_match(self.recognizer, samples, challenge.digits,
                                        voiceprint.MAX_DIGIT_EDITS)
        limit = voiceprint.threshold(challenge.level)
        if score < limit or not digits_ok:
            after = lock.after_failure(now)
            template.failures, template.locked_until = after.failures, after.locked_until
            reason = "voice_mismatch" if score < limit else "wrong_digits"
            self._audit(session, who, "verify", "refused", level=challenge.level, reason=reason)
            raise VerificationRefused("the voice check failed", reason=reason,
                                      locked=after.locked_until is not None)
        template.failures, template.locked_until = 0, None
        self._audit(session, who, "verify", level=challenge.level)
        # amr gains "voiceprint"; auth_time stays the sign-in's, so a voice check never makes a
        # login "fresh" for what needs one (enrolling a second factor). The token carries only the
        # scopes asked for.
        token = self.tokens.issue(dataclasses.replace(who, acr=STEP_UP_ACR, token_id=None, scopes=asked,
                                                      amr=tuple(sorted({*who.amr, STEP_UP_ACR}))),
                                 ttl_seconds=STEP_UP_TTL_SECONDS)
        return Verification(score=score, threshold=limit, level=challenge.level, digits_heard=heard,
                            step_up_token=token)

    def assistant_turn(self, session: Session, who: Principal, text: str) -> Reply:
        """One assistant turn from text; the dialogue state is kept per user."""
        row = repository.dialogue(session, who.subject)
        reply, state = self.dialogue.turn(text, DialogueState.from_json(row.state if row else None))
        if row is None:
            row = AssistantDialogue(subject=who.subject, state={}, updated_at=self.clock.now())
        row.state, row.updated_at = state.to_json(), self.clock.now()
        repository.save(session, row)
        self._audit(session, who, "assistant", intent=reply.intent, reply=reply.action)
        return reply

    def assistant_audio(self, session: Session, who: Principal, recording: bytes) -> tuple[str, Reply]:
        """One assistant turn from English speech: transcribe under the command grammar, then as text."""
        samples = decode_wav(recording)
        check_quality(samples, 0.3)
        row = repository.dialogue(session, who.subject)
        awaiting = row.state.get("awaiting") if row else None
        # Answers to a confirmation are free speech ("yes", "cancel"); the grammar covers them too.
        transcript = self.recognizer.transcribe(samples, "commands")
        if not transcript:
            raise ValidationFailed("no command was recognised in the recording", reason="not_understood",
                                   awaiting=awaiting)
        return transcript, self.assistant_turn(session, who, transcript)
