"""The durable outbox of operations owed to issuing banks (reversals, refunds), tried at once after the
transaction that queued them commits and then by a worker (``bayfin tokens payments work``) until
each is acknowledged. Every call is idempotent at the bank (the payment id, the refund id), so two
workers, a crash between the bank's answer and the bookkeeping, or a retry never move money twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bayfin.integrations.webhook_outbox import OutboxDispatcher
from bayfin.kernel.errors import ServiceUnavailable, ValidationFailed
from bayfin.tokens import repository as repo
from bayfin.tokens.models import BankOperation
from bayfin.tokens.payments import Payments

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Operation:
    id: str
    payment_id: str
    bank_code: str
    kind: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class _Answer:
    """A bank's answer to one attempt: acknowledged, refused (False) or not reached (None)."""

    acknowledged: bool | None
    error: str | None


class _BankCalls:
    """The ``tokens_bank_operations`` table as the outbox loop sees it: each attempt one bank call."""

    def __init__(self, payments: Payments) -> None:
        self._payments = payments

    def owed(self, session: Session, outbox_ids: Sequence[str]) -> list[_Operation]:
        return _pending(repo.bank_operations_by_ids(session, outbox_ids))

    def due(self, session: Session, now: datetime, limit: int) -> list[_Operation]:
        return _pending(repo.due_bank_operations(session, now, limit))

    def send(self, operation: _Operation) -> _Answer:
        """Call the bank once."""
        try:
            bank = self._payments.tokens.banks.get(operation.bank_code)
            if operation.kind == "reversal":
                acknowledged = bank.reverse(operation.payment_id)
            else:
                acknowledged = bank.refund(operation.payment_id, operation.id, operation.amount_fen)
        except (ServiceUnavailable, ValidationFailed) as exc:  # not reached, or not connected now
            log.warning("bank operation not acknowledged; it stays in the outbox",
                        extra={"operation_id": operation.id, "kind": operation.kind, "error": exc.message})
            return _Answer(None, exc.message)
        return _Answer(acknowledged, None if acknowledged else "the bank refused it")

    def delivered(self, answer: _Answer) -> bool:
        return bool(answer.acknowledged)

    def record(self, session: Session, operation: _Operation, made: int, answer: _Answer,
               now: datetime) -> None:
        """Settle the row (the payment's bookkeeping counts the attempt itself)."""
        found = repo.bank_operation(session, operation.id)
        if found is not None:
            self._payments.settle(session, found, answer.acknowledged, answer.error)


class _ServiceClock:
    """The token service's clock as it is now (tests move it)."""

    def __init__(self, payments: Payments) -> None:
        self._payments = payments

    def now(self) -> datetime:
        return self._payments.tokens.clock.now()


def _pending(rows: Sequence[BankOperation]) -> list[_Operation]:
    """Pending rows as plain data (none stays attached while a bank is called)."""
    return [_Operation(o.id, o.payment_id, o.bank_code, o.kind, o.amount_fen)
            for o in rows if o.state == "pending"]


class BankOutbox(OutboxDispatcher[_Operation, _Answer]):
    """Sends outbox rows to their banks, once per round: in the background after commit, or from a
    worker (the shared outbox loop; a row not acknowledged waits for its backoff)."""

    def __init__(self, session_factory: Callable[[], Session], payments: Payments, *,
                 background: bool = True) -> None:
        super().__init__(session_factory, _BankCalls(payments), _ServiceClock(payments), attempts_now=1,
                         background=background, workers=1, name="tokens-bank-outbox")
        self._payments = payments

    def process_due(self, limit: int = 500) -> tuple[int, int]:
        """One worker round: queue reversals of stale payments, then try every due row.
        (acknowledged, still owed)."""
        session = self._sessions()
        try:
            self._payments.sweep_stale(session, limit)
            session.commit()
        finally:
            session.close()
        return self.dispatch_due(limit)
