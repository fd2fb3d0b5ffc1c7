"""Payment tokenisation rules (Token 2.0, on the EMVCo Payment Tokenisation model): pure, no I/O.

Token numbers come from dedicated token BIN ranges, pass the Luhn check and never equal the card or
account number they stand for; a Payment Account Reference (PAR, 29 characters) links every token of
one account without revealing it; domain restriction controls are checked on every use; a
per-transaction cryptogram (a keyed MAC over token, amount, merchant and the application transaction
counter, under the token's current limited-use key) proves that the payment came from the provisioned
device and was not altered; each counter pays once, and a late counter is accepted within a window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

#: The step-up methods the identity platform reports in a token's ``acr`` claim.
STEP_UP_ACRS = frozenset({"mfa", "otp", "totp", "voiceprint"})
CHANNELS = ("in_app", "ecommerce", "qr", "nfc")
_BASE32 = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"[:32]


class Reason(StrEnum):
    """Why a use of a token was refused: a stable code the requestor can act on."""

    REQUESTOR_MISMATCH = "REQUESTOR_MISMATCH"
    MERCHANT_NOT_ALLOWED = "MERCHANT_NOT_ALLOWED"
    CHANNEL_NOT_ALLOWED = "CHANNEL_NOT_ALLOWED"
    DEVICE_MISMATCH = "DEVICE_MISMATCH"
    AMOUNT_OVER_LIMIT = "AMOUNT_OVER_LIMIT"
    TOKEN_SUSPENDED = "TOKEN_SUSPENDED"  # noqa: S105
    TOKEN_INACTIVE = "TOKEN_INACTIVE"  # noqa: S105
    TOKEN_DELETED = "TOKEN_DELETED"  # noqa: S105
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105
    ACCOUNT_EXPIRED = "ACCOUNT_EXPIRED"
    KEY_EXPIRED = "KEY_EXPIRED"
    KEY_EXHAUSTED = "KEY_EXHAUSTED"
    CRYPTOGRAM_REPLAYED = "CRYPTOGRAM_REPLAYED"
    CRYPTOGRAM_INVALID = "CRYPTOGRAM_INVALID"
    ACCOUNT_MISMATCH = "ACCOUNT_MISMATCH"
    PROVISIONING_DECLINED = "PROVISIONING_DECLINED"
    STEP_UP_REQUIRED = "STEP_UP_REQUIRED"
    ISSUER_DECLINED = "ISSUER_DECLINED"


# ---------------------------------------------------------------- Luhn and token numbers


def luhn_check_digit(partial: str) -> str:
    """The Luhn (ISO/IEC 7812-1) check digit to append to ``partial``."""
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:  # these positions are doubled once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """True if ``number`` is all digits and its last digit is the Luhn check digit of the rest."""
    return len(number) >= 2 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


@dataclass(frozen=True, slots=True)
class TokenBinRange:
    """A token BIN range: token numbers start with ``prefix`` and are ``length`` digits long."""

    prefix: str
    length: int = 16

    def __post_init__(self) -> None:
        if not (self.prefix.isdigit() and 6 <= len(self.prefix) <= 11):
            raise ValueError("a token BIN prefix is 6 to 11 digits")
        if not 13 <= self.length <= 19 or self.length - len(self.prefix) < 3:
            raise ValueError("token numbers are 13 to 19 digits with room after the prefix")

    def contains(self, number: str) -> bool:
        """True if ``number`` belongs to this range."""
        return len(number) == self.length and number.startswith(self.prefix)


def new_token_number(bin_range: TokenBinRange, real_number: str,
                     taken: Callable[[str], bool] = lambda _n: False,
                     random_digits: Callable[[int], str] | None = None) -> str:
    """A random Luhn-valid token number from ``bin_range`` that is neither ``real_number`` nor taken."""
    draw = random_digits or (lambda n: "".join(secrets.choice("0123456789") for _ in range(n)))
    body = bin_range.length - len(bin_range.prefix) - 1
    for _ in range(100):
        partial = bin_range.prefix + draw(body)
        number = partial + luhn_check_digit(partial)
        if number != real_number and not taken(number):
            return number
    raise RuntimeError(f"token BIN range {bin_range.prefix} is exhausted")


def ff1_token_number(bin_range: TokenBinRange, real_number: str, key_hex: str) -> str:
    """A format-preserving token number: FF1 (NIST SP 800-38G; not FF3-1, withdrawn in the 2025 draft)
    over the account digits between the issuer BIN and the check digit, tweaked by the issuer BIN,
    placed after a 6-digit token BIN with a fresh Luhn digit. Deterministic for one key; different
    issuer BINs may meet on one number, so the caller still checks the vault and falls back to
    :func:`new_token_number`."""
    from fastfpe import ff1

    if len(bin_range.prefix) != 6 or bin_range.length != len(real_number) or not luhn_valid(real_number):
        raise ValueError("FF1 tokens need a 6-digit token BIN and a Luhn-valid number of the same length")
    middle: str = ff1.encrypt(key_hex, real_number[:6].encode().hex(), "0123456789", real_number[6:-1])
    partial = bin_range.prefix + middle
    return partial + luhn_check_digit(partial)


def payment_account_reference(secret: bytes, bin_controller: str, account_number: str) -> str:
    """The 29-character PAR: a 4-character BIN controller id and 25 characters derived from a keyed
    digest of the account number, so it links the account's tokens and reveals nothing of it."""
    if len(bin_controller) != 4 or not bin_controller.isalnum():
        raise ValueError("the BIN controller identifier is 4 letters or digits")
    digest = int.from_bytes(hmac.new(secret, account_number.encode(), hashlib.sha256).digest(), "big")
    chars = []
    for _ in range(25):
        chars.append(_BASE32[digest & 31])
        digest >>= 5
    return bin_controller.upper() + "".join(chars)


