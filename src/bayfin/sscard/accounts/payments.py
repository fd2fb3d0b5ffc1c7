"""Electronic-card payments: the rotating single-use QR payment code and medical-insurance payments
split between the insurance fund (统筹基金) and the holder's own account (个人自付)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bayfin.kernel.errors import Conflict, NotFound, ValidationFailed
from bayfin.sscard.accounts import repository as repo
from bayfin.sscard.accounts.cards import CardService
from bayfin.sscard.accounts.ledger import Leg, lock_accounts, post, system_account_name
from bayfin.sscard.domain import (
    CNY,
    CardKind,
    CardState,
    MedicalSplit,
    build_qr_payload,
    business_date,
    parse_qr_payload,
    split_medical,
)
from bayfin.sscard.models import Card, LedgerTxn, MedicalPayment, QrCode

QR_TTL_SECONDS = 60


@dataclass(frozen=True)
class MedicalPolicy:
    """The insurance rules applied to a bill: share of the covered part, yearly deductible and cap."""

    coverage_ratio: Decimal = Decimal("0.70")
    yearly_deductible_minor: int = 80_000
    yearly_fund_cap_minor: int = 30_000_000


@dataclass(frozen=True)
class IssuedQr:
    """A payment code and when it stops working."""

    payload: str
    expires_at: datetime


@dataclass(frozen=True)
class QrPaymentResult:
    """What a code payment booked."""

    txn_id: int
    card_id: str
    amount_minor: int
    split: MedicalSplit | None


class PaymentService:
    """Issues payment codes for electronic cards and books the payments made with them."""

    def __init__(self, cards: CardService, policy: MedicalPolicy | None = None) -> None:
        self.cards = cards
        self.policy = policy or MedicalPolicy()

    def issue_qr(self, session: Session, card_id: str, now: datetime,
                 ttl_seconds: int = QR_TTL_SECONDS) -> IssuedQr:
        """A fresh payment code for an active electronic card; each code pays once, until it expires or
        the next code is shown."""
        card = self.cards.get(session, card_id)
        if card.kind != CardKind.electronic:
            raise ValidationFailed("payment codes are issued for electronic cards")
        if card.state != CardState.active:
            raise Conflict(f"a {card.state} card cannot show a payment code")
        # Rotation: a new code retires the card's earlier unused ones, so only the latest can pay.
        repo.retire_qr_codes(session, card.id, now)
        token = secrets.token_hex(16)
        expires = now + timedelta(seconds=ttl_seconds)
        repo.add(session, QrCode(token=token, card_id=card.id, created_at=now, expires_at=expires))
        repo.flush(session)
        return IssuedQr(build_qr_payload(token=token, card_ref=card.id,
                                         expires_epoch=int(expires.timestamp())), expires)

    def _redeem(self, session: Session, payload: str, now: datetime) -> Card:
        try:
            code = parse_qr_payload(payload)
        except ValueError as exc:
            raise ValidationFailed(f"invalid payment code: {exc}") from exc
        # Single use, enforced by the database: only one transaction can flip used_at from NULL.
        if not repo.claim_qr_code(session, code.token, code.card_ref, now):
            row = repo.qr_code(session, code.token)
            if row is None or row.card_id != code.card_ref:
                raise NotFound("unknown payment code")
            raise Conflict("payment code already used" if row.used_at else "payment code expired")
        card = self.cards.get(session, code.card_ref)
        if card.state != CardState.active:
            raise Conflict(f"a {card.state} card cannot pay")
        return card

    def pay(self, session: Session, payload: str, amount_minor: int, now: datetime) -> QrPaymentResult:
        """Pay a merchant in CNY with a scanned code, from the card's account."""
        if amount_minor <= 0:
            raise ValidationFailed("amount must be positive")
        card = self._redeem(session, payload, now)
        balance = lock_accounts(session, [card.account_id])[card.account_id]
        if balance < amount_minor:
            raise Conflict("insufficient funds", reason="insufficient_funds")
        txn = self._txn(card, "qr_purchase", amount_minor, now)
        payee = self.cards.accounts.id_of(session, system_account_name("settlement", CNY, card.bank_id))
        post(session, txn, [Leg(card.account_id, payee, CNY, amount_minor)])
        self._mark(session, payload, txn.id)
        return QrPaymentResult(txn.id, card.id, amount_minor, None)

    def pay_medical(self, session: Session, payload: str, *, total_minor: int, covered_minor: int,
                    provider: str, now: datetime) -> QrPaymentResult:
        """Pay a hospital or pharmacy bill: the fund's part from the insurance fund, the rest from the
        holder's account, within this year's deductible and fund cap."""
        if total_minor <= 0 or not 0 <= covered_minor <= total_minor:
            raise ValidationFailed("total must be positive and the covered part within it")
        card = self._redeem(session, payload, now)
        balance = lock_accounts(session, [card.account_id])[card.account_id]
        year_start = now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        spent, fund_used = repo.medical_totals_since(session, card.cardholder_id, year_start)
        split = split_medical(total_minor, covered_minor=covered_minor,
                              coverage_ratio=self.policy.coverage_ratio,
                              deductible_remaining_minor=self.policy.yearly_deductible_minor - int(spent),
                              fund_cap_remaining_minor=self.policy.yearly_fund_cap_minor - int(fund_used))
        if balance < split.personal_minor:
            raise Conflict("insufficient funds for the personal part", reason="insufficient_funds")
        accounts = self.cards.accounts
        providers = accounts.id_of(session, system_account_name("medical_providers", CNY))
        fund = accounts.id_of(session, system_account_name("medical_fund", CNY))
        txn = self._txn(card, "medical", total_minor, now)
        post(session, txn, [Leg(fund, providers, CNY, split.fund_minor),
                            Leg(card.account_id, providers, CNY, split.personal_minor)])
        repo.add(session, MedicalPayment(txn_id=txn.id, card_id=card.id, provider=provider,
                                         total_minor=total_minor, fund_minor=split.fund_minor,
                                         personal_minor=split.personal_minor, created_at=now))
        self._mark(session, payload, txn.id)
        repo.flush(session)
        return QrPaymentResult(txn.id, card.id, total_minor, split)

    @staticmethod
    def _txn(card: Card, kind: str, amount_minor: int, now: datetime) -> LedgerTxn:
        return LedgerTxn(kind=kind, business_date=business_date(now), created_at=now,
                         card_id=card.id, bank_id=card.bank_id, region="GD", cross_border=False,
                         amount_minor=amount_minor, currency=CNY, billing_minor=amount_minor,
                         billing_currency=CNY, spread_minor=0, applied_rate="1")

    @staticmethod
    def _mark(session: Session, payload: str, txn_id: int) -> None:
        token = parse_qr_payload(payload).token
        repo.link_qr_code(session, token, txn_id)


