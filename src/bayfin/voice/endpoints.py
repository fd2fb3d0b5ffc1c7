"""HTTP API of the voice module: voiceprint enrolment, liveness challenges, verification (step-up),
template deletion, and assistant turns from text or an audio upload."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, Field

from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Session, require
from bayfin.api.problems import problem_schema
from bayfin.kernel.errors import AppError
from bayfin.kernel.fields import Line, Text
from bayfin.kernel.security import Principal
from bayfin.voice.audio import MAX_SECONDS
from bayfin.voice.dialogue import Reply
from bayfin.voice.service import FRESH_STEP_UP_ACRS, STEP_UP_ACR, STEP_UP_TTL_SECONDS, VoiceService
from bayfin.voice.wiring import voice_service

router = APIRouter(prefix="/v1/voice", tags=["voice"])

User = Annotated[Principal, Depends(require(scopes=("voice",)))]
MAX_UPLOAD = 16_000 * 4 * 2 * MAX_SECONDS  # generous: 32-bit stereo at 16 kHz

_Responses = dict[int | str, dict[str, Any]]
_AUTH: _Responses = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
_BAD_AUDIO: _Responses = {422: problem_schema("Unreadable, too short, clipped or noisy audio, or bad input")}
_NOT_ENROLLED: _Responses = {404: problem_schema("No voiceprint is enrolled")}


def _service(platform: PlatformDep) -> VoiceService:
    return voice_service(platform)


Voice = Annotated[VoiceService, Depends(_service)]


def _freshly_stepped_up(request: Request, platform: PlatformDep, user: User) -> bool:
    """True if the caller's token shows a password-and-second-factor sign-in, or a voiceprint
    verification, within the step-up lifetime. A sign-in counts from ``auth_time`` (else ``iat``); a
    voiceprint token from ``iat``, when the verification minted it (it keeps the sign-in's
    ``auth_time``, which says nothing about the voice check)."""
    if user.acr not in FRESH_STEP_UP_ACRS:
        return False
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    try:
        claims = platform.tokens.access_claims(token)
    except AppError:
        return False
    at = claims.get("iat") if user.acr == STEP_UP_ACR else claims.get("auth_time", claims.get("iat"))
    return isinstance(at, int) and platform.clock.now().timestamp() - at <= STEP_UP_TTL_SECONDS


SteppedUp = Annotated[bool, Depends(_freshly_stepped_up)]


async def _read(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        from bayfin.voice.audio import BadAudio

        raise BadAudio("the upload is too large", reason="too_large")
    return data


class EnrolmentOut(BaseModel):
    """The stored voiceprint (the template itself never leaves the server)."""

    subject: str
    utterances: int
    embedder: str
    enrolled_at: datetime


class ChallengeIn(BaseModel):
    """Which assurance level the coming verification is for."""

    level: Literal["login", "high"] = "login"


class ChallengeOut(BaseModel):
    """The digits to read aloud, and the prompt to show or speak."""

    challenge_id: str
    digits: str
    level: str
    expires_at: datetime
    prompt: str


class VerificationOut(BaseModel):
    """An accepted verification and the short-lived step-up token (acr ``voiceprint``)."""

    accepted: bool
    level: str
    score: float
    threshold: float
    digits_heard: str
    step_up_token: str


class TurnIn(BaseModel):
    """What the user typed, or what the phone's own recogniser heard (Chinese arrives this way)."""

    text: Text = Field(min_length=1, max_length=500)


class TurnOut(BaseModel):
    """The assistant's reply: short plain sentences for a screen reader, spoken slowly."""

    text: str
    language: str
    action: str
    intent: str | None
    deep_link: str | None
    slots: dict[str, Any]
    choices: list[str]
    expects: str | None
    speech_rate: float = Field(description="Suggested text-to-speech rate (1.0 = normal)")
    transcript: str | None = None


