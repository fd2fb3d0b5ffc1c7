"""Use cases of the token service: requestors, the vault, provisioning with ID&V, the lifecycle,
account updates, and payment by token (cryptogram → controls → detokenise → issuer authorises).

Services only flush; the edge commits. Webhooks are written to the outbox here and their ids kept on
``session.info[WEBHOOKS_KEY]`` for the edge to hand to the dispatcher after commit.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.kernel.security import Principal
from bayfin.tokens import domain
from bayfin.tokens import repository as repo
from bayfin.tokens.banks import BankAuthorization, BankDirectory
from bayfin.tokens.domain import Controls, Reason, TokenBinRange, TokenState, Use
from bayfin.tokens.models import Account, Requestor, Token, Webhook
from bayfin.tokens.risk import ProvisioningRequest, RiskAssessor
from bayfin.tokens.vault import KeyRing, Sealed, lookup_digest
from bayfin.tokens.webhooks import payload

log = logging.getLogger(__name__)
WEBHOOKS_KEY = "tokens.webhooks"
REQUESTOR_KINDS = ("wallet", "merchant", "payment_institution")


class Refused(Forbidden):
    """A use or change of a token refused for a stated reason; the audit entry of the refusal stays."""

    code = "token_refused"
    title = "Refused"
    persist_on_raise = True

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message, reason=reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Keys:
    """The token service's secrets: the vault's master keys, the lookup-digest and PAR keys, the
    cryptogram master, the webhook-secret master and (optionally) an FF1 key for token numbers."""

    ring: KeyRing
    digest: bytes
    par: bytes
    cryptogram: bytes
    webhook: bytes
    ff1_hex: str | None = None


@dataclass(frozen=True, slots=True)
class Provisioned:
    """A new token, the ID&V verdict, and the cryptogram key handed once to the requestor's device."""

    token: Token
    account: Account
    verdict: domain.Verdict
    cryptogram_key: str


@dataclass(frozen=True, slots=True)
class Payment:
    """The outcome of a payment by token."""

    token: Token
    account: Account
    authorization: BankAuthorization


