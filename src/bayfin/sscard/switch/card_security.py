"""Card-present checks of an authorization or financial request: expiry and PIN.

The request must carry the card's expiry date — field 14, or the track-2 equivalent data of field 35
(whose card number must be field 2's, checked during validation) — and it must equal the expiry the
card was issued with and not lie in the past. Field 52 must carry the cardholder's PIN in an ISO 9564
format 0 block under the acquirer's PIN key; the key store checks it against the card's reference.
A wrong or missing expiry answers 54, a wrong or missing PIN 55: the answers do not tell which part
of the expiry was wrong. After PIN_TRIES wrong PINs in a row the card answers 75 to every PIN
transaction until the issuer sets a new PIN (``CardService.set_pin``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bayfin.sscard.domain import Rc
from bayfin.sscard.keys import KeyStore
from bayfin.sscard.models import Card
from bayfin.sscard.switch import repository as repo
from bayfin.sscard.switch.validation import parse_track2

PIN_TRIES = 3


def presented_expiry(fields: dict[str, str]) -> str | None:
    """The expiry (YYMM) the request presents, or None when it presents none or two that differ."""
    from_track = parse_track2(fields["35"])[1] if "35" in fields else None  # type: ignore[index]
    from_field = fields.get("14")
    if from_track and from_field and from_track != from_field:
        return None
    return from_field or from_track


def check_card(card: Card, fields: dict[str, str], acquirer_id: str, keys: KeyStore,
               now: datetime, *, pin_required: bool = True) -> Rc | None:
    """The decline a card-present request earns, or None when expiry and PIN are right (a PIN
    block sent when none is required is still checked)."""
    expiry = presented_expiry(fields)
    if expiry is None or card.expiry is None or expiry != card.expiry or expiry < now.strftime("%y%m"):
        return Rc.expired_card
    block = fields.get("52")
    if block is None and not pin_required:
        return None
    if (card.pin_failures or 0) >= PIN_TRIES:
        return Rc.pin_tries_exceeded
    if block is None or card.pin_reference is None:
        return Rc.incorrect_pin
    if not keys.verify_pin(acquirer_id, fields["2"], bytes.fromhex(block), card.pin_reference):
        return Rc.incorrect_pin
    return None


def record_pin_result(session: Session, card: Card, verdict: Rc | None, fields: dict[str, str]) -> None:
    """Count a wrong PIN (kept even though the message is declined) or clear the count after a right
    one. The caller holds the card account's lock, so concurrent attempts cannot both slip under."""
    if verdict is Rc.incorrect_pin and "52" in fields:
        repo.count_wrong_pin(session, card.id)
    elif verdict is None and "52" in fields and card.pin_failures:
        repo.clear_wrong_pins(session, card.id)