def mask(number: str) -> str:
    """Only the last four digits of a card, account or token number."""
    return "****" + number[-4:]


# ---------------------------------------------------------------- domain restriction controls


@dataclass(frozen=True, slots=True)
class Controls:
    """Where a token may be used: merchants and channels (empty = any), its device, a per-use amount
    limit in fen and the token's expiry (last day of the month)."""

    merchants: frozenset[str] = field(default_factory=frozenset)
    channels: frozenset[str] = field(default_factory=frozenset)
    device_id: str | None = None
    max_amount_fen: int | None = None
    expires_on: date | None = None

    def as_dict(self) -> dict[str, object]:
        """The controls as JSON-ready data."""
        return {"merchants": sorted(self.merchants), "channels": sorted(self.channels),
                "device_id": self.device_id, "max_amount_fen": self.max_amount_fen,
                "expires_on": self.expires_on.isoformat() if self.expires_on else None}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Controls:
        """The controls stored by :meth:`as_dict`."""
        expires = data.get("expires_on")
        limit = data.get("max_amount_fen")
        device = data.get("device_id")
        return cls(merchants=frozenset(str(m) for m in _items(data.get("merchants"))),
                   channels=frozenset(str(c) for c in _items(data.get("channels"))),
                   device_id=None if device is None else str(device),
                   max_amount_fen=None if limit is None else int(str(limit)),
                   expires_on=None if expires is None else date.fromisoformat(str(expires)))


def _items(value: object) -> Iterable[object]:
    return value if isinstance(value, list | tuple | set | frozenset) else ()


@dataclass(frozen=True, slots=True)
class Use:
    """One attempted use of a token."""

    requestor_id: str
    merchant_id: str
    channel: str
    amount_fen: int
    on: date
    device_id: str | None = None


class TokenState(StrEnum):
    """Where a token is in its life: requested (waiting for step-up), active, suspended, deleted."""

    REQUESTED = "requested"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


_TRANSITIONS: dict[str, dict[TokenState, frozenset[TokenState]]] = {
    "activate": {TokenState.ACTIVE: frozenset({TokenState.REQUESTED})},
    "suspend": {TokenState.SUSPENDED: frozenset({TokenState.ACTIVE})},
    "resume": {TokenState.ACTIVE: frozenset({TokenState.SUSPENDED})},
    "delete": {TokenState.DELETED: frozenset({TokenState.REQUESTED, TokenState.ACTIVE,
                                              TokenState.SUSPENDED})},
}


PAST_TENSE = {"activate": "activated", "suspend": "suspended", "resume": "resumed", "delete": "deleted"}


def next_state(current: TokenState, action: str) -> TokenState | None:
    """The state after ``action`` (activate, suspend, resume, delete), or None if not allowed now."""
    for target, sources in _TRANSITIONS[action].items():
        if current in sources:
            return target
    return None