class TokenService:
    """Token service provider (TSP): holds the keys, BIN range, risk engine and bank adapters."""

    def __init__(self, keys: Keys, audit: AuditLog, clock: Clock, banks: BankDirectory,
                 risk: RiskAssessor, *, bin_range: TokenBinRange | None = None,
                 bin_controller: str = "BYFN", outbound: OutboundPolicy) -> None:
        self.outbound = outbound
        self.keys = keys
        self.audit = audit
        self.clock = clock
        self.banks = banks
        self.risk = risk
        self.bin_range = bin_range or TokenBinRange("62999801", 16)
        self.bin_controller = bin_controller

    # ------------------------------------------------------------ requestors

    def register_requestor(self, session: Session, actor: Principal, *, name: str, kind: str,
                           client_id: str, merchants: list[str], channels: list[str],
                           webhook_url: str | None) -> Requestor:
        """Register a token requestor under a new 11-digit id."""
        if kind not in REQUESTOR_KINDS:
            raise ValidationFailed(f"requestor kind must be one of {', '.join(REQUESTOR_KINDS)}")
        unknown = sorted(set(channels) - set(domain.CHANNELS))
        if unknown:
            raise ValidationFailed(f"unknown channels {unknown}", allowed=list(domain.CHANNELS))
        if repo.requestor_by_client(session, client_id) is not None:
            raise Conflict(f"client {client_id!r} is already a token requestor")
        while True:
            requestor_id = str(secrets.randbelow(9 * 10**10) + 10**10)
            if repo.requestor(session, requestor_id) is None:
                break
        found = Requestor(id=requestor_id, name=name, kind=kind, client_id=client_id,
                          merchants=sorted(set(merchants)), channels=sorted(set(channels)),
                          webhook_url=self.outbound.check_url(webhook_url) if webhook_url else None,
                          active=True, created_at=self.clock.now())
        session.add(found)
        session.flush()
        self.record(session, actor, "requestor.register", "token_requestor", requestor_id)
        return found

    def webhook_secret(self, requestor_id: str) -> bytes:
        """The requestor's webhook signing secret (derived, so it is never stored)."""
        return domain.cryptogram_key(self.keys.webhook, "webhook:" + requestor_id)

    def requestor_of(self, session: Session, principal: Principal) -> Requestor:
        """The requestor the caller's identity client is registered as; refused otherwise."""
        found = repo.requestor_by_client(session, principal.client_id or "") if principal.client_id else None
        if found is None or not found.active:
            raise Refused(Reason.REQUESTOR_MISMATCH, "the calling client is not a registered token requestor")
        return found

    # ------------------------------------------------------------ vault

    def _digest(self, number: str) -> str:
        return lookup_digest(self.keys.digest, number)

    def vault(self, session: Session, *, number: str, expires_on: date, bank_code: str,
              holder: str) -> Account:
        """The vault record of an account number, created (after the bank confirms it) if new; an
        account already bound by another person is refused."""
        if not (number.isdigit() and 12 <= len(number) <= 19):
            raise ValidationFailed("an account number is 12 to 19 digits")
        found = repo.account_by_digest(session, self._digest(number))
        if found is not None:
            if found.holder != holder or found.bank_code != bank_code:
                raise Refused(Reason.ACCOUNT_MISMATCH, "this account is bound to someone else")
            return found
        if not self.banks.get(bank_code).verify_account(number, expires_on):
            raise ValidationFailed("the bank does not confirm this account and expiry",
                                   reason="ACCOUNT_NOT_CONFIRMED")
        now = self.clock.now()
        account_id = new_id("acct")
        sealed = self.keys.ring.seal(number, account_id)
        found = Account(id=account_id, number_digest=self._digest(number),
                        par=domain.payment_account_reference(self.keys.par, self.bin_controller, number),
                        last4=number[-4:], expires_on=expires_on, bank_code=bank_code, holder=holder,
                        is_default=not repo.accounts_of(session, holder), master_key_id=sealed.master_key_id,
                        wrapped_key=sealed.wrapped_key, ciphertext=sealed.ciphertext,
                        created_at=now, updated_at=now)
        session.add(found)
        session.flush()
        return found

    def _open(self, account: Account) -> str:
        return self.keys.ring.open(Sealed(account.master_key_id, account.wrapped_key, account.ciphertext),
                                   account.id)

    def rewrap_batch(self, session: Session, limit: int = 500) -> int:
        """Re-wrap up to ``limit`` data keys under the active master key; how many were re-wrapped.
        Both keys unwrap meanwhile, so readers never wait: run it in batches until it returns 0."""
        rows = repo.accounts_to_rewrap(session, self.keys.ring.active, limit)
        for account in rows:
            sealed = self.keys.ring.rewrap(Sealed(account.master_key_id, account.wrapped_key,
                                                  account.ciphertext), account.id)
            account.master_key_id, account.wrapped_key = sealed.master_key_id, sealed.wrapped_key
        session.flush()
        return len(rows)

    # ------------------------------------------------------------ provisioning

    def _new_number(self, session: Session, number: str) -> str:
        if self.keys.ff1_hex:
            try:
                candidate = domain.ff1_token_number(self.bin_range, number, self.keys.ff1_hex)
                if not repo.token_number_taken(session, candidate):
                    return candidate
            except ValueError:
                pass  # this number's length does not fit the range: a random token instead
        return domain.new_token_number(self.bin_range, number,
                                       lambda n: repo.token_number_taken(session, n))

    def provision(self, session: Session, principal: Principal, requestor: Requestor, account: Account, *,
                  device_id: str | None, merchants: list[str] | None = None,
                  channels: list[str] | None = None, max_amount_fen: int | None = None,
                  ip: str | None = None) -> Provisioned:
        """Issue a token for (account, requestor, device) after ID&V: the anti-fraud engine's outcome and
        the caller's step-up decide approve (active), step-up (requested) or decline (refused)."""
        device = device_id or ""
        existing = repo.token_for(session, account.id, requestor.id, device)
        if existing is not None and existing.state != TokenState.DELETED:
            raise Conflict("this account already has a token for this requestor and device",
                           token_id=existing.id)
        controls = self._controls(requestor, account, device_id, merchants, channels, max_amount_fen)
        now = self.clock.now()
        outcome = self.risk.assess(ProvisioningRequest(holder=account.holder, par=account.par,
                                                       requestor_id=requestor.id, device_id=device_id,
                                                       at=now, ip=ip))
        idv = domain.identify_and_verify(outcome, principal.acr)
        if idv.verdict is domain.Verdict.DECLINE:
            self.record(session, principal, "provision", "payment_account", account.par, outcome="refused",
                        reason=Reason.PROVISIONING_DECLINED.value, requestor_id=requestor.id, risk=outcome)
            if not repo.tokens_of_accounts(session, [account.id]):
                # vaulted for this request only: a declined binding must not claim the account
                session.delete(account)
                session.flush()
            raise Refused(Reason.PROVISIONING_DECLINED, "the issuer declined to provision a token")
        state = TokenState.ACTIVE if idv.verdict is domain.Verdict.APPROVE else TokenState.REQUESTED
        number = self._new_number(session, self._open(account))
        token = existing or Token(id=new_id("tok"), account_id=account.id, requestor_id=requestor.id,
                                  device_id=device, created_at=now)
        token.number, token.state, token.assurance = number, state.value, idv.assurance
        token.controls, token.atc, token.updated_at = controls.as_dict(), 0, now
        session.add(token)
        session.flush()
        self.record(session, principal, "provision", "payment_token", token.id, requestor_id=requestor.id,
                    verdict=idv.verdict.value, risk=outcome, assurance=idv.assurance)
        self._notify(session, token, account, f"token.{state.value}")
        key = self._cryptogram_key(token).hex()
        return Provisioned(token, account, idv.verdict, key)

    def _controls(self, requestor: Requestor, account: Account, device_id: str | None,
                  merchants: list[str] | None, channels: list[str] | None,
                  max_amount_fen: int | None) -> Controls:
        """The requestor's domain narrowed by what the request asks for (never widened)."""
        allowed_merchants = set(requestor.merchants)
        wanted_merchants = set(merchants or []) or allowed_merchants
        if allowed_merchants and not wanted_merchants <= allowed_merchants:
            raise ValidationFailed("the requestor may not use tokens at these merchants",
                                   reason=Reason.MERCHANT_NOT_ALLOWED.value)
        allowed_channels = set(requestor.channels)
        wanted_channels = set(channels or []) or allowed_channels
        if (allowed_channels and not wanted_channels <= allowed_channels) or \
                not wanted_channels <= set(domain.CHANNELS):
            raise ValidationFailed("the requestor may not use tokens in these channels",
                                   reason=Reason.CHANNEL_NOT_ALLOWED.value)
        if max_amount_fen is not None and max_amount_fen <= 0:
            raise ValidationFailed("an amount limit is a positive number of fen")
        return Controls(merchants=frozenset(wanted_merchants), channels=frozenset(wanted_channels),
                        device_id=device_id, max_amount_fen=max_amount_fen,
                        expires_on=account.expires_on)

    # ------------------------------------------------------------ lifecycle

    def token_for_change(self, session: Session, principal: Principal,
                         token_id: str) -> tuple[Token, Account]:
        """The token a caller may change: its requestor, its holder, or its issuing bank."""
        token = repo.token(session, token_id)
        if token is None:
            raise NotFound("no such token")
        account = repo.account(session, token.account_id)
        assert account is not None  # a foreign key
        requestor = repo.requestor_by_client(session, principal.client_id) if principal.client_id else None
        is_issuer = (principal.organization_type == "institution"
                     and principal.organization_id == account.bank_code)
        if not (principal.subject == account.holder or is_issuer
                or (requestor is not None and requestor.id == token.requestor_id)):
            self.record(session, principal, "change", "payment_token", token.id, outcome="refused",
                        reason=Reason.REQUESTOR_MISMATCH.value)
            raise Refused(Reason.REQUESTOR_MISMATCH, "this token belongs to another requestor")
        return token, account

    def transition(self, session: Session, principal: Principal, token: Token, account: Account,
                   action: str) -> Token:
        """Activate, suspend, resume or delete a token; activation needs the holder's step-up."""
        if action == "activate" and (principal.subject != account.holder
                                     or principal.acr not in domain.STEP_UP_ACRS):
            self.record(session, principal, "activate", "payment_token", token.id, outcome="refused",
                        reason=Reason.STEP_UP_REQUIRED.value)
            raise Refused(Reason.STEP_UP_REQUIRED,
                          "the holder activates a token after a step-up (OTP or voiceprint)")
        target = domain.next_state(TokenState(token.state), action)
        if target is None:
            raise Conflict(f"a {token.state} token cannot be {action}d", state=token.state)
        token.state, token.updated_at = target.value, self.clock.now()
        if action == "activate":
            token.assurance = "step_up"
        session.flush()
        self.record(session, principal, action, "payment_token", token.id, state=target.value)
        self._notify(session, token, account, f"token.{target.value}")
        return token

    def update_account(self, session: Session, principal: Principal, *, current_number: str,
                       new_number: str | None, new_expires_on: date | None) -> tuple[Account, int]:
        """The issuer replaces an account's number and/or expiry; every token keeps working with the
        new expiry, and each requestor is told. (account, tokens updated)."""
        account = repo.account_by_digest(session, self._digest(current_number))
        if account is None or principal.organization_id != account.bank_code:
            raise NotFound("no such account at your bank")
        now = self.clock.now()
        if new_number is not None and new_number != current_number:
            if not (new_number.isdigit() and 12 <= len(new_number) <= 19):
                raise ValidationFailed("an account number is 12 to 19 digits")
            if repo.account_by_digest(session, self._digest(new_number)) is not None:
                raise Conflict("the new number is already in the vault")
            sealed = self.keys.ring.seal(new_number, account.id)
            account.number_digest, account.last4 = self._digest(new_number), new_number[-4:]
            account.master_key_id, account.wrapped_key, account.ciphertext = (
                sealed.master_key_id, sealed.wrapped_key, sealed.ciphertext)
        if new_expires_on is not None:
            account.expires_on = new_expires_on
        account.updated_at = now
        changed = 0
        for token in repo.tokens_of_accounts(session, [account.id]):
            if token.state == TokenState.DELETED:
                continue
            token.controls = {**token.controls, "expires_on": account.expires_on.isoformat()}
            token.updated_at = now
            changed += 1
            self._notify(session, token, account, "token.account_updated")
        session.flush()
        self.record(session, principal, "account.update", "payment_account", account.par, tokens=changed)
        return account, changed

    # ------------------------------------------------------------ payment by token

    def pay(self, session: Session, principal: Principal, requestor: Requestor, *, token_number: str,
            amount_fen: int, merchant_id: str, channel: str, atc: int, cryptogram: str,
            device_id: str | None, holder: str | None = None) -> Payment:
        """Check the cryptogram, the domain controls and the state, then detokenise for the issuing bank
        alone and let it authorise. ``holder`` (wallet payments) also requires the token be theirs."""
        token = repo.token_by_number(session, token_number)
        if token is None:
            raise NotFound("no such token")
        account = repo.account(session, token.account_id)
        assert account is not None
        now = self.clock.now()
        details: dict[str, Any] = {"requestor_id": requestor.id, "merchant_id": merchant_id,
                                   "channel": channel, "amount_fen": amount_fen, "atc": atc}
        reason: Reason | None = None
        if holder is not None and account.holder != holder:
            reason = Reason.ACCOUNT_MISMATCH
        if reason is None:
            use = Use(requestor.id, merchant_id, channel, amount_fen, now.date(), device_id)
            reason = domain.check_use(TokenState(token.state), token.requestor_id,
                                      Controls.from_dict(token.controls), use)
        if reason is None:
            key = self._cryptogram_key(token)
            reason = domain.verify_cryptogram(key, token.number, amount_fen, merchant_id, atc, cryptogram,
                                              token.atc)
        if reason is None and not repo.advance_counter(session, token.id, atc):
            reason = Reason.CRYPTOGRAM_REPLAYED  # another request used this counter a moment ago
        if reason is not None:
            self.record(session, principal, "detokenize", "payment_token", token.id, outcome="refused",
                        reason=reason.value, **details)
            raise Refused(reason, _REFUSALS[reason])
        number = self._open(account)
        self.record(session, principal, "detokenize", "payment_token", token.id, par=account.par,
                    bank_code=account.bank_code, **details)
        authorization = self.banks.get(account.bank_code).authorize(number, amount_fen, merchant_id, token.id)
        set_committed_value(token, "atc", atc)  # already written by the conditional update
        self.record(session, principal, "authorize", "payment_token", token.id,
                    outcome="approved" if authorization.approved else "declined",
                    bank_code=account.bank_code, response_code=authorization.code, amount_fen=amount_fen)
        return Payment(token, account, authorization)

    # ------------------------------------------------------------ helpers

    def record(self, session: Session, principal: Principal, action: str, subject_type: str,
               subject_id: str, outcome: str = "ok", **details: Any) -> None:
        """Write one audit entry of a token operation (ids and codes only, never an account number)."""
        self.audit.record(session, actor=principal.subject, actor_org=principal.organization_id,
                          action=f"tokens.{action}", subject_type=subject_type, subject_id=subject_id,
                          outcome=outcome, purpose="payment tokenisation", details=details,
                          at=self.clock.now())

    def _cryptogram_key(self, token: Token) -> bytes:
        # bound to the number too: a deleted token provisioned again (same row) gets a new key
        return domain.cryptogram_key(self.keys.cryptogram, f"{token.id}:{token.number}")

    def _notify(self, session: Session, token: Token, account: Account, event: str) -> None:
        now = self.clock.now()
        webhook = Webhook(id=new_id("whk"), requestor_id=token.requestor_id, token_id=token.id, event=event,
                          payload=payload(event, token.id, token.requestor_id, token.state, account.par,
                                          token.number[-4:], now),
                          state="pending", attempts=0, next_attempt_at=now, created_at=now)
        session.add(webhook)
        session.info.setdefault(WEBHOOKS_KEY, []).append(webhook.id)


