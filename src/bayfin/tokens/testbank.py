"""A small stand-alone bank for tests and the demo, reached through :class:`~bayfin.tokens.banks.HttpBank`.

Run as its own process: ``python -m bayfin.tokens.testbank --port 8701 --accounts accounts.json``
where the file maps account numbers to ``[expiry ISO date, balance in fen, holder]`` (and optionally
a fourth item, the provisioning decision: approve, step_up or decline). It keeps its ledger in memory
and logs no request bodies. :class:`Faults` makes it misbehave the way real issuers do (answer after
the caller's timeout, fail after debiting, process one request twice), for fault-injection tests that
then read the bank's own ledger.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bayfin.tokens.banks import BankAccount, InMemoryBank, IssuerDecision


class VerifyIn(BaseModel):
    """An account to confirm."""

    number: Annotated[str, Field(pattern=r"^[0-9]{12,19}$")]
    expires_on: date
    requestor_id: str | None = None
    device_id: str | None = None


class OtpIn(BaseModel):
    """The holder's one-time code."""

    otp: Annotated[str, Field(max_length=12)]


class AuthorizeIn(BaseModel):
    """A detokenised payment to authorise."""

    number: Annotated[str, Field(pattern=r"^[0-9]{12,19}$")]
    amount_fen: Annotated[int, Field(gt=0)]
    merchant_id: str
    payment_id: str
    reference: str | None = None


class RefundIn(BaseModel):
    """Part of a payment to credit back."""

    payment_id: str
    refund_id: str
    amount_fen: Annotated[int, Field(gt=0)]


@dataclass
class Faults:
    """How the bank misbehaves on ``/authorizations`` (each counter is spent one request at a time)."""

    #: Seconds to wait before touching the ledger (the debit lands after the caller gave up).
    delay_before_debit: float = 0.0
    #: Seconds to wait after debiting before answering.
    delay_after_debit: float = 0.0
    #: Answer this many authorizations with HTTP 500 after debiting.
    fail_after_debit: int = 0
    #: Process each authorization twice (a retransmission inside the bank's network).
    process_twice: bool = False
    #: Requests still being handled (so a test can wait for a late debit to land).
    in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no authorization is being handled."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.in_flight == 0, "the bank is still handling a request"


def create_app(bank: InMemoryBank, faults: Faults | None = None) -> FastAPI:
    """The bank's API over ``bank``'s ledger, misbehaving as ``faults`` says."""
    faults = faults or Faults()
    app = FastAPI(title="bayfin test bank")

    @app.post("/accounts/verify")
    def verify(body: VerifyIn) -> dict[str, object]:
        """Whether the bank holds this account with this expiry, and its provisioning decision."""
        answer = bank.check_account(body.number, body.expires_on, requestor_id=body.requestor_id or "",
                                    device_id=body.device_id)
        return {"known": answer.confirmed, "decision": answer.decision.value, "holder": answer.holder,
                "step_up_ref": answer.step_up_ref}

    @app.post("/step-ups/{ref}/confirm")
    def confirm(ref: str, body: OtpIn) -> dict[str, bool]:
        """Whether the holder's code is the one sent."""
        return {"confirmed": bank.confirm_step_up(ref, body.otp)}

    @app.post("/authorizations", response_model=None)
    def authorize(body: AuthorizeIn, idempotency_key: Annotated[str | None, Header()] = None,
                  ) -> dict[str, object] | JSONResponse:
        """Approve when the balance covers the amount, once per payment id."""
        payment_id = idempotency_key or body.payment_id
        with faults._lock:
            faults.in_flight += 1
        try:
            if faults.delay_before_debit:
                time.sleep(faults.delay_before_debit)
            result = bank.authorize(body.number, body.amount_fen, body.merchant_id, payment_id)
            if faults.process_twice:
                result = bank.authorize(body.number, body.amount_fen, body.merchant_id, payment_id)
            if faults.delay_after_debit:
                time.sleep(faults.delay_after_debit)
            with faults._lock:
                failing = faults.fail_after_debit > 0
                faults.fail_after_debit -= int(failing)
            if failing:
                return JSONResponse({"error": "internal"}, status_code=500)
            return {"approved": result.approved, "code": result.code,
                    "authorization_id": result.authorization_id}
        finally:
            with faults._lock:
                faults.in_flight -= 1

    @app.post("/authorizations/{payment_id}/reversal")
    def reverse(payment_id: str) -> dict[str, bool]:
        """Reverse the payment (or make sure it never debits)."""
        return {"acknowledged": bank.reverse(payment_id)}

    @app.post("/refunds")
    def refund(body: RefundIn) -> dict[str, bool]:
        """Credit back part of a payment."""
        return {"acknowledged": bank.refund(body.payment_id, body.refund_id, body.amount_fen)}

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app


def load_accounts(raw: dict[str, list[object]]) -> dict[str, BankAccount]:
    """Accounts from ``{number: [expiry, balance, holder, decision?]}``."""
    accounts = {}
    for number, item in raw.items():
        expiry, balance, holder = str(item[0]), int(str(item[1])), str(item[2])
        decision = IssuerDecision(str(item[3])) if len(item) > 3 else IssuerDecision.APPROVE
        accounts[number] = BankAccount(date.fromisoformat(expiry), balance, holder, decision)
    return accounts


def main(argv: list[str] | None = None) -> None:
    """Serve the test bank on loopback."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--accounts", type=Path, required=True)
    args = parser.parse_args(argv)
    bank = InMemoryBank(load_accounts(json.loads(args.accounts.read_text())))
    uvicorn.run(create_app(bank), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
