"""Envelope encryption of account numbers and master-key rotation, with no database."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from bayfin.tokens.vault import KeyRing, Sealed

PAN = "6222021234567890123"


def test_a_sealed_number_opens_and_holds_no_plaintext() -> None:
    ring = KeyRing({"k1": b"1" * 32}, "k1")
    sealed = ring.seal(PAN, "acct_1")
    assert PAN.encode() not in sealed.ciphertext + sealed.wrapped_key
    assert ring.open(sealed, "acct_1") == PAN


def test_each_record_gets_its_own_data_key() -> None:
    ring = KeyRing({"k1": b"1" * 32}, "k1")
    assert ring.seal(PAN, "acct_1").wrapped_key != ring.seal(PAN, "acct_1").wrapped_key


def test_a_sealed_value_copied_to_another_record_does_not_open() -> None:
    ring = KeyRing({"k1": b"1" * 32}, "k1")
    with pytest.raises(InvalidTag):
        ring.open(ring.seal(PAN, "acct_1"), "acct_2")


def test_rotation_rewraps_the_data_key_only_and_both_keys_open_meanwhile() -> None:
    ring = KeyRing({"k1": b"1" * 32}, "k1")
    old = ring.seal(PAN, "acct_1")
    ring.add("k2", b"2" * 32, activate=True)
    assert ring.open(old, "acct_1") == PAN  # not yet re-wrapped: still opens under k1
    new = ring.rewrap(old, "acct_1")
    assert new.master_key_id == "k2" and new.ciphertext == old.ciphertext
    ring.retire("k1")
    assert ring.open(new, "acct_1") == PAN
    with pytest.raises(KeyError):
        ring.open(old, "acct_1")


def test_a_tampered_wrapped_key_is_refused() -> None:
    ring = KeyRing({"k1": b"1" * 32}, "k1")
    sealed = ring.seal(PAN, "acct_1")
    bad = Sealed(sealed.master_key_id, sealed.wrapped_key[:-1] + bytes([sealed.wrapped_key[-1] ^ 1]),
                 sealed.ciphertext)
    with pytest.raises(InvalidTag):
        ring.open(bad, "acct_1")


def test_the_active_key_cannot_be_retired() -> None:
    ring = KeyRing({"k1": b"1" * 32}, "k1")
    with pytest.raises(ValueError):
        ring.retire("k1")
