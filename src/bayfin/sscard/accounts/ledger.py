"""The double-entry ledger: balanced movements between accounts, applied under row locks.

Concurrency: every writer first *locks* the accounts it will debit with a no-op ``UPDATE`` (a row lock
on PostgreSQL; the database write lock on SQLite, whose writers are serialized), in ascending id order
so that two transfers never deadlock. Balance checks read after the lock, so two concurrent debits of
one card cannot both see the same funds. The conditional ``UPDATE … WHERE balance + delta >= 0`` and
the table's CHECK constraint are two more guards against overdraft.

Only holder accounts keep a cached balance. A system account (settlement, FX position, holds…) is
touched by nearly every message, so caching its balance would make one row lock serialize the whole
switch; its balance is the sum of its entries instead (see :func:`account_balance`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bayfin.sscard.accounts import repository as repo
from bayfin.sscard.domain import CNY, CURRENCIES
from bayfin.sscard.models import Account, LedgerTxn


class InsufficientFunds(Exception):
    """A debit would take a holder's account below zero."""


@dataclass(frozen=True)
class Leg:
    """Move ``amount_minor`` of ``currency`` from one account to another."""

    source: int
    destination: int
    currency: int
    amount_minor: int


def system_account_name(kind: str, currency: int, bank_id: str | None = None) -> str:
    """The unique name of a system account, e.g. ``settlement:ICBC:344``."""
    return f"{kind}:{bank_id}:{currency}" if bank_id else f"{kind}:{currency}"


# System accounts the platform keeps per bank and currency, and platform-wide.
BANK_ACCOUNT_KINDS = ("settlement", "holds")
PLATFORM_ACCOUNTS = [("fx_position", c) for c in CURRENCIES] + [
    ("fx_revenue", CNY), ("medical_fund", CNY), ("medical_providers", CNY), ("funding", CNY)]


def ensure_system_accounts(session: Session, bank_ids: Iterable[str], now: datetime) -> int:
    """Create any missing system account (settlement and holds per bank and currency, FX, medical);
    returns how many were created."""
    wanted: list[tuple[str, str, str | None, int]] = [
        (system_account_name(kind, cur), kind, None, cur) for kind, cur in PLATFORM_ACCOUNTS]
    for bank_id in bank_ids:
        for kind in BANK_ACCOUNT_KINDS:
            for cur in CURRENCIES:
                wanted.append((system_account_name(kind, cur, bank_id), kind, bank_id, cur))
    existing = repo.account_names_among(session, [w[0] for w in wanted])
    created = 0
    for name, kind, owner, cur in wanted:
        if name not in existing:
            repo.add(session, Account(name=name, kind=kind, bank_id=owner, currency=cur, balance_minor=0,
                                      may_go_negative=True, created_at=now))
            created += 1
    repo.flush(session)
    return created


class AccountDirectory:
    """Resolves system-account names to ids; ids never change, so the mapping is cached per process."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def id_of(self, session: Session, name: str) -> int:
        """The id of the named system account (raises LookupError when it was never created)."""
        cached = self._ids.get(name)
        if cached is not None:
            return cached
        found = repo.account_id_by_name(session, name)
        if found is None:
            raise LookupError(f"system account {name} does not exist; seed the banks first")
        self._ids[name] = found
        return found


def account_balance(session: Session, account_id: int) -> int:
    """An account's balance from its entries (the only balance a system account has)."""
    return repo.account_balance(session, account_id)


def lock_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    """Take the write lock on each account (ascending id order) and return their balances."""
    balances: dict[int, int] = {}
    for account_id in sorted(set(account_ids)):
        balance = repo.lock_account(session, account_id)
        if balance is None:
            raise LookupError(f"account {account_id} does not exist")
        balances[account_id] = balance
    return balances


