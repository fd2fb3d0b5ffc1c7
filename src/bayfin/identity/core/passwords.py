"""Argon2id password hashing with a constant-work path for unknown accounts (no timing oracle)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class Argon2Parameters:
    """Cost of one hash: OWASP's 2024 minimum for Argon2id is m=19 MiB, t=2, p=1."""

    time_cost: int = 2
    memory_kib: int = 19_456
    parallelism: int = 1

    def describe(self) -> str:
        """Human-readable parameter string for reports."""
        return f"Argon2id m={self.memory_kib} KiB, t={self.time_cost}, p={self.parallelism}"


class Passwords:
    """Hashes and verifies passwords; verifying for a missing account costs the same as for a real one."""

    def __init__(self, parameters: Argon2Parameters | None = None) -> None:
        self.parameters = parameters or Argon2Parameters()
        p = self.parameters
        self._hasher = PasswordHasher(time_cost=p.time_cost, memory_cost=p.memory_kib,
                                      parallelism=p.parallelism, type=Type.ID)
        self._dummy: str | None = None  # made on first need: building a platform stays cheap

    def hash(self, password: str) -> str:
        """An Argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; an absent hash still spends one full verification."""
        if self._dummy is None:
            # Made before branching, so the first check costs the same whether the account exists.
            self._dummy = self._hasher.hash("bayfin-no-such-account")
        try:
            if stored_hash is None:
                self._hasher.verify(self._dummy, password + "\x00")
                return False
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the stored hash used weaker parameters than today's."""
        return self._hasher.check_needs_rehash(stored_hash)


def check_password_policy(password: str) -> list[str]:
    """Problems with a new password (empty when acceptable)."""
    problems = []
    if len(password) < 10:
        problems.append("at least 10 characters")
    if len(password) > 256:
        problems.append("at most 256 characters")
    if password.isdigit() or password.isalpha():
        problems.append("mix letters with digits or symbols")
    return problems
