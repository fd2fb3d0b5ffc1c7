"""Pure rules: FX with spread, field 10, limits, card life cycle, masking, QR code, medical split."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bayfin.sscard import domain as d
from bayfin.sscard.switch import iso


def test_a_foreign_amount_costs_the_middle_rate_plus_a_visible_spread_rounded_against_the_holder() -> None:
    conv = d.convert(10_000, d.HKD, d.CNY, Decimal("0.9213"), Decimal("0.005"))
    assert conv.at_mid_minor == 9_213
    assert conv.billing_minor == 9_260  # 10000 × 0.9259065 = 9259.065, rounded up
    assert conv.spread_minor == conv.billing_minor - conv.at_mid_minor == 47


def test_same_currency_passes_through_without_spread() -> None:
    conv = d.convert(12_345, d.CNY, d.CNY, Decimal(1), Decimal(0))
    assert (conv.billing_minor, conv.spread_minor) == (12_345, 0)


def test_unknown_currencies_and_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        d.convert(100, 840, d.CNY, Decimal(7), Decimal(0))
    with pytest.raises(ValueError):
        d.convert(-1, d.HKD, d.CNY, Decimal(1), Decimal(0))


def test_field_10_round_trips_a_conversion_rate() -> None:
    assert d.encode_conversion_rate(Decimal("0.9259065")) == "79259065"
    assert d.decode_conversion_rate("79259065") == Decimal("0.9259065")
    assert d.decode_conversion_rate(d.encode_conversion_rate(Decimal("7.8"))) == Decimal("7.8")


def test_daily_limits_apply_per_card_and_per_type() -> None:
    assert d.check_daily_limits(amount_minor=100, used_card_total=0, card_limit=100,
                                used_type_total=0, type_limit=None).allowed
    assert d.check_daily_limits(amount_minor=101, used_card_total=0, card_limit=100, used_type_total=0,
                                type_limit=None).reason == "card_daily_limit"
    assert d.check_daily_limits(amount_minor=60, used_card_total=0, card_limit=1000, used_type_total=50,
                                type_limit=100).reason == "type_daily_limit"


def test_a_lost_card_can_only_be_cancelled_and_a_frozen_one_thawed() -> None:
    assert d.can_transition(d.CardState.lost, d.CardState.cancelled)
    assert not d.can_transition(d.CardState.lost, d.CardState.active)
    assert d.can_transition(d.CardState.frozen, d.CardState.active)
    assert d.state_response_code(d.CardState.lost) is d.Rc.lost_card
    assert d.state_response_code(d.CardState.active) is None


def test_numbers_are_masked_to_what_may_be_shown() -> None:
    assert d.mask_pan("6222021234567890123") == "622202*********0123"
    assert d.mask_id_number("44010619900101123X") == "440106********123X"
    assert d.mask_name("陈大文") == "陈**"
    assert d.luhn_valid(d.luhn_complete("622202000000000001"))
    assert not d.luhn_valid("6222020000000000011")


def test_crc16_ccitt_matches_the_standard_check_value() -> None:
    assert d.crc16_ccitt(b"123456789") == 0x29B1


def test_a_payment_code_round_trips_and_any_tampering_breaks_its_crc() -> None:
    payload = d.build_qr_payload(token="ab" * 16, card_ref="ecard_1", expires_epoch=1_900_000_000)
    parsed = d.parse_qr_payload(payload)
    assert (parsed.token, parsed.card_ref, parsed.expires_epoch) == ("ab" * 16, "ecard_1", 1_900_000_000)
    tampered = payload.replace("ecard_1", "ecard_2")
    with pytest.raises(ValueError, match="CRC"):
        d.parse_qr_payload(tampered)
    with pytest.raises(ValueError):
        d.parse_qr_payload("not a code")


def test_the_medical_split_respects_deductible_ratio_and_cap() -> None:
    split = d.split_medical(100_000, covered_minor=80_000, coverage_ratio=Decimal("0.7"),
                            deductible_remaining_minor=10_000, fund_cap_remaining_minor=1_000_000)
    assert (split.fund_minor, split.personal_minor) == (49_000, 51_000)
    capped = d.split_medical(100_000, covered_minor=100_000, coverage_ratio=Decimal("0.9"),
                             deductible_remaining_minor=0, fund_cap_remaining_minor=5_000)
    assert (capped.fund_minor, capped.personal_minor) == (5_000, 95_000)


def test_iso_messages_round_trip_through_the_switch_spec() -> None:
    fields = {"t": "0200", "2": "6222020000000001", "3": "000000", "4": "000000001000",
              "7": "1129101010", "11": "000001", "19": "344", "32": "34400001", "37": "000100000001",
              "49": "344", "103": "6222020000000019"}
    assert iso.decode(iso.encode(fields)) == fields
    assert iso.response_mti("0401") == "0410" and iso.response_mti("0100") == "0110"
    assert iso.parse_balance(iso.format_balance(-1234, 156)) == (-1234, 156)
    with pytest.raises(ValueError):
        iso.decode(b"0200\xff\xff\xff\xff\xff\xff\xff\xff")
