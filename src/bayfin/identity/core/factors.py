"""Second factors behind one plug-in interface: TOTP now, the voiceprint factor later."""

from __future__ import annotations

import time
from typing import Protocol

import pyotp

from bayfin.identity.core.models import MfaFactor


class Factor(Protocol):
    """A kind of second factor: enrol (returns what the user needs) and check one response."""

    kind: str

    def new_secret(self) -> str: ...

    def enrolment(self, secret: str, account: str) -> dict[str, str]: ...

    def check(self, factor: MfaFactor, response: str) -> bool: ...


class TotpFactor:
    """RFC 6238 time-based one-time codes (30 s steps, one step of drift, no replay)."""

    kind = "totp"

    def __init__(self, issuer_name: str = "bayfin") -> None:
        self.issuer_name = issuer_name

    def new_secret(self) -> str:
        """A fresh base32 secret."""
        return pyotp.random_base32()

    def enrolment(self, secret: str, account: str) -> dict[str, str]:
        """The secret and the otpauth:// URI an authenticator app scans."""
        uri = pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=self.issuer_name)
        return {"secret": secret, "otpauth_uri": uri}

    def check(self, factor: MfaFactor, response: str) -> bool:
        """True for a current code not used before; remembers its time step to refuse replays."""
        code = response.strip().replace(" ", "")
        if not code.isdigit() or len(code) != 6:
            return False
        totp = pyotp.TOTP(factor.secret)
        now = time.time()
        for drift in (0, -1, 1):
            step = int(now // totp.interval) + drift
            if totp.at(step * totp.interval) == code:
                if factor.last_used_step is not None and step <= factor.last_used_step:
                    return False
                factor.last_used_step = step
                return True
        return False


class FactorRegistry:
    """The factors a deployment offers, by kind; later issues register more (e.g. voiceprint)."""

    def __init__(self, factors: list[Factor] | None = None) -> None:
        self._factors: dict[str, Factor] = {}
        for f in factors or [TotpFactor()]:
            self.register(f)

    def register(self, factor: Factor) -> None:
        """Offer one more kind of factor."""
        self._factors[factor.kind] = factor

    def get(self, kind: str) -> Factor | None:
        """The factor of this kind, if offered."""
        return self._factors.get(kind)

    @property
    def kinds(self) -> list[str]:
        """Offered kinds."""
        return sorted(self._factors)
