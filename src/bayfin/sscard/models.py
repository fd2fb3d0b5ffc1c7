"""Tables of the social-security-card module: banks, channels, holders, cards, the double-entry ledger,
daily usage against limits, switch messages (exactly-once) and QR payment codes.

The ledger's balance is enforced by the schema itself: an entry moves one positive amount from one
account to another *in one currency*, and composite foreign keys ``(account_id, currency)`` make both
accounts hold that currency. A transaction is a set of entries, so its postings sum to zero in every
currency by construction. The cached balance carries a CHECK that forbids overdraft on holder accounts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bayfin.kernel.db import Base, UTCDateTime

BigInt = BigInteger().with_variant(Integer(), "sqlite")


class Bank(Base):
    """A cooperating bank (合作银行) that issues social-security cards and holds their accounts."""

    __tablename__ = "sscard_banks"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    iin: Mapped[str] = mapped_column(String(6), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Channel(Base):
    """A registered channel through which electronic cards are issued (bank app, government app…)."""

    __tablename__ = "sscard_channels"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Cardholder(Base):
    """A person holding a social-security card; the ID number is kept only as a keyed digest."""

    __tablename__ = "sscard_cardholders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number_digest: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    """A ledger account in one currency: a card's account or a system account (settlement, FX…)."""

    __tablename__ = "sscard_accounts"
    __table_args__ = (
        UniqueConstraint("id", "currency", name="uq_sscard_accounts_id_currency"),
        CheckConstraint("may_go_negative OR balance_minor >= 0", name="no_overdraft"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    bank_id: Mapped[str | None] = mapped_column(ForeignKey("sscard_banks.id"), index=True)
    currency: Mapped[int] = mapped_column(Integer)
    balance_minor: Mapped[int] = mapped_column(BigInt, default=0)
    may_go_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Card(Base):
    """A physical or electronic card; electronic ones are bound to a physical card and share its account."""

    __tablename__ = "sscard_cards"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cardholder_id: Mapped[str] = mapped_column(ForeignKey("sscard_cardholders.id"), index=True)
    bank_id: Mapped[str] = mapped_column(ForeignKey("sscard_banks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(12))
    pan_digest: Mapped[str] = mapped_column(String(64), unique=True)
    pan_masked: Mapped[str] = mapped_column(String(24))
    account_id: Mapped[int] = mapped_column(ForeignKey("sscard_accounts.id"), index=True)
    bound_card_id: Mapped[str | None] = mapped_column(ForeignKey("sscard_cards.id"), index=True)
    channel_id: Mapped[str | None] = mapped_column(ForeignKey("sscard_channels.id"), index=True)
    daily_limit_minor: Mapped[int] = mapped_column(BigInt)
    #: Expiry date as printed and encoded on the card (YYMM); checked against fields 14/35.
    expiry: Mapped[str | None] = mapped_column(String(4))
    #: Keyed PIN reference (see sscard.keys.pin_reference); never the PIN itself.
    pin_reference: Mapped[str | None] = mapped_column(String(64))
    #: Wrong PINs in a row; at PIN_TRIES the card refuses PIN transactions (75) until a new PIN is set.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TypeLimit(Base):
    """The daily cross-border limit for one transaction type, in the card's currency (CNY fen)."""

    __tablename__ = "sscard_type_limits"

    txn_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    daily_limit_minor: Mapped[int] = mapped_column(BigInt)


class FxRate(Base):
    """The day's middle rate (billing units per transaction unit) and the spread charged on top."""

    __tablename__ = "sscard_fx_rates"

    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[int] = mapped_column(Integer, primary_key=True)
    billing_currency: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Decimal kept as text: exact on both databases without SQLite's float-backed Numeric.
    mid_rate: Mapped[str] = mapped_column(String(24))
    spread: Mapped[str] = mapped_column(String(12))


class LedgerTxn(Base):
    """One business movement (purchase, withdrawal, transfer, hold, medical payment or a reversal)."""

    __tablename__ = "sscard_ledger_txns"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    card_id: Mapped[str | None] = mapped_column(ForeignKey("sscard_cards.id"), index=True)
    bank_id: Mapped[str | None] = mapped_column(ForeignKey("sscard_banks.id"), index=True)
    region: Mapped[str | None] = mapped_column(String(2))
    cross_border: Mapped[bool] = mapped_column(Boolean, default=False)
    amount_minor: Mapped[int] = mapped_column(BigInt)
    currency: Mapped[int] = mapped_column(Integer)
    billing_minor: Mapped[int] = mapped_column(BigInt)
    billing_currency: Mapped[int] = mapped_column(Integer)
    spread_minor: Mapped[int] = mapped_column(BigInt, default=0)
    applied_rate: Mapped[str] = mapped_column(String(24), default="1")
    # Unique: a transaction can be reversed at most once, whatever races the switch sees.
    reverses_txn_id: Mapped[int | None] = mapped_column(ForeignKey("sscard_ledger_txns.id"), unique=True)


class Entry(Base):
    """A balanced movement of a positive amount between two accounts of the same currency."""

    __tablename__ = "sscard_entries"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="positive_amount"),
        CheckConstraint("source_account_id <> destination_account_id", name="distinct_accounts"),
        ForeignKeyConstraint(["source_account_id", "currency"],
                             ["sscard_accounts.id", "sscard_accounts.currency"],
                             name="fk_sscard_entries_source_currency"),
        ForeignKeyConstraint(["destination_account_id", "currency"],
                             ["sscard_accounts.id", "sscard_accounts.currency"],
                             name="fk_sscard_entries_destination_currency"),
    )

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("sscard_ledger_txns.id"), index=True)
    source_account_id: Mapped[int] = mapped_column(BigInt, index=True)
    destination_account_id: Mapped[int] = mapped_column(BigInt, index=True)
    currency: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInt)


