"""The token vault's cryptography: envelope encryption of account numbers (pure, no database).

Each record gets its own random 256-bit data key; the account number is sealed with AES-GCM under
that data key, and the data key is wrapped with AES-GCM under a master key named by its id. Rotating
the master key only re-wraps data keys (the sealed numbers are not touched), and while it runs every
master key in the ring still unwraps, so reads never stop.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


@dataclass(frozen=True, slots=True)
class Sealed:
    """An account number at rest: the wrapped data key, the master key's id, nonces and ciphertext."""

    master_key_id: str
    wrapped_key: bytes  # 12-byte nonce + AES-GCM(master, data key)
    ciphertext: bytes  # 12-byte nonce + AES-GCM(data key, account number)


class KeyRing:
    """The master keys by id and which one wraps new data keys."""

    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError(f"the active master key {active!r} is not in the ring")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"master key {key_id!r} is not 256 bits")
        self._keys = dict(keys)
        self.active = active

    @property
    def ids(self) -> list[str]:
        """The ids of every master key that can unwrap."""
        return sorted(self._keys)

    def add(self, key_id: str, key: bytes, *, activate: bool = False) -> None:
        """Put another master key in the ring (optionally making it the one that wraps new keys)."""
        if len(key) != 32:
            raise ValueError("a master key is 256 bits")
        self._keys[key_id] = key
        if activate:
            self.active = key_id

    def retire(self, key_id: str) -> None:
        """Drop a master key once no record is wrapped under it any more."""
        if key_id == self.active:
            raise ValueError("the active master key cannot be retired")
        self._keys.pop(key_id, None)

    def _wrap(self, data_key: bytes, record_id: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self._keys[self.active]).encrypt(nonce, data_key, record_id.encode())

    def _unwrap(self, sealed: Sealed, record_id: str) -> bytes:
        master = self._keys.get(sealed.master_key_id)
        if master is None:
            raise KeyError(f"master key {sealed.master_key_id!r} is not in the ring")
        return AESGCM(master).decrypt(sealed.wrapped_key[:12], sealed.wrapped_key[12:],
                                      record_id.encode())

    def seal(self, plaintext: str, record_id: str) -> Sealed:
        """Encrypt ``plaintext`` under a new data key wrapped by the active master key; the record id is
        bound in as associated data, so a sealed value copied to another record does not open."""
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        body = nonce + AESGCM(data_key).encrypt(nonce, plaintext.encode(), record_id.encode())
        return Sealed(self.active, self._wrap(data_key, record_id), body)

    def open(self, sealed: Sealed, record_id: str) -> str:
        """Decrypt a sealed value under whichever master key wrapped it."""
        data_key = self._unwrap(sealed, record_id)
        return AESGCM(data_key).decrypt(sealed.ciphertext[:12], sealed.ciphertext[12:],
                                        record_id.encode()).decode()

    def rewrap(self, sealed: Sealed, record_id: str) -> Sealed:
        """The same sealed value with its data key wrapped by the active master key instead."""
        if sealed.master_key_id == self.active:
            return sealed
        return Sealed(self.active, self._wrap(self._unwrap(sealed, record_id), record_id),
                      sealed.ciphertext)


def derive_key(secret: bytes, label: str) -> bytes:
    """A 256-bit key for ``label`` derived from a platform secret (development and tests)."""
    return hmac.new(secret, f"bayfin.tokens.{label}".encode(), hashlib.sha256).digest()


def lookup_digest(key: bytes, account_number: str) -> str:
    """A keyed digest of an account number, to find its vault record without decrypting any."""
    return hmac.new(key, account_number.encode(), hashlib.sha256).hexdigest()
