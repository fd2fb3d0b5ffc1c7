"""Social-security-card financial services (社保卡) across Guangdong, Hong Kong and Macau.

Three rooms, imports running one way (entry points → rooms → base):

- ``accounts/``: cooperating banks and channels, cardholders, physical and electronic cards, counter
  deposits (exactly once per reference), the double-entry ledger, QR-code and medical-insurance
  payments (``CardService``, ``PaymentService``; queries in ``accounts/repository.py``);
- ``switch/``: the ISO 8583 switch — codec and field validation, acquirer links, card-present checks,
  holds and their expiry, the exactly-once message processor and its TCP server, the acquirer's
  client (queries in ``switch/repository.py``); it books through the accounts room's ledger;
- ``settlement/``: end-of-day clearing, settlement files and cross-border statistics (queries in
  ``settlement/repository.py``).

The base is ``domain.py`` (pure rules), ``keys.py`` (digests, PINs, MACs, key exchange), ``models.py``
and ``schemas.py``; the entry points are ``service.py`` (what API, CLI and demo call), ``wiring.py``
(:data:`SSCARD` on the platform), ``endpoints.py``, ``cli.py`` and the ``demo.py`` hook (whose
generator lives in ``bayfin.simulation.sscard``). Other modules import only the names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bayfin.kernel.surface import lazy_surface

if TYPE_CHECKING:
    from bayfin.sscard.accounts.cards import CardService, DepositOutcome, IssuedCard, SeedReport
    from bayfin.sscard.accounts.ledger import AccountDirectory, LedgerCheck
    from bayfin.sscard.accounts.payments import (
        IssuedQr,
        MedicalPaymentRecord,
        MedicalPolicy,
        PaymentService,
        QrPaymentResult,
        medical_payments_after,
        medical_payments_at,
        medical_payments_since,
    )
    from bayfin.sscard.accounts.seeds import BANKS, DEFAULT_RATES, seeded_channels
    from bayfin.sscard.domain import CardKind, CardState, Rc, TxnType, business_date
    from bayfin.sscard.keys import KeyStore, SoftwareKeyStore
    from bayfin.sscard.service import SscardServices
    from bayfin.sscard.settlement.service import CrossBorderStat, SettlementItem, SettlementLine
    from bayfin.sscard.switch.acquirer import Acquirer, CardData, SwitchConnection
    from bayfin.sscard.switch.links import Link, LinkSession, load_links
    from bayfin.sscard.switch.processor import SwitchProcessor
    from bayfin.sscard.switch.server import SwitchServer
    from bayfin.sscard.wiring import SSCARD, services

_EXPORTS: dict[str, str] = {
    "CardService": "bayfin.sscard.accounts.cards",
    "DepositOutcome": "bayfin.sscard.accounts.cards",
    "IssuedCard": "bayfin.sscard.accounts.cards",
    "SeedReport": "bayfin.sscard.accounts.cards",
    "AccountDirectory": "bayfin.sscard.accounts.ledger",
    "LedgerCheck": "bayfin.sscard.accounts.ledger",
    "IssuedQr": "bayfin.sscard.accounts.payments",
    "MedicalPaymentRecord": "bayfin.sscard.accounts.payments",
    "MedicalPolicy": "bayfin.sscard.accounts.payments",
    "PaymentService": "bayfin.sscard.accounts.payments",
    "QrPaymentResult": "bayfin.sscard.accounts.payments",
    "medical_payments_after": "bayfin.sscard.accounts.payments",
    "medical_payments_at": "bayfin.sscard.accounts.payments",
    "medical_payments_since": "bayfin.sscard.accounts.payments",
    "BANKS": "bayfin.sscard.accounts.seeds",
    "DEFAULT_RATES": "bayfin.sscard.accounts.seeds",
    "seeded_channels": "bayfin.sscard.accounts.seeds",
    "CardKind": "bayfin.sscard.domain",
    "CardState": "bayfin.sscard.domain",
    "Rc": "bayfin.sscard.domain",
    "TxnType": "bayfin.sscard.domain",
    "business_date": "bayfin.sscard.domain",
    "KeyStore": "bayfin.sscard.keys",
    "SoftwareKeyStore": "bayfin.sscard.keys",
    "SscardServices": "bayfin.sscard.service",
    "CrossBorderStat": "bayfin.sscard.settlement.service",
    "SettlementItem": "bayfin.sscard.settlement.service",
    "SettlementLine": "bayfin.sscard.settlement.service",
    "Acquirer": "bayfin.sscard.switch.acquirer",
    "CardData": "bayfin.sscard.switch.acquirer",
    "SwitchConnection": "bayfin.sscard.switch.acquirer",
    "Link": "bayfin.sscard.switch.links",
    "LinkSession": "bayfin.sscard.switch.links",
    "load_links": "bayfin.sscard.switch.links",
    "SwitchProcessor": "bayfin.sscard.switch.processor",
    "SwitchServer": "bayfin.sscard.switch.server",
    "SSCARD": "bayfin.sscard.wiring",
    "services": "bayfin.sscard.wiring",
}

__all__ = [
    "BANKS",
    "DEFAULT_RATES",
    "SSCARD",
    "AccountDirectory",
    "Acquirer",
    "CardData",
    "CardKind",
    "CardService",
    "CardState",
    "CrossBorderStat",
    "DepositOutcome",
    "IssuedCard",
    "IssuedQr",
    "KeyStore",
    "LedgerCheck",
    "Link",
    "LinkSession",
    "MedicalPaymentRecord",
    "MedicalPolicy",
    "PaymentService",
    "QrPaymentResult",
    "Rc",
    "SeedReport",
    "SettlementItem",
    "SettlementLine",
    "SoftwareKeyStore",
    "SscardServices",
    "SwitchConnection",
    "SwitchProcessor",
    "SwitchServer",
    "TxnType",
    "business_date",
    "load_links",
    "medical_payments_after",
    "medical_payments_at",
    "medical_payments_since",
    "seeded_channels",
    "services",
]

__getattr__, __dir__ = lazy_surface(__name__, _EXPORTS)
