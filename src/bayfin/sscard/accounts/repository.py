"""Every query of the accounts room: banks, channels, rates, holders, cards, counter deposits, payment
codes, medical payments and the double-entry ledger's rows (entries, balances, row locks)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bayfin.kernel.db import insert_new
from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.sscard.accounts import seeds
from bayfin.sscard.domain import CardState
from bayfin.sscard.models import (
    Account,
    Bank,
    Card,
    Cardholder,
    Channel,
    CounterDeposit,
    DailyUsage,
    Entry,
    FxRate,
    LedgerTxn,
    MedicalPayment,
    QrCode,
    TypeLimit,
)


def add(session: Session, *rows: object) -> None:
    """Stage new rows of this room's tables (written at the next flush)."""
    session.add_all(rows)


def flush(session: Session) -> None:
    """Write the staged rows and changes (ids become known; the edge still commits)."""
    session.flush()


# --- reference data --------------------------------------------------------------------------------
def bank(session: Session, bank_id: str) -> Bank | None:
    """A cooperating bank by id."""
    return session.get(Bank, bank_id)


def bank_ids(session: Session) -> list[str]:
    """The ids of every cooperating bank."""
    return list(session.scalars(select(Bank.id)))


def banks(session: Session) -> list[Bank]:
    """Every cooperating bank, by id."""
    return list(session.scalars(select(Bank).order_by(Bank.id)))


def channel(session: Session, channel_id: str) -> Channel | None:
    """A registered e-card channel by id."""
    return session.get(Channel, channel_id)


def channel_ids(session: Session) -> set[str]:
    """The ids of every registered channel."""
    return set(session.scalars(select(Channel.id)))


def channels(session: Session) -> list[Channel]:
    """Every registered channel, by id."""
    return list(session.scalars(select(Channel).order_by(Channel.id)))


def limited_types(session: Session) -> set[str]:
    """The transaction types with a configured daily limit."""
    return set(session.scalars(select(TypeLimit.txn_type)))


def fx_rate_row(session: Session, day: date, currency: int, billing_currency: int) -> FxRate | None:
    """The rate loaded for exactly this day and currency pair."""
    return session.get(FxRate, (day, currency, billing_currency))


def recent_fx_rates(session: Session, limit: int) -> list[FxRate]:
    """The latest loaded rates, newest first."""
    return list(session.scalars(select(FxRate).order_by(FxRate.business_date.desc()).limit(limit)))


# --- holders and cards -----------------------------------------------------------------------------
def cardholder(session: Session, cardholder_id: str) -> Cardholder | None:
    """A cardholder by id."""
    return session.get(Cardholder, cardholder_id)


def cardholder_id_by_id_digest(session: Session, digest: str) -> str | None:
    """The id of the holder whose identity number has this digest."""
    return session.scalar(select(Cardholder.id).where(Cardholder.id_number_digest == digest))


def live_ecards_of(session: Session, physical_card_id: str) -> list[Card]:
    """The electronic cards bound to a physical card and not cancelled."""
    return list(session.scalars(select(Card).where(Card.bound_card_id == physical_card_id,
                                                   Card.state != CardState.cancelled)))


def live_ecard_id(session: Session, physical_card_id: str) -> str | None:
    """The id of a physical card's electronic card that is not cancelled, if any."""
    return session.scalar(select(Card.id).where(Card.bound_card_id == physical_card_id,
                                                Card.state != CardState.cancelled))


def account(session: Session, account_id: int) -> Account | None:
    """A ledger account by id."""
    return session.get(Account, account_id)


def claim_counter_deposit(session: Session, *, source: str, reference: str, card_id: str,
                          amount_minor: int, requested_by: str, now: datetime) -> tuple[CounterDeposit, bool]:
    """Claim a depositor's ``(source, reference)`` with an insert that skips a taken key; returns the
    stored deposit and whether this call claimed it (False: it was there, a retry or a racing twin)."""
    table = CounterDeposit.__table__
    assert isinstance(table, Table)
    claimed = insert_new(session, table, [{
        "source": source, "reference": reference, "card_id": card_id, "amount_minor": amount_minor,
        "requested_by": requested_by, "created_at": now}], ("source", "reference"))
    claim = session.scalars(select(CounterDeposit).where(
        CounterDeposit.source == source, CounterDeposit.reference == reference)).one()
    return claim, bool(claimed)


# --- payment codes and medical payments ------------------------------------------------------------
def retire_qr_codes(session: Session, card_id: str, now: datetime) -> None:
    """Expire a card's unused, unexpired payment codes now (a new code replaces them)."""
    session.execute(update(QrCode).where(QrCode.card_id == card_id, QrCode.used_at.is_(None),
                                         QrCode.expires_at > now).values(expires_at=now))


