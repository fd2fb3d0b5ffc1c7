"""The switch's cryptography against published vectors and its own round trips."""

from __future__ import annotations

import pytest

from bayfin.sscard.keys import (
    KeyDelivery,
    SoftwareKeyStore,
    check_value,
    encrypt_pin_block,
    pin_block,
    pin_from_block,
    retail_mac,
)


def test_the_retail_mac_matches_the_ansi_x9_19_vector() -> None:
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    assert retail_mac(key, b"Now is the time for all ").hex().upper() == "A1C72E74EA3FA9B6"
    assert retail_mac(key, b"Now is the time for alm ") != retail_mac(key, b"Now is the time for all ")
    with pytest.raises(ValueError):
        retail_mac(key[:8], b"x")


def test_a_format_0_pin_block_is_the_pin_field_xor_the_pan_field() -> None:
    # PIN field 041234FFFFFFFFFF xor PAN field 0000111111111111 (12 digits before the check digit).
    assert pin_block("1234", "4111111111111111").hex().upper() == "041225EEEEEEEEEE"
    assert pin_from_block(pin_block("987654", "6222020000000000018"), "6222020000000000018") == "987654"
    assert pin_from_block(pin_block("1234", "4111111111111111"), "4111111111111121") is None
    with pytest.raises(ValueError):
        pin_block("12a4", "4111111111111111")


def test_key_exchange_wraps_keys_under_the_zone_key_and_pins_verify_only_under_them() -> None:
    zmk = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    store = SoftwareKeyStore({"34400001": zmk}, b"p" * 32)
    assert not store.has_working_keys("34400001")
    delivery = KeyDelivery.from_field(store.exchange_working_keys("34400001").to_field())
    keys = delivery.unwrap(zmk)
    assert check_value(keys.tak) == delivery.tak_check
    with pytest.raises(ValueError):
        delivery.unwrap(bytes(16))  # the wrong zone key fails the check values
    pan = "6222020000000000018"
    reference = store.pin_reference(pan, "2468")
    assert store.verify_pin("34400001", pan, encrypt_pin_block(keys.tpk, "2468", pan), reference)
    assert not store.verify_pin("34400001", pan, encrypt_pin_block(keys.tpk, "2469", pan), reference)
    assert not store.verify_pin("34400001", pan, encrypt_pin_block(keys.tak, "2468", pan), reference)
    assert store.verify_mac("34400001", b"message", retail_mac(keys.tak, b"message"))
    assert not store.verify_mac("44600001", b"message", retail_mac(keys.tak, b"message"))
