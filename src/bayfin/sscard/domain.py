"""Pure rules of social-security-card (社保卡) financial services: currencies, card states, FX with a
visible spread, daily cross-border limits, masking, the QR payment code and the medical-insurance split.

Nothing here touches a database or the network, so every rule is tested on its own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

# ISO 4217 numeric codes the switch speaks, with their minor-unit exponent.
CNY, HKD, MOP = 156, 344, 446
CURRENCIES: dict[int, tuple[str, int]] = {CNY: ("CNY", 2), HKD: ("HKD", 2), MOP: ("MOP", 2)}
# ISO 3166 numeric country codes of acquirers (field 19) and the region they stand for.
REGIONS: dict[int, str] = {156: "GD", 344: "HK", 446: "MO"}
CROSS_BORDER_REGIONS = frozenset({"HK", "MO"})
#: Clearing runs on Beijing time.
CHINA = ZoneInfo("Asia/Shanghai")


def business_date(now: datetime) -> date:
    """The business (clearing) date: the calendar date in Beijing time."""
    return now.astimezone(CHINA).date()


def currency_alpha(numeric: int) -> str:
    """The alphabetic code of an ISO 4217 numeric currency the platform knows."""
    try:
        return CURRENCIES[numeric][0]
    except KeyError as exc:
        raise ValueError(f"unsupported currency {numeric}") from exc


class CardState(enum.StrEnum):
    """Life cycle of a card: issued until activated; lost and cancelled are final for payments."""

    issued = "issued"
    active = "active"
    lost = "lost"
    frozen = "frozen"
    cancelled = "cancelled"


_TRANSITIONS: dict[CardState, frozenset[CardState]] = {
    CardState.issued: frozenset({CardState.active, CardState.cancelled}),
    CardState.active: frozenset({CardState.lost, CardState.frozen, CardState.cancelled}),
    CardState.frozen: frozenset({CardState.active, CardState.cancelled}),
    CardState.lost: frozenset({CardState.cancelled}),
    CardState.cancelled: frozenset(),
}


def can_transition(current: CardState, target: CardState) -> bool:
    """True when a card may move from ``current`` to ``target``."""
    return target in _TRANSITIONS[current]


class CardKind(enum.StrEnum):
    """A physical social-security card or an electronic one bound to it."""

    physical = "physical"
    electronic = "electronic"


class TxnType(enum.StrEnum):
    """What a switch message asks the ledger to do."""

    authorization = "authorization"
    purchase = "purchase"
    withdrawal = "withdrawal"
    transfer = "transfer"
    balance_inquiry = "balance_inquiry"
    medical = "medical"
    refund = "refund"


# ISO 8583 field 3 positions 1-2 (transaction type) to the switch's transaction types.
PROCESSING_CODES: dict[str, TxnType] = {"00": TxnType.purchase, "01": TxnType.withdrawal,
                                        "40": TxnType.transfer, "31": TxnType.balance_inquiry,
                                        "20": TxnType.refund}


class Rc(enum.StrEnum):
    """ISO 8583 response codes (field 39) the switch answers with."""

    approved = "00"
    invalid_transaction = "12"
    invalid_amount = "13"
    invalid_card = "14"
    format_error = "30"
    lost_card = "41"
    insufficient_funds = "51"
    expired_card = "54"
    incorrect_pin = "55"
    not_permitted = "57"
    not_permitted_acquirer = "58"
    exceeds_limit = "61"
    restricted_card = "62"
    security_violation = "63"
    pin_tries_exceeded = "75"
    not_signed_on = "91"
    duplicate = "94"
    system_malfunction = "96"


def state_response_code(state: CardState) -> Rc | None:
    """The decline a card's state forces, or None when the card may transact."""
    return {CardState.active: None, CardState.lost: Rc.lost_card, CardState.frozen: Rc.restricted_card,
            CardState.issued: Rc.not_permitted, CardState.cancelled: Rc.invalid_card}[state]


@dataclass(frozen=True)
class Conversion:
    """The cardholder-billing side of a foreign-currency amount, with the spread shown separately.

    ``billing_minor`` is what the holder pays; ``at_mid_minor`` what it costs at the day's middle
    rate; ``spread_minor`` the difference kept by the bank (always ≥ 0).
    """

    amount_minor: int
    currency: int
    billing_minor: int
    billing_currency: int
    mid_rate: Decimal
    applied_rate: Decimal
    at_mid_minor: int
    spread_minor: int


