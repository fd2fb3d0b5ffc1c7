"""Field-by-field validation of a decoded ISO 8583 request, before anything touches the ledger.

Each check answers a response code: 30 (format error) for a field that is missing, has the wrong
length or alphabet, or carries an impossible value (month 13, a reversal whose original data elements
are not 42 digits, an unknown currency); 12 (invalid transaction) for a well-formed request the switch
does not offer; 14 for a card number that fails its check digit. ``None`` means the request may go on.
"""

from __future__ import annotations

import re
from datetime import date

from bayfin.sscard.domain import CURRENCIES, PROCESSING_CODES, REGIONS, Rc, TxnType, luhn_valid

MTI = re.compile(r"^\d{4}$")
#: Message types the switch answers, by class (x0 request, x1 repeat; x2 is an advice).
MONEY_MTIS = frozenset({"0100", "0101", "0200", "0201", "0120", "0121", "0220", "0221",
                        "0400", "0401", "0420", "0421"})
NETWORK_MTIS = frozenset({"0800", "0801"})
NETWORK_CODES = {"001": "sign-on", "002": "sign-off", "161": "key exchange", "301": "echo test"}

_DIGITS = {"3": 6, "4": 12, "6": 12, "7": 10, "10": 8, "11": 6, "12": 6, "13": 4, "14": 4, "19": 3,
           "49": 3, "51": 3, "70": 3}
_ALNUM = {"37": 12}
_TEXT = {"41": 8, "42": 15}
_HEX = {"52": 16, "128": 16}
_TRACK2 = re.compile(r"^(\d{12,19})[=D](\d{4})(\d{3})(\d*)$")
_AMOUNT_FEE = re.compile(r"^\d{12}\d{12}[CD]\d{8}[CD]\d{8}$")
_ORIGINAL_MTIS = frozenset({"0100", "0200", "0120", "0220"})
_COMMON = ("7", "11", "32")
_MONEY = ("2", "3", "4", "7", "11", "19", "32", "37", "49")


def valid_mmdd(value: str) -> bool:
    """A month and day that exist in some year (29 February included)."""
    month, day = int(value[:2]), int(value[2:4])
    if not 1 <= month <= 12:
        return False
    try:
        date(2000, month, day)  # a leap year: every day any year can have
    except ValueError:
        return False
    return True


def valid_hhmmss(value: str) -> bool:
    """A time of day."""
    return int(value[:2]) < 24 and int(value[2:4]) < 60 and int(value[4:6]) < 60


def valid_transmission(value: str) -> bool:
    """Field 7 (and the date-time in field 90): MMDDhhmmss."""
    return len(value) == 10 and value.isdigit() and valid_mmdd(value[:4]) and valid_hhmmss(value[4:])


def valid_expiry(value: str) -> bool:
    """YYMM with a real month."""
    return len(value) == 4 and value.isdigit() and 1 <= int(value[2:]) <= 12


def parse_track2(value: str) -> tuple[str, str] | None:
    """(PAN, expiry YYMM) from track-2 equivalent data, or None when malformed."""
    found = _TRACK2.match(value)
    if found is None or not valid_expiry(found.group(2)):
        return None
    return found.group(1), found.group(2)


def parse_original(value: str) -> tuple[str, str, str, str] | None:
    """(MTI, STAN, transmission date-time, acquirer) from field 90, or None when malformed."""
    if len(value) != 42 or not value.isdigit():
        return None
    mti, stan, when, acquirer = value[:4], value[4:10], value[10:20], value[20:31]
    if mti not in _ORIGINAL_MTIS or stan == "000000" or not valid_transmission(when):
        return None
    return mti, stan, when, acquirer


def parse_replacement(value: str) -> int | None:
    """The actual (replacement) transaction amount from field 95, or None when malformed."""
    if not _AMOUNT_FEE.match(value):
        return None
    return int(value[:12])


def _shapes_ok(fields: dict[str, str]) -> bool:
    for table, test in ((_DIGITS, str.isdigit), (_ALNUM, str.isalnum), (_HEX, _is_hex)):
        for name, width in table.items():
            value = fields.get(name)
            if value is not None and (len(value) != width or not test(value)):
                return False
    for name, width in _TEXT.items():
        value = fields.get(name)
        if value is not None and (len(value) != width or not value.isprintable() or not value.isascii()):
            return False
    acquirer = fields.get("32")
    return acquirer is None or (acquirer.isdigit() and 1 <= len(acquirer) <= 11)


def _is_hex(value: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in value)


def _dates_ok(fields: dict[str, str]) -> bool:
    if "7" in fields and not valid_transmission(fields["7"]):
        return False
    if "12" in fields and not valid_hhmmss(fields["12"]):
        return False
    if "13" in fields and not valid_mmdd(fields["13"]):
        return False
    return "14" not in fields or valid_expiry(fields["14"])


def check_network(fields: dict[str, str]) -> Rc | None:
    """An 0800: transmission time, STAN, acquirer and a known network code."""
    if any(name not in fields for name in (*_COMMON, "70")) or fields["11"] == "000000":
        return Rc.format_error
    if not _shapes_ok(fields) or not _dates_ok(fields):
        return Rc.format_error
    return None if fields["70"] in NETWORK_CODES else Rc.invalid_transaction


def check_money(fields: dict[str, str]) -> Rc | None:
    """Authorizations, financial messages, completions, advices and reversals."""
    mti = fields["t"]
    if any(name not in fields for name in _MONEY) or not _shapes_ok(fields) or not _dates_ok(fields):
        return Rc.format_error
    if fields["11"] == "000000" or int(fields["19"]) not in REGIONS or int(fields["49"]) not in CURRENCIES:
        return Rc.format_error
    pan = fields["2"]
    if not (pan.isdigit() and 12 <= len(pan) <= 19):
        return Rc.format_error
    if "35" in fields:
        track = parse_track2(fields["35"])
        if track is None:
            return Rc.format_error
        if track[0] != pan:
            return Rc.invalid_card
    if "103" in fields and not (fields["103"].isdigit() and 12 <= len(fields["103"]) <= 19):
        return Rc.format_error
    klass = mti[1]
    original = fields.get("90")
    if klass == "4" or mti[1:3] == "12" or mti[1:3] == "22":  # reversals and completions name an original
        if original is None:
            return Rc.format_error
        parsed = parse_original(original)
        if parsed is None or parsed[3] != fields["32"].zfill(11):
            return Rc.format_error
        if klass != "4" and parsed[0][1] != "1":  # a completion completes an authorization
            return Rc.format_error
    elif original is not None:
        return Rc.format_error
    if "95" in fields:
        actual = parse_replacement(fields["95"])
        if klass != "4" or actual is None or actual >= int(fields["4"]):
            return Rc.format_error
    pcode = fields["3"][:2]
    txn_type = PROCESSING_CODES.get(pcode)
    if txn_type is None:
        return Rc.invalid_transaction
    if txn_type is TxnType.transfer and "103" not in fields and klass != "4":
        return Rc.format_error
    if txn_type is not TxnType.balance_inquiry and int(fields["4"]) == 0 and klass != "4":
        return Rc.invalid_amount
    if not luhn_valid(pan) or ("103" in fields and not luhn_valid(fields["103"])):
        return Rc.invalid_card
    return None


def check(fields: dict[str, str]) -> Rc | None:
    """The response code a malformed request earns, or None when it may be processed."""
    mti = fields.get("t", "")
    if not MTI.match(mti):
        return Rc.format_error
    if mti in NETWORK_MTIS:
        return check_network(fields)
    if mti not in MONEY_MTIS:
        return Rc.invalid_transaction
    return check_money(fields)
