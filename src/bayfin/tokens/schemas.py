"""API shapes of the token service and the wallet. Account numbers come in, never go out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from bayfin.kernel.fields import Line

Channel = Literal["in_app", "ecommerce", "qr", "nfc"]
AccountNumber = Annotated[str, Field(pattern=r"^[0-9]{12,19}$", description="card or account number")]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Amount = Annotated[StrictInt, Field(gt=0, le=1_000_000_000_000, description="amount in fen")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequestorIn(_In):
    """A token requestor to register."""

    name: Annotated[Line, Field(min_length=1, max_length=120)]
    kind: Literal["wallet", "merchant", "payment_institution"]
    client_id: Code
    merchants: Annotated[list[Code], Field(max_length=1000)] = []
    channels: list[Channel] = []
    webhook_url: Annotated[Line, Field(max_length=500, pattern=r"^https?://")] | None = None


class RequestorOut(BaseModel):
    """A registered requestor."""

    id: str
    name: str
    kind: str
    client_id: str
    merchants: list[str]
    channels: list[str]
    webhook_url: str | None


class RequestorCreated(RequestorOut):
    """A new requestor with its webhook signing secret, shown this once."""

    webhook_secret: str


class _Expiry(_In):
    expiry_month: Annotated[StrictInt, Field(ge=1, le=12)]
    expiry_year: Annotated[StrictInt, Field(ge=2000, le=2100)]


class ProvisionIn(_Expiry):
    """A requestor asks for a token for a card or account (card on file)."""

    account_number: AccountNumber
    bank_code: Code
    #: Ignored (kept so older requestors' calls still validate): the issuer names the holder.
    cardholder: Annotated[Line | None, Field(max_length=200, deprecated=True)] = None
    device_id: Code | None = None
    merchants: Annotated[list[Code], Field(max_length=1000)] | None = None
    channels: list[Channel] | None = None
    max_amount_fen: Amount | None = None


class BindIn(_Expiry):
    """A person binds a bank account to the wallet on a device."""

    account_number: AccountNumber
    bank_code: Code
    device_id: Code


class TokenOut(BaseModel):
    """A token as its requestor or holder sees it."""

    id: str
    number: str
    requestor_id: str
    device_id: str | None
    state: str
    assurance: str
    expires_on: date | None
    merchants: list[str]
    channels: list[str]
    max_amount_fen: int | None


class ProvisionOut(BaseModel):
    """A provisioned token: the ID&V verdict and the device's cryptogram key (shown this once)."""

    token: TokenOut
    verdict: Literal["approve", "step_up"]
    par: str
    account_last4: str
    cryptogram_key: str


class AccountUpdateIn(_Expiry):
    """The issuer replaces an account's number and/or expiry."""

    current_number: AccountNumber
    new_number: AccountNumber | None = None


class AccountUpdateOut(BaseModel):
    """What the update changed."""

    par: str
    account_last4: str
    expires_on: date
    tokens_updated: int


class PaymentIn(_In):
    """A payment by token with its transaction cryptogram."""

    token_number: Annotated[str, Field(pattern=r"^[0-9]{13,19}$")]
    amount_fen: Amount
    merchant_id: Code
    channel: Channel
    atc: Annotated[StrictInt, Field(ge=1, le=2_147_483_647, description="transaction counter")]
    cryptogram: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{16}$")]
    device_id: Code | None = None


class PaymentOut(BaseModel):
    """A payment by token: its id (the idempotency key the bank got), its state (poll while it is
    ``authorizing`` or ``reversal_pending``) and the issuer's answer."""

    payment_id: str
    state: Literal["authorizing", "approved", "declined", "reversal_pending", "reversed"]
    approved: bool
    response_code: str | None
    authorization_id: str | None
    token_id: str
    par: str
    amount_fen: int
    refunded_fen: int


class RefundIn(_In):
    """Part of a payment to give back."""

    amount_fen: Amount


class BankOperationOut(BaseModel):
    """A reversal or refund owed to the bank, and whether the bank has acknowledged it."""

    id: str
    payment_id: str
    kind: Literal["reversal", "refund"]
    amount_fen: int
    state: Literal["pending", "acknowledged", "refused"]


class ActivateIn(_In):
    """The one-time code the issuer sent the holder, when the issuer asked for a step-up."""

    otp: Annotated[str, Field(pattern=r"^[0-9]{4,10}$")] | None = None


class KeyOut(BaseModel):
    """A new limited-use key for the token's device, shown this once."""

    token_id: str
    cryptogram_key: str
    key_sequence: int
    expires_at: datetime
    max_uses: int


class WalletAccountOut(BaseModel):
    """One bound account (masked) with its tokens."""

    id: str
    bank_code: str
    account_last4: str
    par: str
    expires_on: date
    is_default: bool
    tokens: list[TokenOut]


class DeviceSuspended(BaseModel):
    """The tokens suspended for a lost device."""

    device_id: str
    suspended: list[str]