def _turn(reply: Reply, transcript: str | None = None) -> TurnOut:
    return TurnOut(text=reply.text, language=reply.language, action=reply.action, intent=reply.intent,
                   deep_link=reply.deep_link, slots=reply.slots, choices=reply.choices,
                   expects=reply.expects, speech_rate=0.8, transcript=transcript)


@router.post("/voiceprint", response_model=EnrolmentOut, status_code=201,
             responses={**_AUTH, **_BAD_AUDIO})
async def enrol(session: Session, user: User, voice: Voice, stepped_up: SteppedUp,
                recordings: Annotated[list[UploadFile], File(description="3 or more WAV recordings")]
                ) -> EnrolmentOut:
    """Enrol the caller's voiceprint from several recordings. Replacing an enrolled one needs a fresh
    step-up (a token with acr ``mfa`` or ``voiceprint`` under 5 minutes old) and keeps any lockout."""
    row = voice.enrol(session, user, [await _read(r) for r in recordings], stepped_up=stepped_up)
    return EnrolmentOut(subject=row.subject, utterances=row.utterances, embedder=row.embedder,
                        enrolled_at=row.updated_at)


@router.delete("/voiceprint", status_code=204,
               responses={**_AUTH, **_NOT_ENROLLED, 423: problem_schema("Locked after repeated failures")})
def delete_voiceprint(session: Session, user: User, voice: Voice, stepped_up: SteppedUp) -> Response:
    """Erase the caller's voiceprint template (needs a fresh step-up; not while locked)."""
    voice.delete(session, user, stepped_up=stepped_up)
    return Response(status_code=204)


@router.post("/challenges", response_model=ChallengeOut, status_code=201,
             responses={**_AUTH, **_NOT_ENROLLED, **_BAD_AUDIO})
def new_challenge(session: Session, user: User, voice: Voice, body: ChallengeIn) -> ChallengeOut:
    """A random digit sequence to read aloud for the next verification (liveness against replay)."""
    row = voice.challenge(session, user, body.level)
    spaced = " ".join(row.digits)
    return ChallengeOut(challenge_id=row.id, digits=row.digits, level=row.level,
                        expires_at=row.expires_at, prompt=f"Please read these digits slowly: {spaced}.")


@router.post("/verifications", response_model=VerificationOut,
             responses={**_AUTH, **_NOT_ENROLLED, **_BAD_AUDIO,
                        401: problem_schema("Voice or digits did not match (or no token)"),
                        409: problem_schema("Challenge unknown, used or expired"),
                        423: problem_schema("Locked after repeated failures")})
async def verify(session: Session, user: User, voice: Voice,
                 challenge_id: Annotated[Text, Form(max_length=40)],
                 recording: Annotated[UploadFile, File(description="WAV of the digits read aloud")],
                 scope: Annotated[Line, Form(max_length=500, description="Scopes the step-up token is for, "
                                            "space-separated, each held by your token")] = "voice",
                 ) -> VerificationOut:
    """Verify the caller's voice and spoken digits; on success return a step-up token carrying only the
    scopes asked for."""
    result = voice.verify(session, user, challenge_id, await _read(recording), frozenset(scope.split()))
    return VerificationOut(accepted=True, level=result.level, score=round(result.score, 4),
                           threshold=result.threshold, digits_heard=result.digits_heard,
                           step_up_token=result.step_up_token)


@router.post("/assistant/turns", response_model=TurnOut, responses={**_AUTH, **_BAD_AUDIO})
def assistant_text(session: Session, user: User, voice: Voice, body: TurnIn) -> TurnOut:
    """One assistant turn from text (Chinese or English)."""
    return _turn(voice.assistant_turn(session, user, body.text))


@router.post("/assistant/turns/audio", response_model=TurnOut, responses={**_AUTH, **_BAD_AUDIO})
async def assistant_audio(session: Session, user: User, voice: Voice,
                          recording: Annotated[UploadFile, File(description="WAV, English command")]
                          ) -> TurnOut:
    """One assistant turn from an English spoken command."""
    transcript, reply = voice.assistant_audio(session, user, await _read(recording))
    return _turn(reply, transcript)