def claim_qr_code(session: Session, token: str, card_id: str, now: datetime) -> bool:
    """Mark an unused, unexpired code used; True when this call did (only one transaction can flip
    ``used_at`` from NULL, so a code pays once)."""
    claimed = session.execute(update(QrCode).where(
        QrCode.token == token, QrCode.card_id == card_id, QrCode.used_at.is_(None),
        QrCode.expires_at > now).values(used_at=now))
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def qr_code(session: Session, token: str) -> QrCode | None:
    """A payment code by token."""
    return session.get(QrCode, token)


def link_qr_code(session: Session, token: str, txn_id: int) -> None:
    """Record which ledger transaction a code paid."""
    session.execute(update(QrCode).where(QrCode.token == token).values(txn_id=txn_id))


def medical_totals_since(session: Session, cardholder_id: str, since: datetime) -> tuple[int, int]:
    """(billed, paid by the fund) of every medical payment on any of a holder's cards since a time."""
    holder_cards = select(Card.id).where(Card.cardholder_id == cardholder_id)
    spent, fund_used = session.execute(
        select(func.coalesce(func.sum(MedicalPayment.total_minor), 0),
               func.coalesce(func.sum(MedicalPayment.fund_minor), 0))
        .where(MedicalPayment.card_id.in_(holder_cards), MedicalPayment.created_at >= since)).one()
    return int(spent), int(fund_used)


# --- the ledger's rows -----------------------------------------------------------------------------
def account_names_among(session: Session, names: Sequence[str]) -> set[str]:
    """Which of these account names exist."""
    return set(session.scalars(select(Account.name).where(Account.name.in_(list(names)))))


def account_id_by_name(session: Session, name: str) -> int | None:
    """The id of the named account."""
    found = session.scalar(select(Account.id).where(Account.name == name))
    return None if found is None else int(found)


def account_balance(session: Session, account_id: int) -> int:
    """An account's balance from its entries (the only balance a system account has)."""
    credited = session.scalar(select(func.coalesce(func.sum(Entry.amount_minor), 0))
                              .where(Entry.destination_account_id == account_id))
    debited = session.scalar(select(func.coalesce(func.sum(Entry.amount_minor), 0))
                             .where(Entry.source_account_id == account_id))
    return int(credited or 0) - int(debited or 0)


def lock_account(session: Session, account_id: int) -> int | None:
    """Take an account's write lock with a no-op ``UPDATE`` and return its cached balance (None when
    there is no such account)."""
    row = session.execute(update(Account).where(Account.id == account_id)
                          .values(balance_minor=Account.balance_minor)
                          .returning(Account.balance_minor)).first()
    return None if row is None else int(row[0])


def insert_entries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert ledger entries (one statement)."""
    session.execute(insert(Entry), rows)


def system_accounts_among(session: Session, account_ids: Iterable[int]) -> set[int]:
    """Which of these accounts are system accounts (no cached balance, may go negative)."""
    return set(session.scalars(select(Account.id).where(Account.id.in_(list(account_ids)),
                                                        Account.may_go_negative.is_(True))))


def apply_delta(session: Session, account_id: int, delta: int) -> bool:
    """Move a holder account's cached balance by ``delta``; a debit applies only while the balance
    covers it. True when applied."""
    stmt = update(Account).where(Account.id == account_id).values(
        balance_minor=Account.balance_minor + delta)
    if delta < 0:
        stmt = stmt.where(Account.balance_minor + delta >= 0)
    return bool(session.execute(stmt).rowcount == 1)  # type: ignore[attr-defined]


def entries_of(session: Session, txn_id: int) -> list[Entry]:
    """A ledger transaction's entries, in id order."""
    return list(session.scalars(select(Entry).where(Entry.txn_id == txn_id).order_by(Entry.id)))


def holder_accounts_credited(session: Session, txn_id: int) -> list[int]:
    """The holder accounts (not system accounts) a ledger transaction credited."""
    return list(session.scalars(
        select(Account.id).where(Account.may_go_negative.is_(False), Account.id.in_(
            select(Entry.destination_account_id).where(Entry.txn_id == txn_id)))))


def ledger_txn(session: Session, txn_id: int) -> LedgerTxn | None:
    """A ledger transaction by id."""
    return session.get(LedgerTxn, txn_id)


def entry_totals(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """(credited, debited) per account, summed over every entry."""
    total = func.sum(Entry.amount_minor)
    incoming = {int(a): int(t) for a, t in session.execute(
        select(Entry.destination_account_id, total).group_by(Entry.destination_account_id))}
    outgoing = {int(a): int(t) for a, t in session.execute(
        select(Entry.source_account_id, total).group_by(Entry.source_account_id))}
    return incoming, outgoing


def account_rows(session: Session) -> list[Row[tuple[int, int, int, bool]]]:
    """(id, currency, cached balance, may go negative) of every account."""
    return list(session.execute(select(Account.id, Account.currency, Account.balance_minor,
                                       Account.may_go_negative)))


def entry_currencies(session: Session) -> list[Row[tuple[int, int, int]]]:
    """(source account, destination account, currency) of every entry."""
    return list(session.execute(select(Entry.source_account_id, Entry.destination_account_id,
                                       Entry.currency)))


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
