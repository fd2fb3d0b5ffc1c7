"""The bank adapters without a network: the in-memory bank's ledger rules and the HTTP adapter's
reading of what a bank answers (anything but a well-formed answer is an unknown outcome)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from bayfin.tokens.banks import BankAccount, BankOutcomeUnknown, HttpBank, InMemoryBank, IssuerDecision

NUMBER = "6222021100000000001"


def bank() -> InMemoryBank:
    return InMemoryBank({NUMBER: BankAccount(date(2030, 6, 30), 10_000, "alice")})


def test_an_authorization_debits_once_per_payment_id_and_a_reversal_undoes_it() -> None:
    b = bank()
    first = b.authorize(NUMBER, 3_000, "M", "pay_1")
    assert first.approved and b.authorize(NUMBER, 3_000, "M", "pay_1") == first
    assert b.net_debit("pay_1") == 3_000 and b.requests["pay_1"] == 2
    assert b.reverse("pay_1") and b.reverse("pay_1")
    assert b.net_debit("pay_1") == 0 and b.accounts[NUMBER].balance_fen == 10_000


def test_a_reversal_that_arrives_first_stops_the_late_authorization() -> None:
    b = bank()
    assert b.reverse("pay_2")
    late = b.authorize(NUMBER, 3_000, "M", "pay_2")
    assert not late.approved and late.code == "25" and b.net_debit("pay_2") == 0


def test_refunds_are_once_per_id_and_never_beyond_the_payment() -> None:
    b = bank()
    b.authorize(NUMBER, 3_000, "M", "pay_3")
    assert b.refund("pay_3", "r1", 2_000) and b.refund("pay_3", "r1", 2_000)
    assert not b.refund("pay_3", "r2", 1_001)
    assert b.net_debit("pay_3") == 1_000
    assert b.reverse("pay_3") and b.net_debit("pay_3") == 0
    assert not b.refund("unknown", "r3", 1)


def test_the_issuer_confirms_only_the_right_expiry_and_its_code_works_once() -> None:
    b = bank()
    assert not b.check_account(NUMBER, date(2030, 7, 31), requestor_id="r", device_id=None).confirmed
    b.accounts[NUMBER].decision = IssuerDecision.STEP_UP
    answer = b.check_account(NUMBER, date(2030, 6, 30), requestor_id="r", device_id=None)
    assert answer.confirmed and answer.holder == "alice" and answer.step_up_ref
    code = b.sent_otp(answer.step_up_ref)
    assert b.confirm_step_up(answer.step_up_ref, code) and not b.confirm_step_up(answer.step_up_ref, code)


@pytest.mark.parametrize("reply", [
    httpx.Response(200, content=b"<html>gateway</html>"),
    httpx.Response(200, json=["approved"]),
    httpx.Response(200, json={"approved": "yes", "code": "00"}),
    httpx.Response(200, json={"code": "00"}),
    httpx.Response(502, json={"approved": True, "code": "00"}),
])
def test_a_garbled_or_failed_answer_is_an_unknown_outcome(reply: httpx.Response) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return reply

    client = httpx.Client(base_url="http://bank.test", transport=httpx.MockTransport(handler))
    with pytest.raises(BankOutcomeUnknown) as raised:
        HttpBank("http://bank.test", client=client).authorize(NUMBER, 100, "M", "pay_9")
    assert NUMBER not in raised.value.message
    assert seen[0].headers["idempotency-key"] == "pay_9"
