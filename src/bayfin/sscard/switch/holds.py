"""Undoing what a switch message booked — for reversals, completions and expired holds.

An authorization (0100) holds funds: the card's money moves to the bank's holds account. Three
things end a hold: its reversal (0400), its completion (0120/0220: the hold is released and the final
amount booked as a purchase, in one transaction), or its expiry (``bayfin sscard holds expire``) when
the acquirer never came back. Each runs under the card account's lock and marks the original message
reversed, so whichever comes first wins and the others find nothing left to undo.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bayfin.kernel.db import UnitOfWork
from bayfin.sscard.accounts.ledger import lock_accounts, reverse, share
from bayfin.sscard.domain import Rc, business_date
from bayfin.sscard.models import Account, Card, DailyUsage, Entry, LedgerTxn, SwitchMessage


def undo(session: Session, original: SwitchMessage, txn: LedgerTxn, now: datetime,
         portion: tuple[int, int] = (1, 1), fault: Callable[[str], None] | None = None
         ) -> LedgerTxn | Rc:
    """Post the mirror of ``portion`` of ``txn``, give back the daily limit it used and mark
    ``original`` reversed; returns the mirror, or 51 when a holder it credited cannot pay it back."""
    holder_accounts = list(session.scalars(
        select(Account.id).where(Account.may_go_negative.is_(False), Account.id.in_(
            select(Entry.destination_account_id).where(Entry.txn_id == txn.id)))))
    balances = lock_accounts(session, holder_accounts)
    owed = dict.fromkeys(balances, 0)
    for entry in session.scalars(select(Entry).where(Entry.txn_id == txn.id)):
        if entry.destination_account_id in owed:
            owed[entry.destination_account_id] += share(entry.amount_minor, portion)
    if any(balances[a] < owed[a] for a in owed):
        return Rc.insufficient_funds  # e.g. a transfer's payee already spent it
    mirror = reverse(session, txn, business_date=business_date(now), now=now, portion=portion)
    if fault:
        fault("after_posting")
    if txn.cross_border:
        session.execute(update(DailyUsage).where(
            DailyUsage.card_id == txn.card_id, DailyUsage.business_date == txn.business_date,
            DailyUsage.txn_type == txn.kind)
            .values(used_minor=DailyUsage.used_minor - mirror.billing_minor))
    original.reversed = True
    return mirror


def expire_holds(factory: Callable[[], Session], *, now: datetime, older_than: timedelta) -> int:
    """Release every approved, unreversed, uncompleted authorization received before
    ``now - older_than``; one transaction per hold. Returns how many were released."""
    cutoff = now - older_than
    with factory() as session:
        candidates = list(session.scalars(select(SwitchMessage.id).where(
            SwitchMessage.message_class == "authorization", SwitchMessage.reversed.is_(False),
            SwitchMessage.response_code == Rc.approved.value, SwitchMessage.txn_id.is_not(None),
            SwitchMessage.received_at < cutoff).order_by(SwitchMessage.id)))
    released = 0
    for message_id in candidates:
        with UnitOfWork(factory) as uow:
            session = uow.session
            found = session.get(SwitchMessage, message_id)
            txn = session.get(LedgerTxn, found.txn_id) if found and found.txn_id else None
            card = session.get(Card, txn.card_id) if txn and txn.card_id else None
            if found is None or txn is None or card is None:
                continue
            lock_accounts(session, [card.account_id])  # the lock a reversal or completion takes
            session.refresh(found)  # re-read after the lock: a completion may have come first
            if found.reversed:
                continue
            if isinstance(undo(session, found, txn, now), LedgerTxn):
                uow.commit()
                released += 1
    return released
