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

from sqlalchemy.orm import Session

from bayfin.kernel.db import UnitOfWork
from bayfin.sscard.accounts import repository as accounts_repo
from bayfin.sscard.accounts.ledger import lock_accounts, reverse, share
from bayfin.sscard.domain import Rc, business_date
from bayfin.sscard.models import LedgerTxn, SwitchMessage
from bayfin.sscard.switch import repository as repo


def undo(session: Session, original: SwitchMessage, txn: LedgerTxn, now: datetime,
         portion: tuple[int, int] = (1, 1), fault: Callable[[str], None] | None = None
         ) -> LedgerTxn | Rc:
    """Post the mirror of ``portion`` of ``txn``, give back the daily limit it used and mark
    ``original`` reversed; returns the mirror, or 51 when a holder it credited cannot pay it back."""
    holder_accounts = accounts_repo.holder_accounts_credited(session, txn.id)
    balances = lock_accounts(session, holder_accounts)
    owed = dict.fromkeys(balances, 0)
    for entry in accounts_repo.entries_of(session, txn.id):
        if entry.destination_account_id in owed:
            owed[entry.destination_account_id] += share(entry.amount_minor, portion)
    if any(balances[a] < owed[a] for a in owed):
        return Rc.insufficient_funds  # e.g. a transfer's payee already spent it
    mirror = reverse(session, txn, business_date=business_date(now), now=now, portion=portion)
    if fault:
        fault("after_posting")
    if txn.cross_border:
        repo.give_back_usage(session, txn.card_id, txn.business_date, txn.kind, mirror.billing_minor)
    original.reversed = True
    return mirror


def expire_holds(factory: Callable[[], Session], *, now: datetime, older_than: timedelta) -> int:
    """Release every approved, unreversed, uncompleted authorization received before
    ``now - older_than``; one transaction per hold. Returns how many were released."""
    cutoff = now - older_than
    with factory() as session:
        candidates = repo.open_authorizations_before(session, cutoff)
    released = 0
    for message_id in candidates:
        with UnitOfWork(factory) as uow:
            session = uow.session
            found = repo.message(session, message_id)
            txn = accounts_repo.ledger_txn(session, found.txn_id) if found and found.txn_id else None
            card = accounts_repo.card(session, txn.card_id) if txn and txn.card_id else None
            if found is None or txn is None or card is None:
                continue
            lock_accounts(session, [card.account_id])  # the lock a reversal or completion takes
            repo.refresh(session, found)  # re-read after the lock: a completion may have come first
            if found.reversed:
                continue
            if isinstance(undo(session, found, txn, now), LedgerTxn):
                uow.commit()
                released += 1
    return released
