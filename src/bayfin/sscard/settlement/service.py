"""End-of-day clearing: one settlement file per cooperating bank and currency, reconciled against the
ledger, and cross-border statistics by region and type.

The file is built from the business records (ledger transactions and their reversals); the ledger side
is the day's net movement of the bank's settlement account, summed from entries. Two independent
computations that must agree to the fen.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from bayfin.sscard.domain import currency_alpha
from bayfin.sscard.settlement import repository as repo

SETTLED_KINDS = ("purchase", "withdrawal", "qr_purchase", "refund")
#: Kinds that move money from the bank's settlement position back to the card (counted negative).
CREDIT_KINDS = ("refund",)
CROSS_BORDER_KINDS = ("purchase", "withdrawal", "transfer")


@dataclass(frozen=True)
class SettlementItem:
    """One booked movement in a settlement file, with the switch message that booked it (empty for
    QR-code payments, which do not come through an acquirer)."""

    txn_id: int
    kind: str
    booked_at: str
    amount_minor: int
    acquirer_id: str = ""
    stan: str = ""
    rrn: str = ""
    approval_code: str = ""


@dataclass
class SettlementLine:
    """One bank's clearing position in one currency for a business date."""

    bank_id: str
    currency: int
    count: int = 0
    gross_minor: int = 0
    reversed_minor: int = 0
    ledger_net_minor: int = 0
    items: list[SettlementItem] = field(default_factory=list)

    @property
    def net_minor(self) -> int:
        """What the bank owes acquirers in this currency for the day."""
        return self.gross_minor - self.reversed_minor

    @property
    def difference_minor(self) -> int:
        """File net minus ledger net; zero when reconciled."""
        return self.net_minor - self.ledger_net_minor


def clearing(session: Session, day: date) -> list[SettlementLine]:
    """Every bank-and-currency position of a business date with its ledger reconciliation."""
    lines: dict[tuple[str, int], SettlementLine] = {}

    def line(bank_id: str, currency: int) -> SettlementLine:
        return lines.setdefault((bank_id, currency), SettlementLine(bank_id, currency))

    for r in repo.day_transactions(session, day):
        settled = r.kind in SETTLED_KINDS or (r.kind == "reversal" and r.original_kind in SETTLED_KINDS)
        if not settled or r.bank_id is None:
            continue
        target = line(r.bank_id, r.currency)
        # The approval code (field 38) the switch answered is the transaction id's last six digits.
        trace = {"acquirer_id": r.acquirer_id or "", "stan": r.stan or "", "rrn": r.rrn or "",
                 "approval_code": f"{r.id % 1_000_000:06d}" if r.acquirer_id else ""}
        if r.kind == "reversal":
            amount = -r.amount_minor if r.original_kind in CREDIT_KINDS else r.amount_minor
            target.reversed_minor += amount
            target.items.append(SettlementItem(r.id, "reversal", r.created_at.isoformat(), -amount, **trace))
        else:
            amount = -r.amount_minor if r.kind in CREDIT_KINDS else r.amount_minor
            target.count += 1
            target.gross_minor += amount
            target.items.append(SettlementItem(r.id, r.kind, r.created_at.isoformat(), amount, **trace))
    # Ledger side: the net movement of each bank's settlement account, from entries alone.
    for direction, credited in ((1, True), (-1, False)):
        for bank_id, currency, total in repo.settlement_movements(session, day, credited):
            if bank_id is None:
                continue
            line(bank_id, currency).ledger_net_minor += direction * int(total)
    return sorted(lines.values(), key=lambda x: (x.bank_id, x.currency))


_HEADER = ["record", "txn_id", "kind", "booked_at", "amount_minor", "currency", "acquirer", "stan", "rrn",
           "approval_code", "issuer"]


def _write(path: Path, rows: list[tuple[SettlementItem, str]], day: date, currency: int) -> Path:
    """One file: a header, a D line per item and a trailer: T, the number of D lines, "net", the date,
    the net amount and the currency."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(_HEADER)
        for item, issuer in rows:
            writer.writerow(["D", item.txn_id, item.kind, item.booked_at, item.amount_minor, currency,
                             item.acquirer_id, item.stan, item.rrn, item.approval_code, issuer])
        writer.writerow(["T", len(rows), "net", day.isoformat(), sum(i.amount_minor for i, _ in rows),
                         currency])
    return path


def write_files(lines: list[SettlementLine], day: date, out_dir: Path) -> list[Path]:
    """Write one CSV per issuing bank and currency, and one per acquirer and currency (the same items
    seen from the acquirer's side, every bank together); each ends with a trailer counting its lines."""
    folder = out_dir / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    by_acquirer: dict[tuple[str, int], list[tuple[SettlementItem, str]]] = defaultdict(list)
    for ln in lines:
        rows = [(item, ln.bank_id) for item in ln.items]
        paths.append(_write(folder / f"{ln.bank_id}_{currency_alpha(ln.currency)}.csv", rows, day,
                            ln.currency))
        for item, issuer in rows:
            if item.acquirer_id:
                by_acquirer[(item.acquirer_id, ln.currency)].append((item, issuer))
    for (acquirer, currency), rows in sorted(by_acquirer.items()):
        rows.sort(key=lambda row: row[0].txn_id)
        paths.append(_write(folder / f"acquirer_{acquirer}_{currency_alpha(currency)}.csv", rows, day,
                            currency))
    return paths


@dataclass(frozen=True)
class CrossBorderStat:
    """Cross-border transactions of one region and type that stand (not reversed)."""

    region: str
    txn_type: str
    count: int
    amount_cny_minor: int


def cross_border_stats(session: Session, start: date, end: date) -> list[CrossBorderStat]:
    """Count and CNY amount of standing cross-border purchases, withdrawals and transfers by region."""
    rows = repo.standing_cross_border(session, start, end, CROSS_BORDER_KINDS)
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for region, kind, count, amount in rows:
        totals[(region or "", kind)] = [int(count), int(amount or 0)]
    return [CrossBorderStat(r, k, c, a) for (r, k), (c, a) in sorted(totals.items())]
