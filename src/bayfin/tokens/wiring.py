"""Start-up wiring: the token service and the wallet on ``platform.extensions["tokens"]``."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic_settings import BaseSettings, SettingsConfigDict

from bayfin.kernel.outbound import OutboundPolicy
from bayfin.kernel.platform import Platform
from bayfin.tokens.banks import BankDirectory, HttpBank
from bayfin.tokens.domain import TokenBinRange
from bayfin.tokens.risk import FixedRisk, FraudEngineRisk, RiskAssessor
from bayfin.tokens.service import Keys, TokenService
from bayfin.tokens.vault import KeyRing, derive_key
from bayfin.tokens.wallet import Wallet
from bayfin.tokens.webhooks import WebhookDispatcher


class TokensSettings(BaseSettings):
    """Token service knobs (``BAYFIN_TOKENS_*``)."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_TOKENS_", env_file=None, extra="ignore")

    #: Master keys as ``id:64-hex,id:64-hex``; empty: one development key derived from the audit key.
    master_keys: str = ""
    active_master_key: str = ""
    bin_prefix: str = "62999801"
    token_length: int = 16
    bin_controller: str = "BYFN"
    #: 64-hex AES key to derive token numbers with FF1 instead of at random (empty: random tokens).
    ff1_key: str = ""
    #: Banks reached over HTTP, as ``CODE=https://bank.example/api,CODE2=…``.
    banks: str = ""


@dataclass
class TokensRuntime:
    """What the module hangs on the platform."""

    service: TokenService
    wallet: Wallet
    webhooks: WebhookDispatcher

    def close(self) -> None:
        """Stop webhook delivery and close bank connections."""
        self.webhooks.close()
        self.service.banks.close()


def key_ring(settings: TokensSettings, platform_secret: bytes) -> KeyRing:
    """The vault's master keys from settings, or the development key."""
    if not settings.master_keys:
        return KeyRing({"dev1": derive_key(platform_secret, "master.dev1")}, "dev1")
    keys = {}
    for item in settings.master_keys.split(","):
        key_id, _, hex_key = item.strip().partition(":")
        keys[key_id] = bytes.fromhex(hex_key)
    return KeyRing(keys, settings.active_master_key or sorted(keys)[-1])


def configure(platform: Platform, settings: TokensSettings | None = None) -> TokensRuntime:
    """Build the token service: keys from settings, the anti-fraud engine as the risk assessor when it
    is configured, the HTTP banks named in settings (``service.banks.register`` connects more)."""
    settings = settings or TokensSettings()
    secret = platform.settings.audit_key.get_secret_value().encode()
    keys = Keys(ring=key_ring(settings, secret), digest=derive_key(secret, "digest"),
                par=derive_key(secret, "par"), cryptogram=derive_key(secret, "cryptogram"),
                webhook=derive_key(secret, "webhook"), ff1_hex=settings.ff1_key or None)
    fraud = platform.extensions.get("antifraud")
    risk: RiskAssessor = FraudEngineRisk(fraud.decide) if fraud is not None else FixedRisk("ALLOW")
    banks = BankDirectory()
    for item in filter(None, (part.strip() for part in settings.banks.split(","))):
        code, _, url = item.partition("=")
        banks.register(code.strip(), HttpBank(url.strip()))
    outbound = OutboundPolicy.from_settings(platform.settings)
    service = TokenService(keys, platform.audit, platform.clock, banks, risk,
                           bin_range=TokenBinRange(settings.bin_prefix, settings.token_length),
                           bin_controller=settings.bin_controller, outbound=outbound)
    dispatcher = WebhookDispatcher(platform.session_factory, service.webhook_secret, platform.clock,
                                   outbound=outbound)
    runtime = TokensRuntime(service, Wallet(service), dispatcher)
    platform.extensions["tokens"] = runtime
    return runtime


def tokens_runtime(platform: Platform) -> TokensRuntime:
    """The configured token service, wallet and webhook dispatcher."""
    found: TokensRuntime = platform.extensions["tokens"]
    return found
