"""Every query of the settlement room: a business date's booked transactions with the switch message
that booked each, the settlement accounts' net movement, and the standing cross-border totals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, func, select
from sqlalchemy.orm import Session, aliased

from bayfin.sscard.models import Account, Entry, LedgerTxn, SwitchMessage


def day_transactions(session: Session, day: date) -> list[Row[Any]]:
    """Every ledger transaction of a business date, in id order, with the kind of the transaction it
    reverses (``original_kind``) and the acquirer, STAN and RRN of the message that booked it."""
    original = aliased(LedgerTxn)
    return list(session.execute(
        select(LedgerTxn.id, LedgerTxn.kind, LedgerTxn.bank_id, LedgerTxn.currency, LedgerTxn.amount_minor,
               LedgerTxn.created_at, original.kind.label("original_kind"), SwitchMessage.acquirer_id,
               SwitchMessage.stan, SwitchMessage.rrn)
        .outerjoin(original, original.id == LedgerTxn.reverses_txn_id)
        .outerjoin(SwitchMessage, SwitchMessage.txn_id == LedgerTxn.id)
        .where(LedgerTxn.business_date == day)
        .order_by(LedgerTxn.id)))


def settlement_movements(session: Session, day: date,
                         credited: bool) -> list[tuple[str | None, int, int]]:
    """(bank, currency, total) moved into (``credited``) or out of each settlement account by the
    business date's transactions, summed from entries."""
    day_txns = select(LedgerTxn.id).where(LedgerTxn.business_date == day)
    column = Entry.destination_account_id if credited else Entry.source_account_id
    return [(bank_id, int(currency), int(total)) for bank_id, currency, total in session.execute(
        select(Account.bank_id, Account.currency, func.sum(Entry.amount_minor))
        .join(Entry, and_(column == Account.id))
        .where(Account.kind == "settlement", Entry.txn_id.in_(day_txns))
        .group_by(Account.bank_id, Account.currency))]


def standing_cross_border(session: Session, start: date, end: date,
                          kinds: Sequence[str]) -> list[tuple[str | None, str, int, int | None]]:
    """(region, kind, count, CNY amount) of cross-border transactions of these kinds between two
    business dates that no reversal undid, by region and kind."""
    reversed_ids = select(LedgerTxn.reverses_txn_id).where(LedgerTxn.reverses_txn_id.is_not(None))
    return [(region, kind, int(count), amount) for region, kind, count, amount in session.execute(
        select(LedgerTxn.region, LedgerTxn.kind, func.count(), func.sum(LedgerTxn.billing_minor))
        .where(LedgerTxn.cross_border.is_(True), LedgerTxn.kind.in_(list(kinds)),
               LedgerTxn.business_date >= start, LedgerTxn.business_date <= end,
               LedgerTxn.id.not_in(reversed_ids))
        .group_by(LedgerTxn.region, LedgerTxn.kind)
        .order_by(LedgerTxn.region, LedgerTxn.kind))]
