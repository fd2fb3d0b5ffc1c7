"""Fault injection against a real HTTP bank on loopback (the test bank with its own ledger): a bank
that answers after the timeout, debits after it, fails after debiting, processes a request twice, or
is down. Whatever happens, the bank's own ledger shows exactly one net debit per approved payment, or
none, and a retry by the wallet never debits again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.clock import FixedClock
from bayfin.kernel.security import Principal
from bayfin.tokens.banks import BankAccount, HttpBank, InMemoryBank
from bayfin.tokens.models import BankOperation, TokenPayment
from bayfin.tokens.payments import PaymentRequest
from bayfin.tokens.testbank import Faults, create_app
from tests.api.tokens.conftest import EXPIRY, Env, bind, card, pay_body

FAULTY = card("62170099")
BALANCE = 1_000_000
TIMEOUT = 0.4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BankServer:
    """The test bank served by uvicorn in a thread; it can be stopped and started on the same port."""

    bank: InMemoryBank
    faults: Faults
    port: int
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(create_app(self.bank, self.faults), host="127.0.0.1", port=self.port,
                                log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the test bank did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def balance(self) -> int:
        return self.bank.accounts[FAULTY].balance_fen


@pytest.fixture
def bank_server() -> Iterator[BankServer]:
    server = BankServer(InMemoryBank({FAULTY: BankAccount(EXPIRY, BALANCE, "alice")}), Faults(), _free_port())
    server.start()
    yield server
    server.faults.wait_idle()
    server.stop()


@pytest.fixture
def faulty(env: Env, bank_server: BankServer) -> dict[str, object]:
    """Alice's card at the faulty bank, bound to her wallet (the bank behaves while she binds it)."""
    env.runtime.service.banks.register("BANKF", HttpBank(bank_server.url, timeout=TIMEOUT))
    return bind(env, FAULTY, "BANKF")


def _actions(env: Env, subject_id: str) -> list[tuple[str, str]]:
    with env.platform.unit_of_work() as uow:
        return [(e.action, e.outcome) for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == subject_id).order_by(AuditEntry.id))]


def _detokenized(env: Env, payment_id: str) -> bool:
    with env.platform.unit_of_work() as uow:
        return any(e.details.get("payment_id") == payment_id for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "tokens.detokenize")))


def test_a_bank_answering_after_the_timeout_is_reversed_and_the_wallets_retry_never_debits_again(
        env: Env, bank_server: BankServer, faulty: dict[str, object]) -> None:
    bank_server.faults.delay_before_debit = 3 * TIMEOUT  # the debit would land after the caller gave up
    body = pay_body(faulty, amount=25_000)
    first = env.client.post("/v1/wallet/payments", headers=env.alice(), json=body)
    assert first.status_code == 202, first.text
    payment_id = first.json()["payment_id"]
    assert first.json()["state"] == "reversal_pending" and first.json()["approved"] is False
    retry = env.client.post("/v1/wallet/payments", headers=env.alice(), json=body)  # the wallet retries
    assert retry.json()["payment_id"] == payment_id and retry.json()["state"] == "reversed"
    assert retry.status_code == 200
    bank_server.faults.wait_idle()  # the bank's late authorization has been handled by now
    assert bank_server.bank.requests == {payment_id: 1}  # the bank saw the payment id, once
    assert bank_server.bank.net_debit(payment_id) == 0 and bank_server.balance() == BALANCE
    polled = env.client.get(f"/v1/wallet/payments/{payment_id}", headers=env.alice())
    assert polled.status_code == 200 and polled.json()["state"] == "reversed"
    assert env.client.get(f"/v1/wallet/payments/{payment_id}", headers=env.bob()).status_code == 404
    assert _detokenized(env, payment_id)
    assert _actions(env, payment_id) == [
        ("tokens.authorize", "unknown"), ("tokens.payment.reversal.acknowledged", "acknowledged"),
        ("tokens.payment.retry", "ok"), ("tokens.payment.read", "ok")]


def test_a_debit_that_lands_after_the_timeout_is_credited_back(
        env: Env, bank_server: BankServer, faulty: dict[str, object]) -> None:
    bank_server.faults.delay_after_debit = 3 * TIMEOUT  # debited at once, answered too late
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(faulty, amount=700))
    assert paid.status_code == 202
    payment_id = paid.json()["payment_id"]
    bank_server.faults.wait_idle()
    assert [amount for pid, _n, amount in bank_server.bank.ledger if pid == payment_id] == [-700, 700]
    assert bank_server.bank.net_debit(payment_id) == 0 and bank_server.balance() == BALANCE


