"""API shapes of the social-security-card module; card and ID numbers only ever appear masked."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from bayfin.kernel.fields import StrictInt, Text
from bayfin.sscard.domain import CardState


class CardOut(BaseModel):
    """A card as its holder or an operator sees it."""

    id: str
    kind: str
    state: str
    bank_id: str
    pan_masked: str
    bound_card_id: str | None
    channel_id: str | None
    daily_limit_minor: int


class CardholderView(BaseModel):
    """A card with its holder, for operators: name and ID number masked."""

    card: CardOut
    holder_name_masked: str
    id_number_masked: str
    balance_minor: int


class BalanceOut(BaseModel):
    """Available balance of a card's account."""

    card_id: str
    currency: int = 156
    balance_minor: int
    balance_yuan: Decimal


class StatementLine(BaseModel):
    """One movement on the card's account, with the foreign amount and the FX spread shown."""

    txn_id: int
    kind: str
    business_date: date
    booked_at: datetime
    amount_minor: int = Field(description="Signed CNY fen: negative leaves the account.")
    region: str | None
    original_amount_minor: int
    original_currency: int
    applied_rate: str
    spread_minor: int
    reverses_txn_id: int | None


class EcardIn(BaseModel):
    """Ask for an electronic card bound to a physical card, through a registered channel."""

    physical_card_id: Text = Field(max_length=40)
    channel_id: Text = Field(max_length=40)


class QrOut(BaseModel):
    """A single-use payment code and its expiry."""

    payload: str
    expires_at: datetime


class StateIn(BaseModel):
    """A card life-cycle change."""

    state: CardState


class QrPaymentIn(BaseModel):
    """A merchant's or hospital's charge against a scanned payment code (CNY fen)."""

    payload: Text = Field(max_length=200)
    amount_minor: StrictInt = Field(gt=0, le=10_000_000_00)


class MedicalPaymentIn(BaseModel):
    """A medical bill charged against a scanned payment code: total and the insurance-covered part."""

    payload: Text = Field(max_length=200)
    total_minor: StrictInt = Field(gt=0, le=10_000_000_00)
    covered_minor: StrictInt = Field(ge=0, le=10_000_000_00)
    provider: Text = Field(min_length=1, max_length=40)


class PaymentOut(BaseModel):
    """What a code payment booked, with the medical split when there is one."""

    txn_id: int
    amount_minor: int
    fund_minor: int | None = None
    personal_minor: int | None = None


class StatOut(BaseModel):
    """Standing cross-border transactions of one region and type."""

    region: str
    txn_type: str
    count: int
    amount_cny_minor: int


class SettlementLineOut(BaseModel):
    """One bank-and-currency clearing position and its reconciliation against the ledger."""

    bank_id: str
    currency: int
    count: int
    gross_minor: int
    reversed_minor: int
    net_minor: int
    ledger_net_minor: int
    difference_minor: int


class CardholderIn(BaseModel):
    """Register a cardholder: the identity number is kept only as a keyed digest and a masked form."""

    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    id_number: str = Field(min_length=8, max_length=24, pattern=r"^[0-9A-Za-z]+$",
                           description="Resident identity card, HK/Macau permit or passport number.")
    subject: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                                description="The holder's identity-platform subject, for self-service.")


class CardholderOut(BaseModel):
    """A registered cardholder as operators see it (name and identity number masked)."""

    id: str
    name_masked: str
    id_number_masked: str
    subject: str | None
    created_at: datetime


class IssueCardIn(BaseModel):
    """Issue a physical card with its own CNY account at a cooperating bank."""

    model_config = {"extra": "forbid"}

    bank_id: str = Field(min_length=1, max_length=20, pattern=r"^[A-Z0-9_-]+$")
    daily_limit_minor: int | None = Field(default=None, strict=True, gt=0, le=10_000_000_00)


class IssuedCardOut(BaseModel):
    """A new card with its number, expiry and initial PIN, shown this once (for embossing and the PIN
    mailer) and never stored nor shown again."""

    card: CardOut
    pan: str
    expiry: str = Field(description="YYMM")
    initial_pin: str


class DepositIn(BaseModel):
    """A counter deposit in CNY fen. ``reference`` is the depositor's own transaction reference: a
    retry with the same reference answers the first deposit instead of crediting again."""

    model_config = {"extra": "forbid"}

    amount_minor: int = Field(strict=True, gt=0, le=10_000_000_00)
    reference: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$")


class DepositOut(BaseModel):
    """What a counter deposit booked; ``replayed`` when this answers an earlier request."""

    card_id: str
    reference: str
    amount_minor: int
    txn_id: int
    balance_minor: int
    replayed: bool
