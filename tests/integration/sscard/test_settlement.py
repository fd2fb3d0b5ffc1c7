"""End-of-day clearing reconciles to zero against the ledger; statistics count what stands."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import insert, select

from bayfin.kernel.clock import utcnow
from bayfin.sscard.accounts.ledger import system_account_name
from bayfin.sscard.domain import business_date
from bayfin.sscard.models import Account, Entry, LedgerTxn
from bayfin.sscard.settlement.service import clearing, cross_border_stats, write_files
from tests.integration.sscard.conftest import Ledger


def _traffic(ledger: Ledger) -> None:
    icbc = ledger.add_card("icbc-holder", 1_000_000, bank="ICBC")
    boc = ledger.add_card("boc-holder", 1_000_000, bank="BOC")
    hk, mo = ledger.acquirer("34400001", 344), ledger.acquirer("44600001", 446, terminal="MOTERM01")
    processor = ledger.processor()
    links = {acq.acquirer_id: ledger.local(processor, acq) for acq in (hk, mo)}
    kept = hk.request("0200", "purchase", icbc, 10_000, 344)
    undone = hk.request("0200", "withdrawal", icbc, 50_000, 344)
    for fields in (kept, undone, mo.request("0200", "withdrawal", boc, 20_000, 446),
                   mo.request("0200", "purchase", boc, 7_000, 156),
                   hk.request("0200", "transfer", icbc, 3_000, 344, to_pan=boc),
                   hk.request("0100", "purchase", boc, 1_000, 344)):
        assert links[fields["32"]].call(fields)["39"] == "00"
    assert links[hk.acquirer_id].call(hk.reversal(undone))["39"] == "00"


def test_settlement_files_per_bank_and_currency_reconcile_to_zero(ledger: Ledger, tmp_path: Path) -> None:
    _traffic(ledger)
    day = business_date(utcnow())
    with ledger.factory() as s:
        lines = clearing(s, day)
    positions = {(ln.bank_id, ln.currency): ln for ln in lines}
    assert set(positions) == {("ICBC", 344), ("BOC", 446), ("BOC", 156)}
    assert positions[("ICBC", 344)].net_minor == 10_000
    assert positions[("ICBC", 344)].reversed_minor == 50_000
    assert positions[("BOC", 446)].net_minor == 20_000
    assert all(ln.difference_minor == 0 for ln in lines)
    paths = write_files(lines, day, tmp_path)
    rows = list(csv.reader((tmp_path / day.isoformat() / "ICBC_HKD.csv").open()))
    header, details, trailer = rows[0], rows[1:-1], rows[-1]
    assert trailer[0] == "T" and int(trailer[1]) == len(details) == 3 and int(trailer[4]) == 10_000
    # Each line names the acquirer, STAN, RRN and approval code the switch answered with.
    by_kind = {d[header.index("kind")]: dict(zip(header, d, strict=True)) for d in details}
    assert by_kind["purchase"]["acquirer"] == "34400001"
    assert by_kind["purchase"]["stan"] and by_kind["purchase"]["rrn"]
    assert by_kind["purchase"]["approval_code"] == by_kind["purchase"]["txn_id"].zfill(6)[-6:]
    # And from each acquirer's side (all issuing banks in one file), with its own trailer.
    hk = list(csv.reader((tmp_path / day.isoformat() / "acquirer_34400001_HKD.csv").open()))
    assert int(hk[-1][1]) == len(hk) - 2 == 3 and {r[10] for r in hk[1:-1]} == {"ICBC"}
    assert len(paths) == 3 + 3  # per bank and currency, then per acquirer and currency


def test_an_entry_booked_outside_the_business_flow_shows_as_a_difference(ledger: Ledger) -> None:
    _traffic(ledger)
    day = business_date(utcnow())
    with ledger.factory() as s:
        settlement = s.scalar(select(Account.id).where(
            Account.name == system_account_name("settlement", 344, "ICBC")))
        position = s.scalar(select(Account.id).where(Account.name == system_account_name("fx_position", 344)))
        txn_id = s.scalar(select(LedgerTxn.id).where(LedgerTxn.kind == "deposit").limit(1))
        s.execute(insert(Entry).values(txn_id=txn_id, source_account_id=position,
                                       destination_account_id=settlement, currency=344, amount_minor=1))
        s.commit()
        lines = {(ln.bank_id, ln.currency): ln for ln in clearing(s, day)}
    assert lines[("ICBC", 344)].difference_minor == -1


def test_statistics_count_standing_cross_border_transactions_by_region_and_type(ledger: Ledger) -> None:
    _traffic(ledger)
    day = business_date(utcnow())
    with ledger.factory() as s:
        stats = {(x.region, x.txn_type): (x.count, x.amount_cny_minor)
                 for x in cross_border_stats(s, day, day)}
    assert set(stats) == {("HK", "purchase"), ("HK", "transfer"), ("MO", "withdrawal"), ("MO", "purchase")}
    assert stats[("MO", "purchase")] == (1, 7_000)
    assert stats[("HK", "purchase")][0] == 1  # the reversed withdrawal does not count