def post(session: Session, txn: LedgerTxn, legs: list[Leg]) -> LedgerTxn:
    """Record ``txn`` with its legs and apply them to the balances; raises InsufficientFunds (and the
    caller must roll back) when a holder account would go below zero."""
    if not legs:
        raise ValueError("a ledger transaction needs at least one leg")
    repo.add(session, txn)
    repo.flush(session)
    deltas: dict[int, int] = defaultdict(int)
    rows = []
    for leg in legs:
        if leg.amount_minor <= 0:
            continue
        deltas[leg.source] -= leg.amount_minor
        deltas[leg.destination] += leg.amount_minor
        rows.append({"txn_id": txn.id, "source_account_id": leg.source,
                     "destination_account_id": leg.destination, "currency": leg.currency,
                     "amount_minor": leg.amount_minor})
    if not rows:
        raise ValueError("a ledger transaction needs a positive leg")
    repo.insert_entries(session, rows)
    system = repo.system_accounts_among(session, deltas)
    for account_id in sorted(deltas):
        delta = deltas[account_id]
        if delta == 0 or account_id in system:
            continue
        if not repo.apply_delta(session, account_id, delta):
            raise InsufficientFunds(f"account {account_id} cannot cover {-delta}")
    return txn


def share(amount: int, portion: tuple[int, int]) -> int:
    """``amount`` × part / whole, rounded half up (exact integers, no float)."""
    part, whole = portion
    return (2 * amount * part + whole) // (2 * whole)


def reverse(session: Session, original: LedgerTxn, *, business_date: date, now: datetime,
            portion: tuple[int, int] = (1, 1)) -> LedgerTxn:
    """Post the mirror of ``original``'s entries as a new transaction that reverses it — all of it,
    or ``portion`` (part, whole) of every entry for a partial reversal. Each entry moves money between
    two accounts of one currency, so any share of each stays balanced per currency."""
    entries = repo.entries_of(session, original.id)
    mirror = LedgerTxn(kind="reversal", business_date=business_date, created_at=now,
                       card_id=original.card_id, bank_id=original.bank_id, region=original.region,
                       cross_border=original.cross_border,
                       amount_minor=share(original.amount_minor, portion),
                       currency=original.currency, billing_minor=share(original.billing_minor, portion),
                       billing_currency=original.billing_currency,
                       spread_minor=share(original.spread_minor, portion),
                       applied_rate=original.applied_rate, reverses_txn_id=original.id)
    legs = [Leg(e.destination_account_id, e.source_account_id, e.currency, share(e.amount_minor, portion))
            for e in entries]
    return post(session, mirror, legs)


@dataclass(frozen=True)
class LedgerCheck:
    """Result of checking the whole ledger."""

    currency_totals: dict[int, int]
    foreign_currency_entries: int
    negative_holder_accounts: int
    balance_mismatches: int

    @property
    def ok(self) -> bool:
        """True when every currency sums to zero and every other check holds."""
        return not (any(self.currency_totals.values()) or self.foreign_currency_entries
                    or self.negative_holder_accounts or self.balance_mismatches)


def check_ledger(session: Session) -> LedgerCheck:
    """Verify the ledger: balances sum to zero per currency (money is only ever moved, never made),
    each cached balance equals its posted entries, every entry's accounts hold its currency, and no
    holder account is negative."""
    incoming, outgoing = repo.entry_totals(session)
    totals: dict[int, int] = defaultdict(int)
    mismatches = negatives = 0
    currency_of: dict[int, int] = {}
    for account in repo.account_rows(session):
        currency_of[account.id] = account.currency
        posted = incoming.get(account.id, 0) - outgoing.get(account.id, 0)
        totals[account.currency] += posted
        if not account.may_go_negative:  # system accounts keep no cached balance to compare
            mismatches += posted != account.balance_minor
            negatives += account.balance_minor < 0 or posted < 0
    foreign = sum(1 for e in repo.entry_currencies(session)
                  if currency_of.get(e.source_account_id) != e.currency
                  or currency_of.get(e.destination_account_id) != e.currency)
    return LedgerCheck(dict(totals), foreign, int(negatives), int(mismatches))