_REFUSALS: dict[Reason, str] = {
    Reason.REQUESTOR_MISMATCH: "this token was issued to another requestor",
    Reason.MERCHANT_NOT_ALLOWED: "this token may not be used at this merchant",
    Reason.CHANNEL_NOT_ALLOWED: "this token may not be used in this channel",
    Reason.DEVICE_MISMATCH: "this token is bound to another device",
    Reason.AMOUNT_OVER_LIMIT: "the amount is over this token's limit",
    Reason.TOKEN_SUSPENDED: "this token is suspended",
    Reason.TOKEN_INACTIVE: "this token is not active yet (step-up pending)",
    Reason.TOKEN_DELETED: "this token was deleted",
    Reason.TOKEN_EXPIRED: "this token has expired",
    Reason.CRYPTOGRAM_REPLAYED: "this cryptogram's counter was used before",
    Reason.CRYPTOGRAM_INVALID: "the cryptogram does not match this transaction",
    Reason.ACCOUNT_MISMATCH: "this token belongs to another person's account",
}


def pending_webhooks(session: Session) -> list[str]:
    """Take the ids of the webhooks this transaction queued (for the edge to send after commit)."""
    ids: list[str] = session.info.pop(WEBHOOKS_KEY, [])
    return ids


def expiry_from(year: int, month: int) -> date:
    """The last valid day of a card expiring ``month``/``year``."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationFailed("expiry month is 1-12 and year a four-digit year")
    return domain.last_day_of_month(year, month)

