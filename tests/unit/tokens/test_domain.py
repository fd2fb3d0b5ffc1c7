"""Token numbers, PAR, controls, lifecycle, cryptogram and ID&V rules, with no I/O."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayfin.tokens import domain
from bayfin.tokens.domain import Controls, Reason, TokenBinRange, TokenState, Use

PAN = "622202123456789012" + domain.luhn_check_digit("622202123456789012")


def test_luhn_accepts_known_card_numbers_and_refuses_a_changed_digit() -> None:
    assert domain.luhn_valid("4111111111111111")
    assert domain.luhn_valid("79927398713")
    assert not domain.luhn_valid("4111111111111112")
    assert not domain.luhn_valid("41111111111111a1")


@given(st.sampled_from([13, 16, 19]), st.integers(min_value=0, max_value=10**6))
def test_token_numbers_are_luhn_valid_in_their_bin_range_and_of_the_range_length(length: int, _: int) -> None:
    bin_range = TokenBinRange("62999801", length)
    number = domain.new_token_number(bin_range, PAN)
    assert domain.luhn_valid(number)
    assert bin_range.contains(number)
    assert len(number) == length


def test_a_token_number_never_equals_the_real_number_nor_a_taken_one() -> None:
    bin_range = TokenBinRange("622202", 19)  # a range overlapping the real BIN, the worst case
    draws = iter([PAN[6:-1], "555555555555", "777777777777"])
    taken = {"622202555555555555" + domain.luhn_check_digit("622202555555555555")}
    number = domain.new_token_number(bin_range, PAN, taken=lambda n: n in taken,
                                     random_digits=lambda _n: next(draws))
    assert number == "622202777777777777" + domain.luhn_check_digit("622202777777777777")


def test_token_bin_ranges_outside_13_to_19_digits_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenBinRange("62999801", 20)
    with pytest.raises(ValueError):
        TokenBinRange("62999801", 12)


def test_the_par_is_29_characters_stable_per_account_and_does_not_contain_the_number() -> None:
    par = domain.payment_account_reference(b"k" * 32, "BYFN", PAN)
    assert len(par) == 29 and par.startswith("BYFN") and par.isalnum()
    assert par == domain.payment_account_reference(b"k" * 32, "BYFN", PAN)
    assert par != domain.payment_account_reference(b"k" * 32, "BYFN", "6222021234567890131")
    assert PAN not in par


NIST_FF1 = [  # NIST SP 800-38G FF1 samples 1, 2, 3, 7, 9
    ("2B7E151628AED2A6ABF7158809CF4F3C", "", "0123456789", "0123456789", "2433477484"),
    ("2B7E151628AED2A6ABF7158809CF4F3C", "39383736353433323130", "0123456789", "0123456789", "6124200773"),
    ("2B7E151628AED2A6ABF7158809CF4F3C", "3737373770717273373737", "0123456789abcdefghijklmnopqrstuvwxyz",
     "0123456789abcdefghi", "a9tv40mll9kdu509eum"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", "", "0123456789", "0123456789",
     "6657667009"),
    ("2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94", "3737373770717273373737",
     "0123456789abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghi", "xs8a0azh2avyalyzuwd"),
]


@pytest.mark.parametrize(("key", "tweak", "alphabet", "plain", "cipher"), NIST_FF1)
def test_the_ff1_package_reproduces_nists_sample_vectors(key: str, tweak: str, alphabet: str, plain: str,
                                                         cipher: str) -> None:
    from fastfpe import ff1

    assert ff1.encrypt(key, tweak, alphabet, plain) == cipher
    assert ff1.decrypt(key, tweak, alphabet, cipher) == plain


def test_ff1_tokens_are_deterministic_luhn_valid_and_differ_from_the_number() -> None:
    key = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94"
    bin_range = TokenBinRange("629998", 19)
    token = domain.ff1_token_number(bin_range, PAN, key)
    assert token == domain.ff1_token_number(bin_range, PAN, key)
    assert domain.luhn_valid(token) and bin_range.contains(token) and token != PAN


ACTIVE_CONTROLS = Controls(merchants=frozenset({"M1"}), channels=frozenset({"nfc"}), device_id="phone-1",
                           max_amount_fen=50_000, expires_on=date(2027, 12, 31))
GOOD_USE = Use("10000000001", "M1", "nfc", 10_000, date(2027, 1, 1), "phone-1")


@pytest.mark.parametrize(("change", "reason"), [
    ({"requestor_id": "10000000002"}, Reason.REQUESTOR_MISMATCH),
    ({"merchant_id": "M2"}, Reason.MERCHANT_NOT_ALLOWED),
    ({"channel": "ecommerce"}, Reason.CHANNEL_NOT_ALLOWED),
    ({"device_id": "phone-2"}, Reason.DEVICE_MISMATCH),
    ({"amount_fen": 50_001}, Reason.AMOUNT_OVER_LIMIT),
    ({"on": date(2028, 1, 1)}, Reason.TOKEN_EXPIRED),
])
def test_each_domain_control_refuses_a_use_outside_it(change: dict[str, object], reason: Reason) -> None:
    use = Use(**{**{f: getattr(GOOD_USE, f) for f in Use.__slots__}, **change})  # type: ignore[arg-type]
    assert domain.check_use(TokenState.ACTIVE, "10000000001", ACTIVE_CONTROLS, use) is reason


def test_a_use_inside_every_control_passes_and_state_is_checked_first() -> None:
    assert domain.check_use(TokenState.ACTIVE, "10000000001", ACTIVE_CONTROLS, GOOD_USE) is None
    assert domain.check_use(TokenState.SUSPENDED, "10000000001", ACTIVE_CONTROLS, GOOD_USE) \
        is Reason.TOKEN_SUSPENDED
    assert domain.check_use(TokenState.REQUESTED, "10000000001", ACTIVE_CONTROLS, GOOD_USE) \
        is Reason.TOKEN_INACTIVE
    assert domain.check_use(TokenState.DELETED, "10000000001", ACTIVE_CONTROLS, GOOD_USE) \
        is Reason.TOKEN_DELETED


def test_controls_survive_a_round_trip_through_json() -> None:
    assert Controls.from_dict(ACTIVE_CONTROLS.as_dict()) == ACTIVE_CONTROLS


def test_the_lifecycle_allows_only_its_transitions() -> None:
    assert domain.next_state(TokenState.REQUESTED, "activate") is TokenState.ACTIVE
    assert domain.next_state(TokenState.ACTIVE, "suspend") is TokenState.SUSPENDED
    assert domain.next_state(TokenState.SUSPENDED, "resume") is TokenState.ACTIVE
    assert domain.next_state(TokenState.SUSPENDED, "delete") is TokenState.DELETED
    assert domain.next_state(TokenState.DELETED, "resume") is None
    assert domain.next_state(TokenState.ACTIVE, "activate") is None


def test_a_cryptogram_verifies_and_refuses_an_altered_amount_or_merchant() -> None:
    key = domain.cryptogram_key(b"m" * 32, "tok_1")
    mac = domain.cryptogram(key, "6299980100000001", 1000, "M1", 7)
    assert domain.verify_cryptogram(key, "6299980100000001", 1000, "M1", 7, mac) is None
    assert domain.verify_cryptogram(key, "6299980100000001", 1000, "M1", 8, mac) is Reason.CRYPTOGRAM_INVALID
    assert domain.verify_cryptogram(key, "6299980100000001", 1001, "M1", 7, mac) is Reason.CRYPTOGRAM_INVALID
    assert domain.verify_cryptogram(key, "6299980100000001", 1000, "M2", 7, mac) is Reason.CRYPTOGRAM_INVALID


def test_a_counter_is_fresh_above_the_highest_seen_or_within_the_window_below_it() -> None:
    assert domain.counter_in_window(8, 7, 0) and not domain.counter_in_window(7, 7, 0)
    assert domain.counter_in_window(3, 10, 8) and not domain.counter_in_window(2, 10, 8)


def test_a_limited_use_key_stops_at_its_expiry_or_its_last_use() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 5, tzinfo=UTC)
    assert domain.check_key(now + timedelta(hours=1), 19, 20, now) is None
    assert domain.check_key(now + timedelta(hours=1), 20, 20, now) is Reason.KEY_EXHAUSTED
    assert domain.check_key(now, 0, 20, now) is Reason.KEY_EXPIRED
    assert domain.check_key(None, 0, 20, now) is Reason.KEY_EXPIRED  # a key from before key lifetimes
    first, second = (domain.limited_use_key(b"m" * 32, "tok_1", "6299980100000001", n) for n in (1, 2))
    assert first != second


def test_the_issuer_decision_weighs_with_the_risk_engine() -> None:
    verdict = domain.Verdict
    assert domain.identify_and_verify("ALLOW", None, "decline").verdict is verdict.DECLINE
    assert domain.identify_and_verify("ALLOW", "otp", "step_up").verdict is verdict.STEP_UP  # only its code
    assert domain.identify_and_verify("BLOCK", None, "approve").verdict is verdict.DECLINE
    assert domain.identify_and_verify("CHALLENGE", None, "approve").verdict is verdict.STEP_UP
    assert domain.identify_and_verify("ALLOW", None, "approve").verdict is verdict.APPROVE


def test_another_tokens_key_does_not_make_a_valid_cryptogram() -> None:
    mac = domain.cryptogram(domain.cryptogram_key(b"m" * 32, "tok_2"), "6299980100000001", 1000, "M1", 1)
    key = domain.cryptogram_key(b"m" * 32, "tok_1")
    assert domain.verify_cryptogram(key, "6299980100000001", 1000, "M1", 1, mac) is Reason.CRYPTOGRAM_INVALID


@pytest.mark.parametrize(("risk", "acr", "verdict", "assurance"), [
    ("ALLOW", None, domain.Verdict.APPROVE, "standard"),
    ("ALLOW", "otp", domain.Verdict.APPROVE, "step_up"),
    ("CHALLENGE", None, domain.Verdict.STEP_UP, "none"),
    ("REVIEW", None, domain.Verdict.STEP_UP, "none"),
    ("CHALLENGE", "voiceprint", domain.Verdict.APPROVE, "step_up"),
    ("BLOCK", "voiceprint", domain.Verdict.DECLINE, "none"),
])
def test_idv_turns_the_risk_outcome_and_the_step_up_into_a_verdict(risk: str, acr: str | None,
                                                                     verdict: domain.Verdict,
                                                                     assurance: str) -> None:
    assert domain.identify_and_verify(risk, acr) == domain.IdvDecision(verdict, assurance)


def test_expiry_is_the_last_day_of_the_month() -> None:
    assert domain.last_day_of_month(2028, 2) == date(2028, 2, 29)
    assert domain.last_day_of_month(2027, 12) == date(2027, 12, 31)