def convert(amount_minor: int, currency: int, billing_currency: int, mid_rate: Decimal,
            spread: Decimal) -> Conversion:
    """Convert at ``mid_rate`` (billing units per transaction unit) plus ``spread`` (e.g. 0.005).

    Same-currency amounts pass through at rate 1 with no spread. Both currencies here have two minor
    digits, so minor units convert at the same rate as major units. The holder's amount rounds up
    (ceiling) so the bank never pays the rounding; the spread is the visible difference.
    """
    if amount_minor < 0:
        raise ValueError("amount must not be negative")
    currency_alpha(currency), currency_alpha(billing_currency)
    if currency == billing_currency:
        return Conversion(amount_minor, currency, amount_minor, billing_currency, Decimal(1),
                          Decimal(1), amount_minor, 0)
    if mid_rate <= 0 or spread < 0:
        raise ValueError("rate must be positive and spread non-negative")
    applied = (mid_rate * (1 + spread)).quantize(Decimal("0.0000001"), rounding=ROUND_HALF_UP)
    at_mid = int((amount_minor * mid_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    billing = int((amount_minor * applied).quantize(Decimal(1), rounding=ROUND_CEILING))
    billing = max(billing, at_mid)
    return Conversion(amount_minor, currency, billing, billing_currency, mid_rate, applied, at_mid,
                      billing - at_mid)


def encode_conversion_rate(rate: Decimal) -> str:
    """ISO 8583 field 10: eight digits, the first says how many of the other seven are decimals."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    for decimals in range(7, -1, -1):
        scaled = (rate * (Decimal(10) ** decimals)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if scaled < 10_000_000:
            return f"{decimals}{int(scaled):07d}"
    raise ValueError("rate too large for field 10")


def decode_conversion_rate(field: str) -> Decimal:
    """Read an ISO 8583 field 10 conversion rate."""
    if len(field) != 8 or not field.isdigit():
        raise ValueError("field 10 must be eight digits")
    return Decimal(int(field[1:])) / (Decimal(10) ** int(field[0]))


@dataclass(frozen=True)
class LimitCheck:
    """Outcome of a daily cross-border limit check."""

    allowed: bool
    reason: str = ""


def check_daily_limits(*, amount_minor: int, used_card_total: int, card_limit: int,
                       used_type_total: int, type_limit: int | None) -> LimitCheck:
    """Whether a cross-border debit of ``amount_minor`` (card currency) fits today's limits."""
    if used_card_total + amount_minor > card_limit:
        return LimitCheck(False, "card_daily_limit")
    if type_limit is not None and used_type_total + amount_minor > type_limit:
        return LimitCheck(False, "type_daily_limit")
    return LimitCheck(True)


def luhn_valid(number: str) -> bool:
    """True when ``number`` is all digits and passes the Luhn check."""
    if not number.isdigit() or len(number) < 12:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """Append the Luhn check digit to a digit string."""
    for check in "0123456789":
        if luhn_valid(prefix + check):
            return prefix + check
    raise ValueError("not a digit string")


def mask_pan(pan: str) -> str:
    """First six and last four digits of a card number, the rest starred (PCI DSS display rule)."""
    return f"{pan[:6]}{'*' * max(len(pan) - 10, 0)}{pan[-4:]}"


def mask_id_number(id_number: str) -> str:
    """An identity-card number with only the region prefix and the last four characters shown."""
    return f"{id_number[:6]}{'*' * max(len(id_number) - 10, 0)}{id_number[-4:]}"


def mask_name(name: str) -> str:
    """A name with only its first character shown (张** style)."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


# --- QR payment code: EMV-style TLV (two-digit tag, two-digit length) sealed by CRC-16/CCITT -------

QR_FORMAT = "01"
QR_DYNAMIC = "12"


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), the checksum EMV QR codes end with (tag 63)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def tlv(tag: str, value: str) -> str:
    """One EMV QR data object: two-digit id, two-digit length, value."""
    if len(tag) != 2 or not tag.isdigit() or len(value) > 99:
        raise ValueError("tag must be two digits and value at most 99 characters")
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(payload: str) -> dict[str, str]:
    """Split an EMV QR string into its data objects; raises ValueError on a truncated object."""
    out: dict[str, str] = {}
    i = 0
    while i < len(payload):
        head = payload[i:i + 4]
        if len(head) < 4 or not head.isdigit():
            raise ValueError("truncated data object")
        length = int(head[2:])
        value = payload[i + 4:i + 4 + length]
        if len(value) != length:
            raise ValueError("data object runs past the end")
        out[head[:2]] = value
        i += 4 + length
    return out


def build_qr_payload(*, token: str, card_ref: str, expires_epoch: int) -> str:
    """The dynamic payment code: format, dynamic flag, single-use token, card reference, expiry, CRC."""
    body = (tlv("00", QR_FORMAT) + tlv("01", QR_DYNAMIC) + tlv("26", token) + tlv("27", card_ref)
            + tlv("82", str(expires_epoch)) + "6304")
    return body + f"{crc16_ccitt(body.encode('ascii')):04X}"


@dataclass(frozen=True)
class QrPayload:
    """What a scanned payment code says."""

    token: str
    card_ref: str
    expires_epoch: int


def parse_qr_payload(payload: str) -> QrPayload:
    """Check the CRC and structure of a payment code; raises ValueError when it does not hold."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise ValueError("payment code has no CRC object")
    expected = f"{crc16_ccitt(payload[:-4].encode('ascii')):04X}"
    if payload[-4:].upper() != expected:
        raise ValueError("payment code CRC mismatch")
    objects = parse_tlv(payload[:-8])
    if objects.get("00") != QR_FORMAT or objects.get("01") != QR_DYNAMIC:
        raise ValueError("not a dynamic payment code")
    try:
        return QrPayload(objects["26"], objects["27"], int(objects["82"]))
    except (KeyError, ValueError) as exc:
        raise ValueError("payment code lacks token, card or expiry") from exc


# --- Medical-insurance payment split (医保统筹 / 个人自付) -----------------------------------------

@dataclass(frozen=True)
class MedicalSplit:
    """How a medical bill is paid: by the insurance fund and by the holder's own account."""

    total_minor: int
    fund_minor: int
    personal_minor: int


def split_medical(total_minor: int, *, covered_minor: int, coverage_ratio: Decimal,
                  deductible_remaining_minor: int, fund_cap_remaining_minor: int) -> MedicalSplit:
    """Split a bill: the fund pays ``coverage_ratio`` of the covered part above the deductible, up to
    the remaining annual cap; the holder pays everything else."""
    if not 0 <= covered_minor <= total_minor:
        raise ValueError("covered part must lie between 0 and the total")
    if not Decimal(0) <= coverage_ratio <= Decimal(1):
        raise ValueError("coverage ratio must lie between 0 and 1")
    above_deductible = max(covered_minor - max(deductible_remaining_minor, 0), 0)
    fund = int((above_deductible * coverage_ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    fund = max(min(fund, fund_cap_remaining_minor), 0)
    return MedicalSplit(total_minor, fund, total_minor - fund)