@dataclass(frozen=True)
class MedicalPaymentRecord:
    """A booked medical-insurance payment, as other modules read it (terminal compliance)."""

    id: int
    txn_id: int
    card_id: str
    provider: str
    total_minor: int
    fund_minor: int
    personal_minor: int
    created_at: datetime


def _record(row: MedicalPayment) -> MedicalPaymentRecord:
    return MedicalPaymentRecord(row.id, row.txn_id, row.card_id, row.provider, row.total_minor,
                                row.fund_minor, row.personal_minor, row.created_at)


def medical_payments_since(session: Session, since: datetime) -> list[MedicalPaymentRecord]:
    """Medical-insurance payments booked since a time, oldest first."""
    return [_record(p) for p in repo.medical_payments_since(session, since)]


def medical_payments_after(session: Session, after_id: int, limit: int) -> list[MedicalPaymentRecord]:
    """Up to ``limit`` medical-insurance payments with an id above ``after_id``, in id order (for
    incremental readers)."""
    return [_record(p) for p in repo.medical_payments_after(session, after_id, limit)]


def medical_payments_at(session: Session, providers: Sequence[str],
                        since: datetime) -> list[MedicalPaymentRecord]:
    """Medical-insurance payments booked at any of these providers since a time, oldest first."""
    return [_record(p) for p in repo.medical_payments_at(session, providers, since)]
