"""The voiceprint as an identity factor: the identity module's ``Factor`` plug-in, answered with the
step-up token a successful voice verification (with liveness digits) returns."""

from __future__ import annotations

import secrets
from typing import Any

from bayfin.kernel.errors import AppError
from bayfin.kernel.security import JwtTokens
from bayfin.voice.service import STEP_UP_ACR


class VoiceprintFactor:
    """Factor kind ``voiceprint``: the response is a fresh voice step-up token for the same user."""

    kind = "voiceprint"

    def __init__(self, tokens: JwtTokens) -> None:
        self.tokens = tokens

    def new_secret(self) -> str:
        """No shared secret: the template lives (sealed) in the voice module; a random marker."""
        return secrets.token_hex(8)

    def enrolment(self, secret: str, account: str) -> dict[str, str]:
        """How to enrol and answer: the voice endpoints, then send the step-up token as response."""
        return {"enrol": "POST /v1/voice/voiceprint", "challenge": "POST /v1/voice/challenges",
                "verify": "POST /v1/voice/verifications",
                "response": "the step_up_token returned by a successful verification"}

    def check(self, factor: Any, response: str) -> bool:
        """True for a valid, unexpired voice step-up token of this user, used once (by issue time)."""
        try:
            claims = self.tokens.access_claims(response.strip())
        except AppError:
            return False
        issued = claims.get("iat")
        if claims.get("acr") != STEP_UP_ACR or claims.get("sub") != factor.user_id \
                or not isinstance(issued, int):
            return False
        if factor.last_used_step is not None and issued <= factor.last_used_step:
            return False  # a step-up token answers one login only
        factor.last_used_step = issued
        return True
