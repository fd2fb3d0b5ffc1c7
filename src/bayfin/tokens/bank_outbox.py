"""The durable outbox of operations owed to issuing banks (reversals, refunds), tried at once after the
transaction that queued them commits and then by a worker (``bayfin tokens payments work``) until
each is acknowledged. Every call is idempotent at the bank (the payment id, the refund id), so two
workers, a crash between the bank's answer and the bookkeeping, or a retry never move money twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.orm import Session

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


class BankOutbox:
    """Sends outbox rows to their banks: in the background after commit, or from a worker."""

    def __init__(self, session_factory: Callable[[], Session], payments: Payments, *,
                 background: bool = True) -> None:
        self._sessions = session_factory
        self._payments = payments
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokens-bank-outbox")
        self._pending: set[Future[int]] = set()
        self._lock = threading.Lock()
        #: False: send in the caller's thread (tests whose sessions share one connection, the CLI).
        self.background = background

    def submit(self, operation_ids: Iterable[str]) -> None:
        """Try these rows now (called after the transaction that queued them commits)."""
        ids = list(operation_ids)
        if not ids:
            return
        if not self.background:
            self.deliver(ids)
            return
        future = self._pool.submit(self.deliver, ids)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[int]) -> None:
        with self._lock:
            self._pending.discard(future)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every attempt started so far has finished."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)

    def deliver(self, operation_ids: Sequence[str]) -> int:
        """Try each still-pending row once; how many the banks acknowledged."""
        return sum(self._attempt(op) for op in self._load(
            lambda session: repo.bank_operations_by_ids(session, operation_ids)))

    def process_due(self, limit: int = 500) -> tuple[int, int]:
        """One worker round: queue reversals of stale payments, then try every due row.
        (acknowledged, still owed)."""
        session = self._sessions()
        try:
            self._payments.sweep_stale(session, limit)
            session.commit()
        finally:
            session.close()
        now = self._payments.tokens.clock.now()
        done = owed = 0
        for operation in self._load(lambda s: repo.due_bank_operations(s, now, limit)):
            if self._attempt(operation):
                done += 1
            else:
                owed += 1
        return done, owed

    def _load(self, query: Callable[[Session], Sequence[BankOperation]]) -> list[_Operation]:
        """Pending rows as plain data, read in a short transaction (none stays open during a call)."""
        session = self._sessions()
        try:
            return [_Operation(o.id, o.payment_id, o.bank_code, o.kind, o.amount_fen)
                    for o in query(session) if o.state == "pending"]
        finally:
            session.rollback()
            session.close()

    def _attempt(self, operation: _Operation) -> bool:
        """Call the bank once and record the outcome in its own transaction; True if acknowledged."""
        acknowledged: bool | None
        error: str | None = None
        try:
            bank = self._payments.tokens.banks.get(operation.bank_code)
            if operation.kind == "reversal":
                acknowledged = bank.reverse(operation.payment_id)
            else:
                acknowledged = bank.refund(operation.payment_id, operation.id, operation.amount_fen)
            if not acknowledged:
                error = "the bank refused it"
        except (ServiceUnavailable, ValidationFailed) as exc:  # not reached, or not connected now
            acknowledged, error = None, exc.message
            log.warning("bank operation not acknowledged; it stays in the outbox",
                        extra={"operation_id": operation.id, "kind": operation.kind, "error": error})
        session = self._sessions()
        try:
            found = session.get(BankOperation, operation.id)
            if found is not None:
                self._payments.settle(session, found, acknowledged, error)
            session.commit()
        finally:
            session.close()
        return bool(acknowledged)

    def close(self) -> None:
        """Stop the pool, waiting for running attempts."""
        self._pool.shutdown(wait=True)
