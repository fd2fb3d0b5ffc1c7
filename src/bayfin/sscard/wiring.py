"""Start-up wiring: the module's services, provided on the platform under :data:`SSCARD`."""

from __future__ import annotations

from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.sscard.accounts.cards import CardService
from bayfin.sscard.accounts.ledger import AccountDirectory
from bayfin.sscard.accounts.payments import PaymentService
from bayfin.sscard.keys import derive_pan_key
from bayfin.sscard.service import SscardServices

SSCARD = ServiceKey("sscard", SscardServices)


def configure(platform: Platform) -> None:
    """Build the card, payment and switch services from the platform's secret and clock."""
    pan_key = derive_pan_key(platform.settings.audit_key.get_secret_value().encode())
    accounts = AccountDirectory()
    cards = CardService(pan_key, accounts)
    platform.provide(SSCARD, SscardServices(cards=cards, payments=PaymentService(cards),
                                            pan_key=pan_key, accounts=accounts))


def services(platform: Platform) -> SscardServices:
    """The module's services on a configured platform."""
    return platform.service(SSCARD)
