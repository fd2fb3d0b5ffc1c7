"""The module's service layer as the API, CLI and demo see it: cards and payments (accounts), the
switch processor, and the day's clearing, settlement files, statistics, ledger check and hold expiry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bayfin.kernel.platform import Platform
from bayfin.sscard.accounts.cards import CardService
from bayfin.sscard.accounts.ledger import AccountDirectory, LedgerCheck, check_ledger
from bayfin.sscard.accounts.payments import PaymentService
from bayfin.sscard.keys import KeyStore, SoftwareKeyStore, derive_pin_verification_key
from bayfin.sscard.settlement.service import (
    CrossBorderStat,
    SettlementLine,
    clearing,
    cross_border_stats,
    write_files,
)
from bayfin.sscard.switch.holds import expire_holds
from bayfin.sscard.switch.processor import SwitchProcessor


@dataclass
class SscardServices:
    """What the API, CLI and switch of this module share."""

    cards: CardService
    payments: PaymentService
    pan_key: bytes
    accounts: AccountDirectory

    def processor(self, platform: Platform, zone_keys: Mapping[str, bytes] | None = None,
                  keys: KeyStore | None = None) -> SwitchProcessor:
        """A switch processor bound to the platform's database and clock. ``keys`` is the key store
        (an HSM or KMS adapter implementing :class:`~bayfin.sscard.keys.KeyStore`); without one, a
        software key store holds each acquirer's zone master key (``zone_keys``, from the link table)."""
        keys = keys or SoftwareKeyStore(zone_keys or {}, derive_pin_verification_key(self.pan_key))
        return SwitchProcessor(platform.session_factory, pan_key=self.pan_key, keys=keys,
                               clock=platform.clock, accounts=self.accounts)

    @staticmethod
    def clearing(session: Session, day: date) -> list[SettlementLine]:
        """Every bank-and-currency position of a business date with its ledger reconciliation."""
        return clearing(session, day)

    @staticmethod
    def write_settlement_files(lines: list[SettlementLine], day: date, out_dir: Path) -> list[Path]:
        """Write the day's settlement files per issuing bank and per acquirer."""
        return write_files(lines, day, out_dir)

    @staticmethod
    def cross_border_stats(session: Session, start: date, end: date) -> list[CrossBorderStat]:
        """Standing cross-border transactions by region and type between two business dates."""
        return cross_border_stats(session, start, end)

    @staticmethod
    def check_ledger(session: Session) -> LedgerCheck:
        """Verify the whole ledger (balanced per currency, cached balances equal to entries)."""
        return check_ledger(session)

    @staticmethod
    def expire_holds(platform: Platform, *, now: datetime, older_than: timedelta) -> int:
        """Release authorization holds never completed nor reversed; returns how many."""
        return expire_holds(platform.session_factory, now=now, older_than=older_than)
