"""Banks behind one adapter interface: an in-memory bank with a real ledger and an HTTP adapter.

Every money-moving call carries bayfin's payment id, which the bank keeps as the idempotency key: an
authorization seen before is answered from the bank's record and never debits again; a reversal of a
payment the bank never saw leaves a tombstone, so the authorization cannot debit when it arrives late.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

import httpx

from bayfin.kernel.errors import ServiceUnavailable, ValidationFailed
from bayfin.kernel.ids import new_id


class IssuerDecision(StrEnum):
    """What the issuer says to a provisioning request."""

    APPROVE = "approve"
    STEP_UP = "step_up"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True)
class IssuerAnswer:
    """The issuer's answer to "is this your account, and may it be tokenised?": whether it confirms
    the number and expiry, its decision, the holder (the person's identity-platform subject) the
    issuer knows for it, and, for a step-up, the reference of the one-time code it sent the holder."""

    confirmed: bool
    decision: IssuerDecision = IssuerDecision.DECLINE
    holder: str | None = None
    step_up_ref: str | None = None


@dataclass(frozen=True, slots=True)
class BankAuthorization:
    """The issuing bank's answer to a detokenised transaction."""

    approved: bool
    code: str  # "00" approved, "51" insufficient funds, "14" no such account, "25" reversed before
    authorization_id: str | None = None


class BankOutcomeUnknown(ServiceUnavailable):
    """The bank did not answer in time, or the connection broke: the payment may or may not have
    debited, so it is reversed."""


class BankAdapter(Protocol):
    """What bayfin asks of an issuing bank."""

    def check_account(self, number: str, expires_on: date, *, requestor_id: str,
                      device_id: str | None) -> IssuerAnswer:
        """Confirm the account and decide on provisioning a token for this requestor and device."""
        ...

    def confirm_step_up(self, step_up_ref: str, otp: str) -> bool:
        """True if ``otp`` is the one-time code the issuer sent the holder for this step-up."""
        ...

    def authorize(self, number: str, amount_fen: int, merchant_id: str, payment_id: str) -> BankAuthorization:
        """Authorise a payment once per ``payment_id`` (a repeat is answered from the bank's record)."""
        ...

    def reverse(self, payment_id: str) -> bool:
        """Undo the payment (or make sure it never debits); True once the bank acknowledges."""
        ...

    def refund(self, payment_id: str, refund_id: str, amount_fen: int) -> bool:
        """Credit back ``amount_fen`` of a payment, once per ``refund_id``; True once acknowledged."""
        ...


@dataclass
class BankAccount:
    """An account at the in-memory bank."""

    expires_on: date
    balance_fen: int
    holder: str
    #: What the issuer answers to provisioning requests for this account.
    decision: IssuerDecision = IssuerDecision.APPROVE


@dataclass
class _BankPayment:
    number: str
    amount_fen: int
    answer: BankAuthorization
    reversed: bool = False
    refunded_fen: int = 0


@dataclass
class InMemoryBank:
    """A bank for tests and the demo with its own ledger: every debit and credit, per payment id."""

    accounts: dict[str, BankAccount] = field(default_factory=dict)
    #: (number, amount, merchant, payment id) of every debit, in order.
    authorizations: list[tuple[str, int, str, str]] = field(default_factory=list)
    #: (payment id, number, signed amount: debit negative) — the bank's own books.
    ledger: list[tuple[str, str, int]] = field(default_factory=list)
    #: How many authorization requests arrived per payment id (repeats included).
    requests: dict[str, int] = field(default_factory=dict)
    _payments: dict[str, _BankPayment] = field(default_factory=dict)
    _tombstones: set[str] = field(default_factory=set)
    _refunds: set[str] = field(default_factory=set)
    _otps: dict[str, tuple[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check_account(self, number: str, expires_on: date, *, requestor_id: str,
                      device_id: str | None) -> IssuerAnswer:
        """Confirm the account with this expiry; a step-up sends the holder a one-time code."""
        found = self.accounts.get(number)
        if found is None or found.expires_on != expires_on:
            return IssuerAnswer(False)
        ref = None
        if found.decision is IssuerDecision.STEP_UP:
            ref = new_id("stp")
            self._otps[ref] = (number, f"{secrets.randbelow(10**6):06d}")
        return IssuerAnswer(True, found.decision, found.holder, ref)

    def sent_otp(self, step_up_ref: str) -> str:
        """The code the holder received (what the holder reads off the phone, in tests)."""
        return self._otps[step_up_ref][1]

    def confirm_step_up(self, step_up_ref: str, otp: str) -> bool:
        """True once for the right code."""
        with self._lock:
            sent = self._otps.get(step_up_ref)
            if sent is None or not secrets.compare_digest(sent[1], otp):
                return False
            del self._otps[step_up_ref]
            return True

    def authorize(self, number: str, amount_fen: int, merchant_id: str, payment_id: str) -> BankAuthorization:
        """Approve when the balance covers the amount and take it off, once per payment id."""
        with self._lock:
            self.requests[payment_id] = self.requests.get(payment_id, 0) + 1
            seen = self._payments.get(payment_id)
            if seen is not None:
                return seen.answer
            found = self.accounts.get(number)
            if payment_id in self._tombstones:
                answer = BankAuthorization(False, "25")
            elif found is None:
                answer = BankAuthorization(False, "14")
            elif amount_fen > found.balance_fen:
                answer = BankAuthorization(False, "51")
            else:
                found.balance_fen -= amount_fen
                self.authorizations.append((number, amount_fen, merchant_id, payment_id))
                self.ledger.append((payment_id, number, -amount_fen))
                answer = BankAuthorization(True, "00", new_id("auth"))
            self._payments[payment_id] = _BankPayment(number, amount_fen, answer)
            return answer

    def reverse(self, payment_id: str) -> bool:
        """Credit back what is left of an approved payment; remember an unknown one as reversed."""
        with self._lock:
            seen = self._payments.get(payment_id)
            if seen is None:
                self._tombstones.add(payment_id)
                return True
            if seen.answer.approved and not seen.reversed:
                self._credit(payment_id, seen, seen.amount_fen - seen.refunded_fen)
            seen.reversed = True
            return True

    def refund(self, payment_id: str, refund_id: str, amount_fen: int) -> bool:
        """Credit back part of an approved payment once per refund id; False when there is nothing
        to refund it from."""
        with self._lock:
            if refund_id in self._refunds:
                return True
            seen = self._payments.get(payment_id)
            if seen is None or not seen.answer.approved or seen.reversed \
                    or seen.refunded_fen + amount_fen > seen.amount_fen:
                return False
            self._credit(payment_id, seen, amount_fen)
            seen.refunded_fen += amount_fen
            self._refunds.add(refund_id)
            return True

    def _credit(self, payment_id: str, seen: _BankPayment, amount_fen: int) -> None:
        account = self.accounts.get(seen.number)
        if account is not None and amount_fen:
            account.balance_fen += amount_fen
            self.ledger.append((payment_id, seen.number, amount_fen))

    def net_debit(self, payment_id: str) -> int:
        """What the payment took off the cardholder, net of reversals and refunds, in fen."""
        return -sum(amount for pid, _n, amount in self.ledger if pid == payment_id)


class HttpBank:
    """A bank reached over HTTP: ``POST /accounts/verify``, ``/step-ups/{ref}/confirm``,
    ``/authorizations`` (with an ``Idempotency-Key`` header), ``/authorizations/{id}/reversal``
    and ``/refunds``."""

    def __init__(self, base_url: str, *, timeout: float = 5.0, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout)

    def _post(self, path: str, body: dict[str, object], *, label: str | None = None,
              headers: dict[str, str] | None = None) -> dict[str, object]:
        # Messages name the route only: the body holds the account number, the path a payment id.
        try:
            response = self._client.post(path, json=body, headers=headers)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:  # no answer, an error, or not JSON: unknown
            raise BankOutcomeUnknown(f"the bank did not answer {label or path}",
                                     reason="BANK_UNAVAILABLE") from exc
        if not isinstance(data, dict):
            raise BankOutcomeUnknown(f"the bank's answer to {label or path} is not an object",
                                     reason="BANK_UNAVAILABLE")
        return data

    def check_account(self, number: str, expires_on: date, *, requestor_id: str,
                      device_id: str | None) -> IssuerAnswer:
        """Ask the bank whether it holds the account and whether it may be tokenised."""
        data = self._post("/accounts/verify", {"number": number, "expires_on": expires_on.isoformat(),
                                               "requestor_id": requestor_id, "device_id": device_id})
        if not data.get("known"):
            return IssuerAnswer(False)
        holder, ref = data.get("holder"), data.get("step_up_ref")
        return IssuerAnswer(True, IssuerDecision(str(data.get("decision", "decline"))),
                            None if holder is None else str(holder), None if ref is None else str(ref))

    def confirm_step_up(self, step_up_ref: str, otp: str) -> bool:
        """Hand the holder's one-time code to the bank."""
        return bool(self._post(f"/step-ups/{step_up_ref}/confirm", {"otp": otp},
                               label="/step-ups/confirm").get("confirmed"))

    def authorize(self, number: str, amount_fen: int, merchant_id: str, payment_id: str) -> BankAuthorization:
        """Ask the bank to authorise the payment; the payment id is the idempotency key."""
        data = self._post("/authorizations", {"number": number, "amount_fen": amount_fen,
                                               "merchant_id": merchant_id, "payment_id": payment_id,
                                               "reference": payment_id},
                          headers={"Idempotency-Key": payment_id})
        auth_id, approved, code = data.get("authorization_id"), data.get("approved"), data.get("code")
        if not isinstance(approved, bool) or code is None:
            raise BankOutcomeUnknown("the bank's answer to /authorizations is incomplete",
                                     reason="BANK_UNAVAILABLE")
        return BankAuthorization(approved, str(code), None if auth_id is None else str(auth_id))

    def reverse(self, payment_id: str) -> bool:
        """Ask the bank to reverse the payment."""
        return bool(self._post(f"/authorizations/{payment_id}/reversal", {},
                               label="/authorizations/reversal").get("acknowledged"))

    def refund(self, payment_id: str, refund_id: str, amount_fen: int) -> bool:
        """Ask the bank to refund part of the payment."""
        return bool(self._post("/refunds", {"payment_id": payment_id, "refund_id": refund_id,
                                            "amount_fen": amount_fen},
                               headers={"Idempotency-Key": refund_id}).get("acknowledged"))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


class BankDirectory:
    """The adapters of the banks bayfin can bind accounts from, by bank code."""

    def __init__(self) -> None:
        self._banks: dict[str, BankAdapter] = {}

    def register(self, code: str, adapter: BankAdapter) -> None:
        """Connect a bank (replacing an earlier adapter for the same code)."""
        self._banks[code] = adapter

    def codes(self) -> list[str]:
        """The connected banks' codes."""
        return sorted(self._banks)

    def get(self, code: str) -> BankAdapter:
        """The adapter of bank ``code``; 422 when no such bank is connected."""
        adapter = self._banks.get(code)
        if adapter is None:
            raise ValidationFailed(f"bank {code!r} is not connected", reason="UNKNOWN_BANK")
        return adapter

    def close(self) -> None:
        """Close every adapter that holds connections."""
        for adapter in self._banks.values():
            close = getattr(adapter, "close", None)
            if callable(close):
                close()
