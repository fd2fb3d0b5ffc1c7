"""Use cases of the token service: requestors, the vault, provisioning (the issuer and the risk
engine decide), the lifecycle, limited-use keys and account updates. Payment by token is in
``payments.py``.

Services only flush; the edge commits. Webhooks are written to the outbox here and their ids kept on
``session.info[WEBHOOKS_KEY]`` for the edge to hand to the dispatcher after commit.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bayfin.kernel.audit import AuditLog
from bayfin.kernel.clock import Clock
from bayfin.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.outbound import OutboundPolicy
from bayfin.kernel.security import Principal
from bayfin.tokens import domain
from bayfin.tokens import repository as repo
from bayfin.tokens.banks import BankDirectory, IssuerAnswer
from bayfin.tokens.domain import Controls, Reason, TokenBinRange, TokenState
from bayfin.tokens.models import Account, Requestor, Token, Webhook
from bayfin.tokens.risk import ProvisioningRequest, RiskAssessor
from bayfin.tokens.vault import KeyRing, Sealed, lookup_digest
from bayfin.tokens.webhooks import payload, shown_secret

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


class AccountNotConfirmed(ValidationFailed):
    """The one answer for an account that cannot be confirmed, whatever the reason (unknown number,
    wrong expiry, another person's card, a card vaulted under another bank): no card-number oracle."""

    persist_on_raise = True  # the audit entry of the refusal stays

    def __init__(self) -> None:
        super().__init__("the issuer does not confirm this account for this request",
                         reason="ACCOUNT_NOT_CONFIRMED")


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
class Limits:
    """How far a token reaches: its own lifetime (apart from the card's expiry), its limited-use
    keys' lifetime and number of payments, how late a transaction counter may arrive, and after how
    long a payment still waiting for its issuer is taken as lost and reversed."""

    token_lifetime: timedelta = timedelta(days=3 * 365)
    key_lifetime: timedelta = timedelta(days=7)
    key_max_uses: int = 20
    atc_window: int = 8
    stale_after: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Vaulted:
    """A vault record and the issuer's answer that confirmed it."""

    account: Account
    answer: IssuerAnswer


@dataclass(frozen=True, slots=True)
class NewKey:
    """A limited-use key handed to the device (shown once)."""

    token: Token
    key: str
    sequence: int
    expires_at: datetime
    max_uses: int


class TokenService:
    """Token service provider (TSP): holds the keys, BIN range, risk engine and bank adapters."""

    def __init__(self, keys: Keys, audit: AuditLog, clock: Clock, banks: BankDirectory,
                 risk: RiskAssessor, *, bin_range: TokenBinRange | None = None,
                 bin_controller: str = "BYFN", limits: Limits | None = None,
                 outbound: OutboundPolicy) -> None:
        self.outbound = outbound
        self.keys = keys
        self.audit = audit
        self.clock = clock
        self.banks = banks
        self.risk = risk
        self.bin_range = bin_range or TokenBinRange("62999801", 16)
        self.bin_controller = bin_controller
        self.limits = limits or Limits()

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
        repo.save(session, found)
        self.record(session, actor, "requestor.register", "token_requestor", requestor_id)
        return found

    def webhook_secret(self, requestor_id: str) -> bytes:
        """The requestor's webhook signing secret (derived, so it is never stored)."""
        return domain.cryptogram_key(self.keys.webhook, "webhook:" + requestor_id)

    def shown_webhook_secret(self, requestor_id: str) -> str:
        """The requestor's webhook secret as it is shown once: ``whsec_<base64>`` (Standard Webhooks)."""
        return shown_secret(self.webhook_secret(requestor_id))

    def requestor_of(self, session: Session, principal: Principal) -> Requestor:
        """The requestor the caller's identity client is registered as; refused otherwise."""
        found = repo.requestor_by_client(session, principal.client_id or "") if principal.client_id else None
        if found is None or not found.active:
            raise Refused(Reason.REQUESTOR_MISMATCH, "the calling client is not a registered token requestor")
        return found

    # ------------------------------------------------------------ vault

    def _digest(self, number: str) -> str:
        return lookup_digest(self.keys.digest, number)

    def vault(self, session: Session, principal: Principal, *, number: str, expires_on: date,
              bank_code: str, requestor_id: str, device_id: str | None,
              holder: str | None = None) -> Vaulted:
        """The vault record of an account the issuer confirms, created if new. The issuer's answer
        names the holder; when ``holder`` is given (a person binding their own card) it must be the
        one. Whatever fails, the answer is the same :class:`AccountNotConfirmed`."""
        bank = self.banks.get(bank_code)
        answer = IssuerAnswer(False)
        if number.isdigit() and 12 <= len(number) <= 19:
            # the bank is asked for every well-formed number, vaulted or not: same path, same answer
            answer = bank.check_account(number, expires_on, requestor_id=requestor_id, device_id=device_id)
        found = repo.account_by_digest(session, self._digest(number)) if answer.confirmed else None
        if (not answer.confirmed or not answer.holder or (holder is not None and answer.holder != holder)
                or (found is not None and found.bank_code != bank_code)):
            self.record(session, principal, "vault", "bank", bank_code, outcome="refused",
                        reason="ACCOUNT_NOT_CONFIRMED", requestor_id=requestor_id)
            raise AccountNotConfirmed
        now = self.clock.now()
        if found is not None:
            found.holder, found.expires_on, found.updated_at = answer.holder, expires_on, now
            session.flush()
            return Vaulted(found, answer)
        account_id = new_id("acct")
        sealed = self.keys.ring.seal(number, account_id)
        found = Account(id=account_id, number_digest=self._digest(number),
                        par=domain.payment_account_reference(self.keys.par, self.bin_controller, number),
                        last4=number[-4:], expires_on=expires_on, bank_code=bank_code, holder=answer.holder,
                        is_default=not repo.accounts_of(session, answer.holder),
                        master_key_id=sealed.master_key_id, wrapped_key=sealed.wrapped_key,
                        ciphertext=sealed.ciphertext, created_at=now, updated_at=now)
        repo.save(session, found)
        return Vaulted(found, answer)

    def open_number(self, account: Account) -> str:
        """Decrypt the account number (only ever for the issuing bank's adapter)."""
        return self.keys.ring.open(Sealed(account.master_key_id, account.wrapped_key, account.ciphertext),
                                   account.id)

    _open = open_number

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

    def provision(self, session: Session, principal: Principal, requestor: Requestor, vaulted: Vaulted, *,
                  device_id: str | None, merchants: list[str] | None = None,
                  channels: list[str] | None = None, max_amount_fen: int | None = None,
                  ip: str | None = None) -> Provisioned:
        """Issue a token for (account, requestor, device) after ID&V: the issuer's decision, the
        anti-fraud engine's outcome and the caller's step-up give approve (active), step-up
        (requested: the issuer's one-time code, or the holder's own step-up) or decline (refused)."""
        account, answer = vaulted.account, vaulted.answer
        holder = answer.holder or account.holder
        device = device_id or ""
        existing = repo.token_for(session, account.id, requestor.id, device)
        if existing is not None and existing.state != TokenState.DELETED:
            raise Conflict("this account already has a token for this requestor and device",
                           token_id=existing.id)
        controls = self._controls(requestor, device_id, merchants, channels, max_amount_fen)
        now = self.clock.now()
        outcome = self.risk.assess(ProvisioningRequest(holder=holder, par=account.par,
                                                       requestor_id=requestor.id, device_id=device_id,
                                                       at=now, ip=ip))
        idv = domain.identify_and_verify(outcome, principal.acr, answer.decision.value)
        if idv.verdict is domain.Verdict.DECLINE:
            self.record(session, principal, "provision", "payment_account", account.par, outcome="refused",
                        reason=Reason.PROVISIONING_DECLINED.value, requestor_id=requestor.id, risk=outcome,
                        issuer=answer.decision.value)
            if not repo.tokens_of_accounts(session, [account.id]):
                # vaulted for this request only: a declined binding must not claim the account
                repo.remove(session, account)
            raise Refused(Reason.PROVISIONING_DECLINED, "the issuer declined to provision a token")
        state = TokenState.ACTIVE if idv.verdict is domain.Verdict.APPROVE else TokenState.REQUESTED
        number = self._new_number(session, self.open_number(account))
        token = existing or Token(id=new_id("tok"), account_id=account.id, requestor_id=requestor.id,
                                  device_id=device, created_at=now, luk_seq=0)
        token.number, token.state, token.assurance, token.holder = number, state.value, idv.assurance, holder
        token.controls, token.atc, token.updated_at = controls.as_dict(), 0, now
        token.suspended_for = None
        token.step_up_ref = answer.step_up_ref if answer.decision.value == "step_up" else None
        token.luk_seq, token.luk_uses = (token.luk_seq or 0) + 1, 0
        token.luk_expires_at = now + self.limits.key_lifetime
        repo.save(session, token)
        self.record(session, principal, "provision", "payment_token", token.id, requestor_id=requestor.id,
                    verdict=idv.verdict.value, risk=outcome, issuer=answer.decision.value,
                    assurance=idv.assurance)
        self._notify(session, token, account, f"token.{state.value}")
        return Provisioned(token, account, idv.verdict, self.cryptogram_key(token).hex())

    def _controls(self, requestor: Requestor, device_id: str | None, merchants: list[str] | None,
                  channels: list[str] | None, max_amount_fen: int | None) -> Controls:
        """The requestor's domain narrowed by what the request asks for (never widened), and the
        token's own expiry (its lifetime from today, apart from the card's expiry)."""
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
        expires_on = (self.clock.now() + self.limits.token_lifetime).date()
        return Controls(merchants=frozenset(wanted_merchants), channels=frozenset(wanted_channels),
                        device_id=device_id, max_amount_fen=max_amount_fen, expires_on=expires_on)

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
        if not (principal.subject == token.holder or self._is_issuer(principal, account)
                or (requestor is not None and requestor.id == token.requestor_id)):
            self.record(session, principal, "change", "payment_token", token.id, outcome="refused",
                        reason=Reason.REQUESTOR_MISMATCH.value)
            raise Refused(Reason.REQUESTOR_MISMATCH, "this token belongs to another requestor")
        return token, account

    @staticmethod
    def _is_issuer(principal: Principal, account: Account) -> bool:
        return principal.organization_type == "institution" and principal.organization_id == account.bank_code

    def _step_up_refused(self, session: Session, principal: Principal, token: Token, action: str,
                         message: str) -> Refused:
        self.record(session, principal, action, "payment_token", token.id, outcome="refused",
                    reason=Reason.STEP_UP_REQUIRED.value)
        return Refused(Reason.STEP_UP_REQUIRED, message)

    def transition(self, session: Session, principal: Principal, token: Token, account: Account,
                   action: str, *, otp: str | None = None, reason: str | None = None) -> Token:
        """Activate, suspend, resume or delete a token. Activation needs the step-up the issuer asked
        for (its one-time code, ``otp``) or, for a risk challenge, the holder's own step-up; resuming a
        token suspended for a lost device needs the holder's step-up (or the issuer)."""
        stepped_up = principal.subject == token.holder and principal.acr in domain.STEP_UP_ACRS
        if action == "activate" and token.state == TokenState.REQUESTED:
            if token.step_up_ref is not None:
                if not otp or not self.banks.get(account.bank_code).confirm_step_up(token.step_up_ref, otp):
                    raise self._step_up_refused(session, principal, token, action,
                                                "enter the one-time code the issuer sent the holder")
            elif not stepped_up:
                raise self._step_up_refused(
                    session, principal, token, action,
                    "the holder activates a token after a step-up (OTP or voiceprint)")
        if (action == "resume" and token.state == TokenState.SUSPENDED
                and token.suspended_for == "device_lost"
                and not (stepped_up or self._is_issuer(principal, account))):
            raise self._step_up_refused(session, principal, token, action,
                                        "a token suspended for a lost device resumes after the holder's "
                                        "step-up (OTP or voiceprint)")
        target = domain.next_state(TokenState(token.state), action)
        if target is None:
            raise Conflict(f"a {token.state} token cannot be {domain.PAST_TENSE[action]}", state=token.state)
        token.state, token.updated_at = target.value, self.clock.now()
        if action == "activate":
            token.assurance, token.step_up_ref = "step_up", None
        token.suspended_for = reason if target is TokenState.SUSPENDED else None
        session.flush()
        self.record(session, principal, action, "payment_token", token.id, state=target.value,
                    **({"suspended_for": reason} if reason else {}))
        self._notify(session, token, account, f"token.{target.value}")
        return token

    def replenish_key(self, session: Session, principal: Principal, token: Token) -> NewKey:
        """Hand the token's device its next limited-use key; the previous one stops working."""
        if token.state != TokenState.ACTIVE:
            raise Conflict(f"a {token.state} token gets no new key", state=token.state)
        now = self.clock.now()
        token.luk_seq, token.luk_uses = token.luk_seq + 1, 0
        token.luk_expires_at, token.updated_at = now + self.limits.key_lifetime, now
        session.flush()
        self.record(session, principal, "key.replenish", "payment_token", token.id, sequence=token.luk_seq)
        return NewKey(token, self.cryptogram_key(token).hex(), token.luk_seq, token.luk_expires_at,
                      self.limits.key_max_uses)

    def update_account(self, session: Session, principal: Principal, *, current_number: str,
                       new_number: str | None, new_expires_on: date | None) -> tuple[Account, int]:
        """The issuer replaces an account's number and/or expiry; every token keeps working (each keeps
        its own expiry), and each requestor is told. (account, tokens updated)."""
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
            token.updated_at = now
            changed += 1
            self._notify(session, token, account, "token.account_updated")
        session.flush()
        self.record(session, principal, "account.update", "payment_account", account.par, tokens=changed)
        return account, changed

    # ------------------------------------------------------------ helpers

    def record(self, session: Session, principal: Principal, action: str, subject_type: str,
               subject_id: str, outcome: str = "ok", **details: Any) -> None:
        """Write one audit entry of a token operation (ids and codes only, never an account number)."""
        self.audit.record(session, actor=principal.subject, actor_org=principal.organization_id,
                          action=f"tokens.{action}", subject_type=subject_type, subject_id=subject_id,
                          outcome=outcome, purpose="payment tokenisation", details=details,
                          at=self.clock.now())

    def cryptogram_key(self, token: Token) -> bytes:
        """The token's current limited-use key (bound to its number and key sequence: a deleted token
        provisioned again, or a replenished key, never matches an old device's key)."""
        return domain.limited_use_key(self.keys.cryptogram, token.id, token.number, token.luk_seq)

    def _notify(self, session: Session, token: Token, account: Account, event: str) -> None:
        now = self.clock.now()
        webhook = Webhook(id=new_id("whk"), requestor_id=token.requestor_id, token_id=token.id, event=event,
                          payload=payload(event, token.id, token.requestor_id, token.state, account.par,
                                          token.number[-4:], now),
                          state="pending", attempts=0, next_attempt_at=now, created_at=now)
        repo.add(session, webhook)
        session.info.setdefault(WEBHOOKS_KEY, []).append(webhook.id)


REFUSALS: dict[Reason, str] = {
    Reason.REQUESTOR_MISMATCH: "this token was issued to another requestor",
    Reason.MERCHANT_NOT_ALLOWED: "this token may not be used at this merchant",
    Reason.CHANNEL_NOT_ALLOWED: "this token may not be used in this channel",
    Reason.DEVICE_MISMATCH: "this token is bound to another device",
    Reason.AMOUNT_OVER_LIMIT: "the amount is over this token's limit",
    Reason.TOKEN_SUSPENDED: "this token is suspended",
    Reason.TOKEN_INACTIVE: "this token is not active yet (step-up pending)",
    Reason.TOKEN_DELETED: "this token was deleted",
    Reason.TOKEN_EXPIRED: "this token has expired",
    Reason.ACCOUNT_EXPIRED: "the card or account behind this token has expired",
    Reason.KEY_EXPIRED: "this token's limited-use key has expired: replenish it",
    Reason.KEY_EXHAUSTED: "this token's limited-use key is used up: replenish it",
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

