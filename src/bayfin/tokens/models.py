"""Tables of payment tokenisation: token requestors, the vault of accounts, tokens, webhook outbox,
payments by token and the outbox of operations owed to banks (reversals, refunds)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

_BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Requestor(Base):
    """A token requestor (wallet, merchant, payment institution) with its 11-digit id, the identity
    platform client it signs in as, and the domains its tokens may be used in."""

    __tablename__ = "tokens_requestors"

    id: Mapped[str] = mapped_column(String(11), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(24))  # wallet | merchant | payment_institution
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    merchants: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: any merchant
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: any channel
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    """A vault record: one bank account or card number, sealed (envelope encryption), with its PAR,
    the person who holds it in the wallet and the issuing bank."""

    __tablename__ = "tokens_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number_digest: Mapped[str] = mapped_column(String(64), unique=True)
    par: Mapped[str] = mapped_column(String(29), index=True)
    last4: Mapped[str] = mapped_column(String(4))
    expires_on: Mapped[date] = mapped_column(Date)
    bank_code: Mapped[str] = mapped_column(String(20))
    holder: Mapped[str] = mapped_column(String(200), index=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    master_key_id: Mapped[str] = mapped_column(String(40), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Token(Base):
    """A payment token: its number, the account and requestor it belongs to, the holder the issuer
    named for it, its device, state, domain restriction controls (with the token's own expiry), the
    highest transaction counter seen and its current limited-use key (sequence, expiry, uses)."""

    __tablename__ = "tokens_tokens"
    __table_args__ = (UniqueConstraint("account_id", "requestor_id", "device_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[str] = mapped_column(String(19), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("tokens_accounts.id"), index=True)
    requestor_id: Mapped[str] = mapped_column(ForeignKey("tokens_requestors.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(100), default="")  # "" for card-on-file tokens
    state: Mapped[str] = mapped_column(String(12))
    assurance: Mapped[str] = mapped_column(String(12))
    controls: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    atc: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str] = mapped_column(String(200), index=True)
    luk_seq: Mapped[int] = mapped_column(Integer, default=1)
    #: NULL on tokens from before limited-use keys: their key counts as expired until replenished.
    luk_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    luk_uses: Mapped[int] = mapped_column(Integer, default=0)
    #: Why a suspended token is suspended ("device_lost" needs the holder's step-up to resume).
    suspended_for: Mapped[str | None] = mapped_column(String(24))
    #: The issuer's step-up reference while the token waits for the holder's one-time code.
    step_up_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Webhook(Base):
    """A state-change notification to a requestor, kept until delivered (the outbox)."""

    __tablename__ = "tokens_webhooks"
    __table_args__ = (Index("ix_tokens_webhooks_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    requestor_id: Mapped[str] = mapped_column(ForeignKey("tokens_requestors.id"), index=True)
    token_id: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TokenPayment(Base):
    """A payment by token, written (with the counter it used) before the issuer is called; its id is
    the idempotency key the bank receives. States: authorizing → approved | declined |
    reversal_pending → reversed."""

    __tablename__ = "tokens_payments"
    __table_args__ = (UniqueConstraint("token_id", "atc"),
                      Index("ix_tokens_payments_state_updated", "state", "updated_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("tokens_tokens.id"))
    requestor_id: Mapped[str] = mapped_column(ForeignKey("tokens_requestors.id"), index=True)
    atc: Mapped[int] = mapped_column(Integer)
    bank_code: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(_BigInt)
    merchant_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(20))
    response_code: Mapped[str | None] = mapped_column(String(4))
    authorization_id: Mapped[str | None] = mapped_column(String(64))
    refunded_fen: Mapped[int] = mapped_column(_BigInt, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BankOperation(Base):
    """A reversal or refund owed to a bank, kept until the bank acknowledges it (the outbox)."""

    __tablename__ = "tokens_bank_operations"
    __table_args__ = (Index("ix_tokens_bank_operations_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the refund id the bank receives
    payment_id: Mapped[str] = mapped_column(ForeignKey("tokens_payments.id"), index=True)
    bank_code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(12))  # reversal | refund
    amount_fen: Mapped[int] = mapped_column(_BigInt)
    state: Mapped[str] = mapped_column(String(12))  # pending | acknowledged | refused
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
