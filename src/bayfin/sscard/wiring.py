"""Start-up wiring: the module's services, hung on ``platform.extensions["sscard"]``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bayfin.kernel.platform import Platform
from bayfin.sscard.accounts.cards import CardService
from bayfin.sscard.accounts.ledger import AccountDirectory
from bayfin.sscard.accounts.payments import PaymentService
from bayfin.sscard.keys import KeyStore, SoftwareKeyStore, derive_pan_key, derive_pin_verification_key
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


def configure(platform: Platform) -> None:
    """Build the card, payment and switch services from the platform's secret and clock."""
    pan_key = derive_pan_key(platform.settings.audit_key.get_secret_value().encode())
    accounts = AccountDirectory()
    cards = CardService(pan_key, accounts)
    platform.extensions["sscard"] = SscardServices(cards=cards, payments=PaymentService(cards),
                                                   pan_key=pan_key, accounts=accounts)


def services(platform: Platform) -> SscardServices:
    """The module's services on a configured platform."""
    found: SscardServices = platform.extensions["sscard"]
    return found