def test_a_bank_failing_after_debiting_is_reversed_and_the_next_payment_debits_once(
        env: Env, bank_server: BankServer, faulty: dict[str, object]) -> None:
    bank_server.faults.fail_after_debit = 1
    failed = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(faulty, amount=900))
    assert failed.status_code == 202 and failed.json()["state"] == "reversal_pending"
    good = env.client.post("/v1/wallet/payments", headers=env.alice(),
                           json=pay_body(faulty, amount=1_100, atc=2))
    assert good.status_code == 200 and good.json()["approved"] is True
    ledger = bank_server.bank
    assert ledger.net_debit(failed.json()["payment_id"]) == 0
    assert ledger.net_debit(good.json()["payment_id"]) == 1_100
    assert bank_server.balance() == BALANCE - 1_100


def test_a_bank_that_processes_one_request_twice_debits_once(
        env: Env, bank_server: BankServer, faulty: dict[str, object]) -> None:
    bank_server.faults.process_twice = True
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(faulty, amount=1_200))
    assert paid.status_code == 200 and paid.json()["approved"] is True
    payment_id = paid.json()["payment_id"]
    assert bank_server.bank.requests[payment_id] == 2
    assert bank_server.bank.net_debit(payment_id) == 1_200 and bank_server.balance() == BALANCE - 1_200


class _SendTwice(httpx.HTTPTransport):
    """A network path that delivers every request twice (a retransmitting proxy)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        first = super().handle_request(request)
        first.read()
        first.close()
        return super().handle_request(request)


def test_a_request_delivered_twice_on_the_wire_debits_once(
        env: Env, bank_server: BankServer, faulty: dict[str, object]) -> None:
    client = httpx.Client(base_url=bank_server.url, timeout=TIMEOUT, transport=_SendTwice())
    env.runtime.service.banks.register("BANKF", HttpBank(bank_server.url, client=client))
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(faulty, amount=1_300))
    assert paid.status_code == 200 and paid.json()["approved"] is True
    payment_id = paid.json()["payment_id"]
    assert bank_server.bank.requests[payment_id] == 2
    assert bank_server.bank.net_debit(payment_id) == 1_300


def test_a_reversal_waits_in_the_outbox_while_the_bank_is_down_and_lands_when_it_is_back(
        env: Env, bank_server: BankServer, faulty: dict[str, object]) -> None:
    bank_server.stop()
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(faulty, amount=800))
    assert paid.status_code == 202
    payment_id = paid.json()["payment_id"]
    outbox = env.runtime.bank_outbox
    later = FixedClock(datetime.now(UTC) + timedelta(minutes=10))
    env.runtime.service.clock = later
    assert outbox.process_due() == (0, 1)  # still down: owed, retried later with backoff
    with env.platform.unit_of_work() as uow:
        row = uow.session.scalars(select(BankOperation).where(BankOperation.payment_id == payment_id)).one()
        assert (row.kind, row.state, row.attempts) == ("reversal", "pending", 2)
        assert row.next_attempt_at > later.now()
    bank_server.start()
    env.runtime.service.clock = FixedClock(later.now() + timedelta(hours=1))
    assert outbox.process_due() == (1, 0)
    assert outbox.process_due() == (0, 0)  # acknowledged once, never sent again
    polled = env.client.get(f"/v1/wallet/payments/{payment_id}", headers=env.alice())
    assert polled.json()["state"] == "reversed"
    # the authorization never reached the bank; if it ever does, the bank's tombstone declines it
    assert bank_server.bank.authorize(FAULTY, 800, "M-CAFE", payment_id).code == "25"
    assert bank_server.bank.net_debit(payment_id) == 0 and bank_server.balance() == BALANCE


def test_a_payment_whose_process_died_before_the_issuer_answered_is_reversed_by_the_worker(
        env: Env, bank_server: BankServer, faulty: dict[str, object]) -> None:
    runtime = env.runtime
    request = PaymentRequest(**pay_body(faulty, amount=600))  # type: ignore[arg-type]
    holder = Principal(subject="alice", organization_type="person", client_id="wallet-app",
                       scopes=frozenset({"wallet"}))
    with env.platform.unit_of_work() as uow:
        requestor = runtime.service.requestor_of(uow.session, holder)
        started = runtime.payments.start(uow.session, holder, requestor, request, holder="alice")
        uow.commit()
        runtime.payments.authorize(started)  # the bank debits ... and the process dies before finish()
    payment_id = started.payment.id
    assert bank_server.bank.net_debit(payment_id) == 600
    assert runtime.bank_outbox.process_due() == (0, 0)  # not stale yet: it may still be in flight
    runtime.service.clock = FixedClock(datetime.now(UTC) + timedelta(minutes=5))
    assert runtime.bank_outbox.process_due() == (1, 0)
    with env.platform.unit_of_work() as uow:
        assert uow.session.get_one(TokenPayment, payment_id).state == "reversed"
    assert bank_server.bank.net_debit(payment_id) == 0 and bank_server.balance() == BALANCE
    runtime.service.clock = FixedClock(datetime.now(UTC))
    retry = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(faulty, amount=600))
    assert retry.json()["payment_id"] == payment_id and retry.json()["state"] == "reversed"
    assert bank_server.bank.requests[payment_id] == 1
