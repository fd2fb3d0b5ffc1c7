"""Identifiers: time-ordered, URL-safe, unguessable."""

from __future__ import annotations

import os
import time


def new_id(prefix: str = "") -> str:
    """A 26-character time-ordered id (48-bit ms timestamp + 80 random bits, Crockford base32)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(alphabet[value & 31])
        value >>= 5
    body = "".join(reversed(chars))
    return f"{prefix}_{body}" if prefix else body
