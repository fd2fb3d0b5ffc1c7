"""Every query of the social-security-card module that more than one use case needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.sscard.accounts import seeds
from bayfin.sscard.models import (
    Card,
    Cardholder,
    DailyUsage,
    Entry,
    FxRate,
    LedgerTxn,
    MedicalPayment,
    TypeLimit,
)


def card_by_pan_digest(session: Session, digest: str) -> Card | None:
    """The card whose number has this digest."""
    return session.scalar(select(Card).where(Card.pan_digest == digest))


def card(session: Session, card_id: str) -> Card | None:
    """A card by id."""
    return session.get(Card, card_id)


def cardholder_by_subject(session: Session, subject: str) -> Cardholder | None:
    """The cardholder a login subject belongs to."""
    return session.scalar(select(Cardholder).where(Cardholder.subject == subject))


def cards_of(session: Session, cardholder_id: str) -> list[Card]:
    """Every card of a holder, physical first."""
    return list(session.scalars(select(Card).where(Card.cardholder_id == cardholder_id)
                                .order_by(Card.kind.desc(), Card.issued_at)))


def type_limit(session: Session, txn_type: str) -> int | None:
    """The configured daily cross-border limit of a type (the seed's default when not configured)."""
    found = session.get(TypeLimit, txn_type)
    return found.daily_limit_minor if found else seeds.TYPE_LIMITS.get(txn_type)


def usage_today(session: Session, card_id: str, day: date) -> dict[str, DailyUsage]:
    """This card's cross-border usage rows for the day, by type."""
    rows = session.scalars(select(DailyUsage).where(DailyUsage.card_id == card_id,
                                                    DailyUsage.business_date == day)).all()
    return {r.txn_type: r for r in rows}


def fx_rate(session: Session, day: date, currency: int, billing_currency: int) -> tuple[Decimal, Decimal]:
    """The day's (mid rate, spread): the latest loaded on or before ``day``, else the seed's default."""
    row = session.scalar(select(FxRate).where(FxRate.currency == currency,
                                              FxRate.billing_currency == billing_currency,
                                              FxRate.business_date <= day)
                         .order_by(FxRate.business_date.desc()).limit(1))
    if row is not None:
        return Decimal(row.mid_rate), Decimal(row.spread)
    if currency in seeds.DEFAULT_RATES:
        mid, spread = seeds.DEFAULT_RATES[currency]
        return Decimal(mid), Decimal(spread)
    raise LookupError(f"no rate for {currency}→{billing_currency}")


def statement(session: Session, account_id: int, start: date, end: date,
              page: PageRequest | None = None) -> list[tuple[LedgerTxn, int]]:
    """Ledger transactions touching an account between two business dates, with the signed amount
    each moved on it (credit positive), newest first: a page, one row beyond."""
    page = page or PageRequest(limit=500)
    # the page's transactions first, then only their entries: a long statement is never read whole
    on_account = or_(Entry.source_account_id == account_id, Entry.destination_account_id == account_id)
    touching = select(LedgerTxn).where(LedgerTxn.id.in_(select(Entry.txn_id).where(on_account)),
                                       LedgerTxn.business_date >= start, LedgerTxn.business_date <= end)
    txns = session.scalars(keyset(touching, [LedgerTxn.id], page, descending=True)).all()
    rows: dict[int, int] = {}
    for e in session.scalars(select(Entry).where(Entry.txn_id.in_([t.id for t in txns]), on_account)):
        sign = 1 if e.destination_account_id == account_id else -1
        rows[e.txn_id] = rows.get(e.txn_id, 0) + sign * e.amount_minor
    return [(t, rows[t.id]) for t in txns]


def medical_payments_since(session: Session, since: datetime) -> list[MedicalPayment]:
    """Medical-insurance payments booked since a time, oldest first (read by terminal compliance)."""
    return list(session.scalars(select(MedicalPayment).where(MedicalPayment.created_at >= since)
                                .order_by(MedicalPayment.created_at, MedicalPayment.id)).all())


def medical_payments_after(session: Session, after_id: int, limit: int) -> list[MedicalPayment]:
    """Up to ``limit`` medical-insurance payments with an id above ``after_id``, in id order (for
    incremental readers such as terminal compliance)."""
    return list(session.scalars(select(MedicalPayment).where(MedicalPayment.id > after_id)
                                .order_by(MedicalPayment.id).limit(limit)).all())


def medical_payments_at(session: Session, providers: Sequence[str], since: datetime) -> list[MedicalPayment]:
    """Medical-insurance payments booked at any of these providers since a time, oldest first."""
    if not providers:
        return []
    return list(session.scalars(select(MedicalPayment).where(MedicalPayment.provider.in_(providers),
                                                             MedicalPayment.created_at >= since)
                                .order_by(MedicalPayment.created_at, MedicalPayment.id)).all())