class DailyUsage(Base):
    """How much of a card's daily cross-border limit one transaction type used on one business date."""

    __tablename__ = "sscard_daily_usage"

    card_id: Mapped[str] = mapped_column(ForeignKey("sscard_cards.id"), primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, primary_key=True)
    txn_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    used_minor: Mapped[int] = mapped_column(BigInt, default=0)


class SwitchMessage(Base):
    """One ISO 8583 request as first received, with the response sent: the exactly-once record."""

    __tablename__ = "sscard_switch_messages"
    __table_args__ = (UniqueConstraint("acquirer_id", "message_class", "stan", "rrn",
                                       name="uq_sscard_switch_messages_key"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    acquirer_id: Mapped[str] = mapped_column(String(11))
    message_class: Mapped[str] = mapped_column(String(16))
    stan: Mapped[str] = mapped_column(String(6))
    rrn: Mapped[str] = mapped_column(String(12))
    request_mti: Mapped[str] = mapped_column(String(4))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_code: Mapped[str] = mapped_column(String(2))
    response_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("sscard_ledger_txns.id"), index=True)
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QrCode(Base):
    """A single-use, time-limited payment code issued for an electronic card."""

    __tablename__ = "sscard_qr_codes"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("sscard_cards.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("sscard_ledger_txns.id"))


class MedicalPayment(Base):
    """A medical-insurance payment: the bill split into the fund's part and the holder's part."""

    __tablename__ = "sscard_medical_payments"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("sscard_ledger_txns.id"), unique=True)
    card_id: Mapped[str] = mapped_column(ForeignKey("sscard_cards.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    total_minor: Mapped[int] = mapped_column(BigInt)
    fund_minor: Mapped[int] = mapped_column(BigInt)
    personal_minor: Mapped[int] = mapped_column(BigInt)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CounterDeposit(Base):
    """A deposit made at a counter (API or CLI), keyed by the depositor's own reference: a retried
    request finds its first outcome here instead of crediting the card again."""

    __tablename__ = "sscard_counter_deposits"
    __table_args__ = (UniqueConstraint("source", "reference", name="uq_sscard_counter_deposits_ref"),)

    id: Mapped[int] = mapped_column(BigInt, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64))
    card_id: Mapped[str] = mapped_column(ForeignKey("sscard_cards.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInt)
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("sscard_ledger_txns.id"), unique=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
