"""Start-up wiring: the token service, the wallet and their outboxes, provided as :data:`TOKENS`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bayfin.antifraud import FRAUD
from bayfin.integrations.webhook_outbox import WebhookDispatcher
from bayfin.kernel.db import UnitOfWork
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.kernel.platform import Platform, ServiceKey
from bayfin.kernel.security import Principal
from bayfin.tokens.bank_outbox import BankOutbox
from bayfin.tokens.banks import BankDirectory, HttpBank
from bayfin.tokens.domain import TokenBinRange
from bayfin.tokens.models import TokenPayment
from bayfin.tokens.payments import PaymentRequest, Payments
from bayfin.tokens.risk import FixedRisk, FraudEngineRisk, RiskAssessor
from bayfin.tokens.service import Keys, Limits, TokenService
from bayfin.tokens.vault import KeyRing, derive_key
from bayfin.tokens.wallet import Wallet
from bayfin.tokens.webhooks import RequestorOutbox, RequestorWebhook


class TokensSettings(BaseSettings):
    """Token service knobs (``BAYFIN_TOKENS_*``)."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_TOKENS_", env_file=None, extra="ignore")

    master_keys: str = Field(default="", description="Vault master keys as id:64-hex,id:64-hex; empty: one "
                             "key derived from the audit key, meant for development.")
    active_master_key: str = Field(default="", description="Id of the master key that wraps new data keys "
                                   "(empty: the highest id).")
    bin_prefix: str = Field(default="62999801", description="Token BIN range: the prefix every token number "
                            "starts with.")
    token_length: int = Field(default=16, description="Digits in a token number (Luhn-valid).")
    bin_controller: str = Field(default="BYFN", description="Payment account reference (PAR) BIN controller "
                                "id.")
    ff1_key: str = Field(default="", description="64-hex AES key to derive token numbers with FF1 instead of "
                         "at random (empty: random tokens).")
    banks: str = Field(default="", description="Issuer banks reached over HTTP, as "
                       "CODE=https://bank.example/api,CODE2=….")
    bank_timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to wait for a bank; past it a "
                                "payment's outcome is unknown and it is reversed.")
    token_lifetime_days: int = Field(default=3 * 365, ge=1, le=20 * 365,
                                     description="A token's own lifetime, apart from the card's expiry.")
    key_lifetime_hours: int = Field(default=7 * 24, ge=1, le=366 * 24, description="A limited-use key's "
                                    "lifetime.")
    key_max_uses: int = Field(default=20, ge=1, le=10_000, description="Payments a limited-use key signs "
                              "before the device must replenish it.")
    atc_window: int = Field(default=8, ge=0, le=1000, description="How far below the highest counter seen a "
                            "late payment's counter may be (each accepted once).")
    stale_after_seconds: int = Field(default=60, ge=10, le=86_400, description="After how long a payment "
                                     "still waiting for its issuer is taken as lost and reversed.")


@dataclass
class TokensRuntime:
    """What the module hangs on the platform."""

    service: TokenService
    wallet: Wallet
    webhooks: WebhookDispatcher[RequestorWebhook]
    payments: Payments
    bank_outbox: BankOutbox

    def pay(self, uow: UnitOfWork, principal: Principal, request: PaymentRequest,
            holder: str | None = None) -> TokenPayment:
        """Pay by token from the edge, in three transactions: record the payment and commit, ask the
        issuer with no transaction open, record the answer (or queue the reversal of an unknown
        outcome, tried as soon as the edge commits). A retry of a recorded payment is answered from
        the record."""
        session = uow.session
        requestor = self.service.requestor_of(session, principal)
        started = self.payments.start(session, principal, requestor, request, holder=holder)
        if started.replayed:
            return started.payment
        uow.commit()  # the record, the counter and the audit entry are durable before money moves
        answer = self.payments.authorize(started)
        payment, queued = self.payments.finish(session, principal, started.payment.id, answer)
        if queued:
            uow.after_commit(lambda: self.bank_outbox.submit(queued))
        return payment

    def close(self) -> None:
        """Stop webhook delivery and the bank outbox, and close bank connections."""
        self.webhooks.close()
        self.bank_outbox.close()
        self.service.banks.close()


SETTINGS = TokensSettings

#: The token service, wallet and outboxes on the platform.
TOKENS = ServiceKey("tokens", TokensRuntime)


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
    settings = settings or platform.section(TokensSettings)
    secret = platform.settings.audit_key.get_secret_value().encode()
    keys = Keys(ring=key_ring(settings, secret), digest=derive_key(secret, "digest"),
                par=derive_key(secret, "par"), cryptogram=derive_key(secret, "cryptogram"),
                webhook=derive_key(secret, "webhook"), ff1_hex=settings.ff1_key or None)
    risk: RiskAssessor = (FraudEngineRisk(platform.service(FRAUD).decide) if platform.has_service(FRAUD)
                          else FixedRisk("ALLOW"))
    banks = BankDirectory()
    for item in filter(None, (part.strip() for part in settings.banks.split(","))):
        code, _, url = item.partition("=")
        banks.register(code.strip(), HttpBank(url.strip(), timeout=settings.bank_timeout))
    limits = Limits(token_lifetime=timedelta(days=settings.token_lifetime_days),
                    key_lifetime=timedelta(hours=settings.key_lifetime_hours),
                    key_max_uses=settings.key_max_uses, atc_window=settings.atc_window,
                    stale_after=timedelta(seconds=settings.stale_after_seconds))
    outbound = OutboundPolicy.from_settings(platform.settings)
    service = TokenService(keys, platform.audit, platform.clock, banks, risk,
                           bin_range=TokenBinRange(settings.bin_prefix, settings.token_length),
                           bin_controller=settings.bin_controller, limits=limits, outbound=outbound)
    dispatcher = WebhookDispatcher(platform.session_factory, RequestorOutbox(service.webhook_secret),
                                   platform.clock, outbound=outbound, name="tokens-webhooks")
    payments = Payments(service)
    runtime = TokensRuntime(service, Wallet(service), dispatcher, payments,
                            BankOutbox(platform.session_factory, payments))
    return platform.provide(TOKENS, runtime)


def tokens_runtime(platform: Platform) -> TokensRuntime:
    """The configured token service, wallet and webhook dispatcher."""
    return platform.service(TOKENS)
