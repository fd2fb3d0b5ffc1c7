"""Every refusal the issue names, each with its reason code and an audit entry; then a full run whose
logs, responses, errors, audit entries, webhooks and token tables hold no account number."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.clock import FixedClock
from bayfin.tokens.banks import BankAccount
from bayfin.tokens.models import Account, Requestor, Token, Webhook
from tests.api.tokens.conftest import (
    ALICE_A,
    ALICE_B,
    BOB_A,
    EXPIRY,
    SHOP_MERCHANT,
    Env,
    bind,
    card,
    pay_body,
)


def shop_token(env: Env) -> dict[str, object]:
    response = env.client.post("/v1/tokens", headers=env.shop(), json={
        "account_number": BOB_A, "bank_code": "BANKA", "cardholder": "bob",
        "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year})
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["reason"] == reason and body["code"] == "token_refused"


def refusals_audited(env: Env) -> list[str]:
    with env.platform.unit_of_work() as uow:
        return [e.details["reason"] for e in uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "tokens.detokenize", AuditEntry.outcome == "refused")
            .order_by(AuditEntry.id))]


def test_a_token_used_by_another_requestor_is_refused(env: Env) -> None:
    wallet_token = bind(env)
    body = pay_body(wallet_token, channel="ecommerce", merchant=SHOP_MERCHANT, device=None)
    refused(env.client.post("/v1/tokens/payments", headers=env.shop(), json=body), "REQUESTOR_MISMATCH")
    assert refusals_audited(env) == ["REQUESTOR_MISMATCH"]


def test_a_token_used_at_another_merchant_or_in_another_channel_is_refused(env: Env) -> None:
    token = shop_token(env)
    other_merchant = pay_body(token, merchant="M-OTHER", channel="ecommerce", device=None)
    refused(env.client.post("/v1/tokens/payments", headers=env.shop(), json=other_merchant),
            "MERCHANT_NOT_ALLOWED")
    other_channel = pay_body(token, merchant=SHOP_MERCHANT, channel="nfc", device=None, atc=2)
    refused(env.client.post("/v1/tokens/payments", headers=env.shop(), json=other_channel),
            "CHANNEL_NOT_ALLOWED")
    right = pay_body(token, merchant=SHOP_MERCHANT, channel="ecommerce", device=None, atc=3)
    assert env.client.post("/v1/tokens/payments", headers=env.shop(), json=right).json()["approved"] is True
    assert refusals_audited(env) == ["MERCHANT_NOT_ALLOWED", "CHANNEL_NOT_ALLOWED"]


def test_a_token_used_from_another_device_is_refused(env: Env) -> None:
    token = bind(env)
    refused(env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(token, device="thief")),
            "DEVICE_MISMATCH")


def test_a_suspended_token_is_refused(env: Env) -> None:
    token = shop_token(env)
    token_id = token["token"]["id"]  # type: ignore[index]
    assert env.client.post(f"/v1/tokens/{token_id}/suspend", headers=env.shop()).status_code == 200
    body = pay_body(token, merchant=SHOP_MERCHANT, channel="ecommerce", device=None)
    refused(env.client.post("/v1/tokens/payments", headers=env.shop(), json=body), "TOKEN_SUSPENDED")


def test_the_token_and_the_card_each_expire_on_their_own(env: Env) -> None:
    from datetime import timedelta

    from bayfin.tokens.service import Limits

    service = env.runtime.service
    service.limits = Limits(token_lifetime=timedelta(days=30), key_lifetime=timedelta(days=3650))
    token = bind(env)  # the token lives 30 days; the card runs to 2030-06-30
    now = datetime.now(UTC)
    service.clock = FixedClock(now + timedelta(days=31))
    refused(env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(token)),
            "TOKEN_EXPIRED")
    service.limits = Limits(token_lifetime=timedelta(days=3650), key_lifetime=timedelta(days=3650))
    service.clock = FixedClock(now)
    assert env.client.post(f"/v1/wallet/tokens/{token['token']['id']}/delete",  # type: ignore[index]
                           headers=env.alice()).status_code == 200
    again = bind(env)
    assert again["token"]["expires_on"] > "2030-07-01"  # type: ignore[index]
    service.clock = FixedClock(datetime(2030, 7, 1, 9, tzinfo=UTC))  # the card expired on 2030-06-30
    refused(env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(again)),
            "ACCOUNT_EXPIRED")


def test_a_replayed_request_pays_once_a_late_counter_once_and_an_altered_one_never(env: Env) -> None:
    token = bind(env)
    body = pay_body(token, amount=1200, atc=5)
    first = env.client.post("/v1/wallet/payments", headers=env.alice(), json=body)
    assert first.status_code == 200 and first.json()["approved"] is True
    again = env.client.post("/v1/wallet/payments", headers=env.alice(), json=body)  # the same request
    assert again.status_code == 200 and again.json()["payment_id"] == first.json()["payment_id"]
    late = pay_body(token, amount=1200, atc=4)  # within the window: a payment that arrived late
    assert env.client.post("/v1/wallet/payments", headers=env.alice(), json=late).json()["approved"] is True
    other_amount = pay_body(token, amount=1300, atc=4)  # the counter is spent: another payment on it fails
    refused(env.client.post("/v1/wallet/payments", headers=env.alice(), json=other_amount),
            "CRYPTOGRAM_REPLAYED")
    env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(token, amount=10, atc=40))
    too_old = pay_body(token, amount=1200, atc=30)  # more than 8 below the highest counter seen
    refused(env.client.post("/v1/wallet/payments", headers=env.alice(), json=too_old), "CRYPTOGRAM_REPLAYED")
    altered = {**pay_body(token, amount=1200, atc=41), "amount_fen": 120_000}
    refused(env.client.post("/v1/wallet/payments", headers=env.alice(), json=altered), "CRYPTOGRAM_INVALID")
    assert [a[1] for a in env.memory_bank.authorizations] == [1200, 1200, 10]


def test_a_token_of_another_persons_account_is_refused(env: Env) -> None:
    alice_token = bind(env)
    refused(env.client.post("/v1/wallet/payments", headers=env.bob(), json=pay_body(alice_token)),
            "ACCOUNT_MISMATCH")
    steal = env.client.post("/v1/wallet/accounts", headers=env.bob(), json={
        "bank_code": "BANKA", "account_number": ALICE_A, "expiry_month": EXPIRY.month,
        "expiry_year": EXPIRY.year, "device_id": "bob-phone"})
    assert steal.status_code == 422 and steal.json()["reason"] == "ACCOUNT_NOT_CONFIRMED"
    token_id = alice_token["token"]["id"]  # type: ignore[index]
    assert env.client.post(f"/v1/wallet/tokens/{token_id}/suspend", headers=env.bob()).status_code == 404


def test_no_account_number_appears_in_any_log_response_error_audit_entry_or_webhook(
        env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    renewed = card("62220213")
    numbers = [ALICE_A, ALICE_B, BOB_A, renewed, card("62220255")]
    env.memory_bank.accounts[renewed] = BankAccount(EXPIRY, 1_000_000, "alice")
    bodies: list[str] = []

    def call(method: str, url: str, headers: dict[str, str], body: object = None) -> httpx.Response:
        response = env.client.request(method, url, headers=headers, json=body)
        bodies.append(response.text + json.dumps(dict(response.headers)))
        return response

    env.risk.outcome = "CHALLENGE"
    first = call("POST", "/v1/wallet/accounts", env.alice(), {
        "bank_code": "BANKA", "account_number": ALICE_A, "expiry_month": 6, "expiry_year": 2030,
        "device_id": "alice-phone"}).json()
    call("POST", f"/v1/wallet/tokens/{first['token']['id']}/activate", env.alice(acr="otp"))
    env.risk.outcome = "ALLOW"
    second = call("POST", "/v1/wallet/accounts", env.alice(), {
        "bank_code": "BANKB", "account_number": ALICE_B, "expiry_month": 6, "expiry_year": 2030,
        "device_id": "alice-phone"}).json()
    call("POST", "/v1/wallet/accounts", env.alice(), {  # the bank does not confirm it: an error body
        "bank_code": "BANKA", "account_number": card("62220255"), "expiry_month": 6, "expiry_year": 2030,
        "device_id": "alice-phone"})
    shop = call("POST", "/v1/tokens", env.shop(), {
        "account_number": BOB_A, "bank_code": "BANKA", "cardholder": "bob", "expiry_month": 6,
        "expiry_year": 2030}).json()
    call("GET", "/v1/wallet/accounts", env.alice())
    call("GET", "/v1/tokens", env.shop())
    call("POST", "/v1/wallet/payments", env.alice(), pay_body(first, amount=500))
    call("POST", "/v1/wallet/payments", env.alice(), pay_body(first, amount=500))  # replay
    call("POST", "/v1/wallet/payments", env.bob(), pay_body(second, amount=500))  # not bob's
    call("POST", "/v1/wallet/payments", env.alice(), pay_body(second, amount=10**9))  # declined by the bank
    call("POST", "/v1/tokens/payments", env.shop(), pay_body(shop, merchant="M-OTHER", channel="ecommerce",
                                                             device=None))
    call("POST", "/v1/tokens/accounts/update", env.issuer("BANKA"), {
        "current_number": ALICE_A, "new_number": renewed, "expiry_month": 6, "expiry_year": 2031})
    call("POST", "/v1/tokens/accounts/update", env.issuer("BANKA"), {
        "current_number": ALICE_A, "expiry_month": 6, "expiry_year": 2031})  # 404: the old number is gone
    call("POST", "/v1/wallet/payments", env.alice(), pay_body(first, amount=700, atc=2))
    call("POST", "/v1/wallet/devices/alice-phone/suspend", env.alice())
    call("POST", f"/v1/tokens/{shop['token']['id']}/delete", env.shop())
    call("POST", "/v1/wallet/payments", env.alice(), {**pay_body(first, atc=3), "amount_fen": "x"})
    assert len(bodies) == 18 and any('"reason"' in b for b in bodies)

    with env.platform.unit_of_work() as uow:
        audit = [json.dumps({"actor": e.actor, "subject": e.subject_id, "details": e.details,
                             "purpose": e.purpose, "outcome": e.outcome})
                 for e in uow.session.scalars(select(AuditEntry))]
        stored = [json.dumps({c.name: str(getattr(row, c.name)) for c in row.__table__.columns})
                  for model in (Account, Token, Requestor, Webhook)
                  for row in uow.session.scalars(select(model))]
    assert any("tokens.detokenize" in a for a in audit) or len(audit) > 10
    logs = [f"{r.getMessage()} {r.__dict__!r}" for r in caplog.records]
    hooks = [body.decode() + json.dumps(headers) for headers, body in env.receiver.received]
    assert hooks and stored and logs
    for haystack_name, haystack in (("responses", bodies), ("logs", logs), ("audit", audit),
                                    ("webhooks", hooks), ("token tables", stored)):
        for number in numbers:
            found = [h for h in haystack if number in h]
            assert not found, f"an account number leaked into {haystack_name}: {found[0][:300]}"


def test_a_deleted_token_provisioned_again_gets_a_new_number_and_the_old_key_is_useless(env: Env) -> None:
    old = bind(env)
    token_id = old["token"]["id"]  # type: ignore[index]
    assert env.client.post(f"/v1/wallet/tokens/{token_id}/delete", headers=env.alice()).status_code == 200
    new = bind(env)
    assert new["token"]["number"] != old["token"]["number"]  # type: ignore[index]
    assert new["cryptogram_key"] != old["cryptogram_key"]
    # the old device still holds the old key: with it, a cryptogram over the new number does not pass
    forged = pay_body({**new, "cryptogram_key": old["cryptogram_key"]})
    refused(env.client.post("/v1/wallet/payments", headers=env.alice(), json=forged), "CRYPTOGRAM_INVALID")
    assert env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(new)).json()["approved"]


def test_a_payment_over_the_tokens_amount_limit_is_refused(env: Env) -> None:
    response = env.client.post("/v1/tokens", headers=env.shop(), json={
        "account_number": BOB_A, "bank_code": "BANKA", "cardholder": "bob", "max_amount_fen": 5_000,
        "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year})
    assert response.status_code == 201 and response.json()["token"]["max_amount_fen"] == 5_000
    over = pay_body(response.json(), amount=5_001, merchant=SHOP_MERCHANT, channel="ecommerce", device=None)
    refused(env.client.post("/v1/tokens/payments", headers=env.shop(), json=over), "AMOUNT_OVER_LIMIT")
    wider = env.client.post("/v1/tokens", headers=env.shop(), json={
        "account_number": ALICE_A, "bank_code": "BANKA", "cardholder": "alice", "channels": ["nfc"],
        "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year})
    assert wider.status_code == 422 and wider.json()["reason"] == "CHANNEL_NOT_ALLOWED"  # never widened


def test_a_merchant_hammering_payments_is_slowed_to_its_rate_limit_without_touching_others(env: Env) -> None:
    """Card testing: a stolen merchant credential firing payments gets 429 once its burst is spent,
    whether the attempts are good or bad; a person's wallet payments have their own budget."""
    token = shop_token(env)
    env.platform.settings.rate_limit_overrides = {"SHOP": {"rate_per_second": 0.01, "rate_burst": 3}}
    codes = []
    for atc in range(1, 5):
        body = pay_body(token, merchant=SHOP_MERCHANT, channel="ecommerce", device=None, atc=atc)
        if atc == 2:
            good = str(body["cryptogram"])
            body["cryptogram"] = good[:-1] + ("0" if good[-1] != "0" else "1")  # a bad guess counts too
        codes.append(env.client.post("/v1/tokens/payments", headers=env.shop(), json=body))
    assert [r.status_code for r in codes] == [200, 403, 200, 429]
    limited = codes[-1]
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert int(limited.headers["retry-after"]) >= 1
    alice = bind(env)
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(alice))
    assert paid.status_code == 200
