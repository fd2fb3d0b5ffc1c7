"""Payment by token, where money moves exactly once.

A payment goes in three steps, each a short transaction owned by the edge (API or CLI):

1. :meth:`Payments.start` checks requestor, holder, cryptogram (under the token's limited-use key),
   state, controls, the token's and the card's expiry and the counter's window, then writes the
   payment record (its id is the idempotency key the bank receives; its (token, counter) is unique, so
   each counter pays once), counts the key's use, raises the counter and audits the detokenisation.
   The edge commits *before* the issuer is called.
2. :meth:`Payments.authorize` decrypts the number for the issuer's adapter alone and asks for the
   authorization, with no transaction open. A timeout or a broken connection is an unknown outcome.
3. :meth:`Payments.finish` records the answer, or, for an unknown outcome, queues a reversal of that
   payment id in the bank outbox (``bank_outbox.py`` retries it until the bank acknowledges) and the
   caller is told ``reversal_pending`` (HTTP 202), a state it polls.

A retry of the same payment (same token, counter and cryptogram) is answered from the record and never
reaches the bank again. Completed payments can be reversed (in full, before any refund) or refunded
(in parts up to the amount); both go through the outbox, and every step is audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bayfin.kernel.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.security import Principal
from bayfin.tokens import domain
from bayfin.tokens import repository as repo
from bayfin.tokens.banks import BankAuthorization
from bayfin.tokens.domain import Controls, Reason, TokenState, Use
from bayfin.tokens.models import Account, BankOperation, Requestor, Token, TokenPayment
from bayfin.tokens.service import REFUSALS, Refused, TokenService

log = logging.getLogger(__name__)
SYSTEM = Principal(subject="tokens-bank-outbox", organization_type="operator")


class PaymentState(StrEnum):
    """Where a payment is: waiting for its issuer, answered, or being (or been) reversed."""

    AUTHORIZING = "authorizing"
    APPROVED = "approved"
    DECLINED = "declined"
    REVERSAL_PENDING = "reversal_pending"
    REVERSED = "reversed"


#: States a caller need not poll any more.
FINAL = frozenset({PaymentState.APPROVED, PaymentState.DECLINED, PaymentState.REVERSED})


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """What the requestor sends to pay by token."""

    token_number: str
    amount_fen: int
    merchant_id: str
    channel: str
    atc: int
    cryptogram: str
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class Started:
    """A payment recorded and ready for its issuer, or (``replayed``) one recorded before."""

    payment: TokenPayment
    token: Token
    account: Account
    replayed: bool


def _same_payment(found: TokenPayment, requestor_id: str, request: PaymentRequest) -> bool:
    return (found.requestor_id, found.amount_fen, found.merchant_id, found.channel) == (
        requestor_id, request.amount_fen, request.merchant_id, request.channel)


class Payments:
    """The payment use cases over the token service's keys, banks, clock and audit log."""

    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

    # ------------------------------------------------------------ 1. record

    def start(self, session: Session, principal: Principal, requestor: Requestor, request: PaymentRequest,
              *, holder: str | None = None) -> Started:
        """Check the payment and record it (see the module docstring); flushes, the edge commits.
        ``holder`` (wallet payments) also requires the token be the person's."""
        svc = self.tokens
        token = repo.token_by_number(session, request.token_number)
        if token is None:
            raise NotFound("no such token")
        account = repo.account(session, token.account_id)
        assert account is not None  # a foreign key
        svc.banks.get(account.bank_code)  # 422 now, before anything is recorded, if it is not connected
        now = svc.clock.now()
        details: dict[str, Any] = {"requestor_id": requestor.id, "merchant_id": request.merchant_id,
                                   "channel": request.channel, "amount_fen": request.amount_fen,
                                   "atc": request.atc}
        reason: Reason | None = None
        if holder is not None and token.holder != holder:
            reason = Reason.ACCOUNT_MISMATCH
        elif requestor.id != token.requestor_id:
            reason = Reason.REQUESTOR_MISMATCH
        if reason is None:
            reason = domain.verify_cryptogram(svc.cryptogram_key(token), token.number, request.amount_fen,
                                              request.merchant_id, request.atc, request.cryptogram)
        if reason is None:
            earlier = repo.payment_for_counter(session, token.id, request.atc)
            if earlier is not None:
                if _same_payment(earlier, requestor.id, request):
                    return self._replay(session, principal, earlier, token, account)
                reason = Reason.CRYPTOGRAM_REPLAYED
        if reason is None:
            use = Use(requestor.id, request.merchant_id, request.channel, request.amount_fen, now.date(),
                      request.device_id)
            reason = domain.check_use(TokenState(token.state), token.requestor_id,
                                      Controls.from_dict(token.controls), use, account.expires_on)
        if reason is None and not domain.counter_in_window(request.atc, token.atc, svc.limits.atc_window):
            reason = Reason.CRYPTOGRAM_REPLAYED
        if reason is None:
            reason = domain.check_key(token.luk_expires_at, token.luk_uses, svc.limits.key_max_uses, now)
        if reason is None and not repo.use_key_and_counter(session, token.id, token.luk_seq,
                                                           svc.limits.key_max_uses, request.atc):
            reason = Reason.KEY_EXHAUSTED  # another payment took the key's last use a moment ago
        found: TokenPayment | None = None
        if reason is None:
            found = repo.insert_payment(session, {
                "id": new_id("pay"), "token_id": token.id, "requestor_id": requestor.id, "atc": request.atc,
                "bank_code": account.bank_code, "amount_fen": request.amount_fen,
                "merchant_id": request.merchant_id, "channel": request.channel,
                "state": PaymentState.AUTHORIZING.value, "response_code": None, "authorization_id": None,
                "refunded_fen": 0, "created_at": now, "updated_at": now})
            if found is None:
                raced = repo.payment_for_counter(session, token.id, request.atc)  # the same request, twice
                if raced is not None and _same_payment(raced, requestor.id, request):
                    return self._replay(session, principal, raced, token, account)
                reason = Reason.CRYPTOGRAM_REPLAYED
        if reason is not None or found is None:
            reason = reason or Reason.CRYPTOGRAM_REPLAYED
            svc.record(session, principal, "detokenize", "payment_token", token.id, outcome="refused",
                       reason=reason.value, **details)
            raise Refused(reason, REFUSALS[reason])
        svc.record(session, principal, "detokenize", "payment_token", token.id, payment_id=found.id,
                   par=account.par, bank_code=account.bank_code, **details)
        return Started(found, token, account, replayed=False)

    def _replay(self, session: Session, principal: Principal, earlier: TokenPayment, token: Token,
                account: Account) -> Started:
        self.tokens.record(session, principal, "payment.retry", "payment", earlier.id, token_id=token.id,
                           state=earlier.state)
        return Started(earlier, token, account, replayed=True)

    # ------------------------------------------------------------ 2. ask the issuer

    def authorize(self, started: Started) -> BankAuthorization | None:
        """Detokenise for the issuer's adapter alone and ask for the authorization (call it with no
        transaction open); None when the outcome is unknown (timeout, connection lost)."""
        payment = started.payment
        bank = self.tokens.banks.get(payment.bank_code)
        try:
            return bank.authorize(self.tokens.open_number(started.account), payment.amount_fen,
                                  payment.merchant_id, payment.id)
        except ServiceUnavailable as exc:
            log.warning("issuer outcome unknown; the payment will be reversed",
                        extra={"payment_id": payment.id, "bank_code": payment.bank_code,
                               "error": exc.message})
            return None

    # ------------------------------------------------------------ 3. record the answer

    def finish(self, session: Session, principal: Principal, payment_id: str,
               answer: BankAuthorization | None) -> tuple[TokenPayment, list[str]]:
        """Record the issuer's answer, or queue a reversal when it is unknown; the payment and the ids
        of outbox rows to try once the edge commits."""
        now = self.tokens.clock.now()
        found = repo.payment(session, payment_id)
        assert found is not None
        queued: list[str] = []
        if answer is None:
            values: dict[str, Any] = {"state": PaymentState.REVERSAL_PENDING.value, "response_code": "91"}
            outcome = "unknown"
        else:
            state = PaymentState.APPROVED if answer.approved else PaymentState.DECLINED
            values = {"state": state.value, "response_code": answer.code[:4],
                      "authorization_id": answer.authorization_id}
            outcome = "approved" if answer.approved else "declined"
        values["updated_at"] = now
        # conditional: a payment the stale sweep already reverses keeps its reversal (the answer came
        # too late to count)
        if repo.set_payment_state(session, payment_id, PaymentState.AUTHORIZING, **values):
            for name, value in values.items():
                set_committed_value(found, name, value)
            if answer is None:
                queued.append(self._queue(session, found, "reversal", found.amount_fen).id)
        else:
            session.refresh(found)
        self.tokens.record(session, principal, "authorize", "payment", payment_id, outcome=outcome,
                           token_id=found.token_id, bank_code=found.bank_code, amount_fen=found.amount_fen,
                           response_code=found.response_code, state=found.state)
        return found, queued

    # ------------------------------------------------------------ after the payment

    def payment_for(self, session: Session, principal: Principal, payment_id: str, *,
                    requestor: Requestor | None = None, holder: str | None = None) -> TokenPayment:
        """A payment its requestor (or, for ``holder``, the token's holder) may see; 404 otherwise."""
        found = repo.payment(session, payment_id)
        token = repo.token(session, found.token_id) if found is not None else None
        if found is None or token is None or not (
                (requestor is not None and found.requestor_id == requestor.id)
                or (holder is not None and token.holder == holder)):
            raise NotFound("no such payment")
        self.tokens.record(session, principal, "payment.read", "payment", found.id, state=found.state)
        return found

    def reverse(self, session: Session, principal: Principal, payment: TokenPayment) -> list[str]:
        """Reverse an approved payment in full (before any refund); the outbox tells the bank."""
        if payment.state != PaymentState.APPROVED or payment.refunded_fen:
            raise Conflict(f"a {payment.state} payment with {payment.refunded_fen} fen refunded cannot be "
                           "reversed", state=payment.state)
        repo.set_payment_state(session, payment.id, PaymentState.APPROVED,
                               state=PaymentState.REVERSAL_PENDING.value, updated_at=self.tokens.clock.now())
        operation = self._queue(session, payment, "reversal", payment.amount_fen)
        session.refresh(payment)
        self.tokens.record(session, principal, "payment.reverse", "payment", payment.id,
                           amount_fen=payment.amount_fen, operation_id=operation.id)
        return [operation.id]

    def refund(self, session: Session, principal: Principal, payment: TokenPayment,
               amount_fen: int) -> BankOperation:
        """Refund part of an approved payment (never more than is left); the outbox tells the bank."""
        if payment.state != PaymentState.APPROVED:
            raise Conflict(f"a {payment.state} payment cannot be refunded", state=payment.state)
        if amount_fen <= 0 or payment.refunded_fen + amount_fen > payment.amount_fen:
            raise ValidationFailed("a refund is more than nothing and at most what is left of the payment",
                                   refundable_fen=payment.amount_fen - payment.refunded_fen)
        payment.refunded_fen += amount_fen
        payment.updated_at = self.tokens.clock.now()
        operation = self._queue(session, payment, "refund", amount_fen)
        self.tokens.record(session, principal, "payment.refund", "payment", payment.id,
                           amount_fen=amount_fen, operation_id=operation.id)
        return operation

    def _queue(self, session: Session, payment: TokenPayment, kind: str, amount_fen: int) -> BankOperation:
        now = self.tokens.clock.now()
        operation = BankOperation(id=new_id("bop"), payment_id=payment.id, bank_code=payment.bank_code,
                                  kind=kind, amount_fen=amount_fen, state="pending", attempts=0,
                                  next_attempt_at=now, created_at=now)
        repo.save(session, operation)
        return operation

    # ------------------------------------------------------------ the outbox's bookkeeping

    def sweep_stale(self, session: Session, limit: int = 500) -> list[str]:
        """Queue reversals of payments still waiting for their issuer long after any timeout (the
        process that called the issuer died): whatever the bank did, it is undone."""
        now = self.tokens.clock.now()
        queued = []
        for found in repo.stale_payments(session, now - self.tokens.limits.stale_after, limit):
            if repo.set_payment_state(session, found.id, PaymentState.AUTHORIZING,
                                      state=PaymentState.REVERSAL_PENDING.value, response_code="91",
                                      updated_at=now):
                queued.append(self._queue(session, found, "reversal", found.amount_fen).id)
                self.tokens.record(session, SYSTEM, "payment.stale", "payment", found.id,
                                   outcome="reversal_pending")
        return queued

    def settle(self, session: Session, operation: BankOperation, acknowledged: bool | None,
               error: str | None) -> None:
        """Record one attempt at an outbox row: acknowledged (done), refused by the bank (a refund it
        will not make: released), or not reached (retried later with backoff, never given up)."""
        now = self.tokens.clock.now()
        attempts = operation.attempts + 1
        if acknowledged is None:
            delay = timedelta(seconds=min(300, 2 ** min(attempts, 9)))
            repo.settle_bank_operation(session, operation.id, attempts=attempts,
                                       last_error=(error or "")[:200], next_attempt_at=now + delay)
            return
        state = "acknowledged" if acknowledged else "refused"
        if not repo.settle_bank_operation(session, operation.id, attempts=attempts, state=state, done_at=now,
                                          last_error=None if acknowledged else (error or "")[:200]):
            return  # another worker settled it first
        payment = repo.payment(session, operation.payment_id)
        assert payment is not None
        if operation.kind == "reversal" and acknowledged:
            repo.set_payment_state(session, payment.id, PaymentState.REVERSAL_PENDING,
                                   state=PaymentState.REVERSED.value, updated_at=now)
        elif operation.kind == "refund" and not acknowledged:
            payment.refunded_fen -= operation.amount_fen
            payment.updated_at = now
        session.flush()
        self.tokens.record(session, SYSTEM, f"payment.{operation.kind}.{state}", "payment", payment.id,
                           outcome=state, operation_id=operation.id, amount_fen=operation.amount_fen,
                           attempts=attempts)
