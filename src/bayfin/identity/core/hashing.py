"""Hashes of secrets the identity module stores only hashed (codes, refresh tokens, SSO cookies)."""

from __future__ import annotations

import hashlib


def sha256(value: str) -> str:
    """Hex SHA-256 of a secret we store only as a hash (codes, refresh tokens, cookies)."""
    return hashlib.sha256(value.encode()).hexdigest()