def check_use(state: TokenState, token_requestor_id: str, controls: Controls, use: Use,
              card_expires_on: date | None = None) -> Reason | None:
    """The first reason ``use`` is refused, or None when the token may be used so. The token's own
    expiry (``controls.expires_on``) and the card's are separate: either past refuses."""
    if use.requestor_id != token_requestor_id:
        return Reason.REQUESTOR_MISMATCH
    if state is TokenState.DELETED:
        return Reason.TOKEN_DELETED
    if state is TokenState.SUSPENDED:
        return Reason.TOKEN_SUSPENDED
    if state is not TokenState.ACTIVE:
        return Reason.TOKEN_INACTIVE
    if controls.expires_on is not None and use.on > controls.expires_on:
        return Reason.TOKEN_EXPIRED
    if card_expires_on is not None and use.on > card_expires_on:
        return Reason.ACCOUNT_EXPIRED
    if controls.merchants and use.merchant_id not in controls.merchants:
        return Reason.MERCHANT_NOT_ALLOWED
    if controls.channels and use.channel not in controls.channels:
        return Reason.CHANNEL_NOT_ALLOWED
    if controls.device_id is not None and use.device_id != controls.device_id:
        return Reason.DEVICE_MISMATCH
    if controls.max_amount_fen is not None and use.amount_fen > controls.max_amount_fen:
        return Reason.AMOUNT_OVER_LIMIT
    return None


def last_day_of_month(year: int, month: int) -> date:
    """The day a card expiring ``month``/``year`` stops working after."""
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


# ---------------------------------------------------------------- cryptogram


def cryptogram_key(master: bytes, token_id: str) -> bytes:
    """A key derived per token (and per ``token_id`` label) from a master key."""
    return hmac.new(master, b"bayfin.tokens.cryptogram:" + token_id.encode(), hashlib.sha256).digest()


def limited_use_key(master: bytes, token_id: str, token_number: str, sequence: int) -> bytes:
    """The token's limited-use key number ``sequence``: each replenishment hands the device the next
    one, and the old one stops working."""
    return cryptogram_key(master, f"{token_id}:{token_number}:luk{sequence}")


def check_key(expires_at: datetime | None, uses: int, max_uses: int, now: datetime) -> Reason | None:
    """None while the limited-use key is within its lifetime and its number of uses."""
    if expires_at is None or now >= expires_at:
        return Reason.KEY_EXPIRED
    if uses >= max_uses:
        return Reason.KEY_EXHAUSTED
    return None


def counter_in_window(atc: int, highest_seen: int, window: int) -> bool:
    """True if ``atc`` is above the highest counter seen, or at most ``window`` below it (a payment
    that arrives late); whether it was used already is the payment record's unique counter."""
    return atc > highest_seen - window


def cryptogram(key: bytes, token_number: str, amount_fen: int, merchant_id: str, atc: int) -> str:
    """The transaction cryptogram: HMAC-SHA-256 over token, amount, merchant and counter, 16 hex chars."""
    message = f"{token_number}|{amount_fen}|{merchant_id}|{atc}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def verify_cryptogram(key: bytes, token_number: str, amount_fen: int, merchant_id: str, atc: int,
                      presented: str) -> Reason | None:
    """None when ``presented`` is the cryptogram of this transaction under ``key``; a MAC over other
    values (or under another key) is refused. The counter's freshness is checked apart."""
    expected = cryptogram(key, token_number, amount_fen, merchant_id, atc)
    if not hmac.compare_digest(expected, presented.lower()):
        return Reason.CRYPTOGRAM_INVALID
    return None


# ---------------------------------------------------------------- identity and verification


class Verdict(StrEnum):
    """The provisioning decision of identity and verification (ID&V)."""

    APPROVE = "approve"
    STEP_UP = "step_up"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True)
class IdvDecision:
    """The ID&V verdict and the assurance level the token is provisioned with."""

    verdict: Verdict
    assurance: str  # "standard" (risk engine allowed), "step_up" (the holder stepped up), "none"


def identify_and_verify(risk_outcome: str, acr: str | None, issuer: str = "approve") -> IdvDecision:
    """Approve, ask for a step-up, or decline, from the issuer's decision (approve, step_up — a
    one-time code to the holder that only the issuer can check — or decline), the anti-fraud outcome
    (ALLOW, CHALLENGE, REVIEW, BLOCK) and the step-up the caller already carries (``acr``)."""
    stepped_up = acr in STEP_UP_ACRS
    if issuer == "decline" or risk_outcome == "BLOCK":
        return IdvDecision(Verdict.DECLINE, "none")
    if issuer == "step_up":
        return IdvDecision(Verdict.STEP_UP, "none")
    if risk_outcome == "ALLOW":
        return IdvDecision(Verdict.APPROVE, "step_up" if stepped_up else "standard")
    if stepped_up:  # CHALLENGE or REVIEW, already answered by a second factor
        return IdvDecision(Verdict.APPROVE, "step_up")
    return IdvDecision(Verdict.STEP_UP, "none")
