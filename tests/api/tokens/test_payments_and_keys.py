"""After the payment: refunds and reversals of completed payments through the bank outbox; the
issuer's say in provisioning (one answer for any account it does not confirm, the holder it names,
its one-time-code step-up); limited-use keys; a lost device's token resumed only after step-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry
from bayfin.kernel.clock import FixedClock
from bayfin.tokens.banks import IssuerDecision
from bayfin.tokens.models import Token
from bayfin.tokens.service import Limits
from tests.api.tokens.conftest import ALICE_A, BOB_A, EXPIRY, SHOP_MERCHANT, Env, bind, card, pay_body


def shop_token(env: Env, number: str = BOB_A, cardholder: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"account_number": number, "bank_code": "BANKA",
                               "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year}
    if cardholder is not None:
        body["cardholder"] = cardholder
    response = env.client.post("/v1/tokens", headers=env.shop(), json=body)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def shop_pays(env: Env, token: dict[str, object], amount: int, atc: int) -> httpx.Response:
    return env.client.post("/v1/tokens/payments", headers=env.shop(), json=pay_body(
        token, amount=amount, atc=atc, merchant=SHOP_MERCHANT, channel="ecommerce", device=None))


def audited(env: Env, subject_id: str) -> list[str]:
    with env.platform.unit_of_work() as uow:
        return [e.action for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == subject_id).order_by(AuditEntry.id))]


# ---------------------------------------------------------------- refunds and reversals


def test_a_completed_payment_is_refunded_in_parts_never_beyond_its_amount(env: Env) -> None:
    token = shop_token(env)
    paid = shop_pays(env, token, 5_000, 1)
    assert paid.status_code == 200 and paid.json()["approved"] is True
    payment_id = paid.json()["payment_id"]
    url = f"/v1/tokens/payments/{payment_id}"
    first = env.client.post(f"{url}/refunds", headers=env.shop(), json={"amount_fen": 2_000})
    assert first.status_code == 202 and first.json()["state"] == "pending"  # sent to the bank after commit
    too_much = env.client.post(f"{url}/refunds", headers=env.shop(), json={"amount_fen": 3_001})
    assert too_much.status_code == 422 and too_much.json()["refundable_fen"] == 3_000
    assert env.client.post(f"{url}/reversal", headers=env.shop()).status_code == 409  # refunded in part
    rest = env.client.post(f"{url}/refunds", headers=env.shop(), json={"amount_fen": 3_000})
    assert rest.status_code == 202
    polled = env.client.get(url, headers=env.shop()).json()
    assert polled["state"] == "approved" and polled["refunded_fen"] == 5_000
    assert env.memory_bank.net_debit(payment_id) == 0
    assert env.memory_bank.accounts[BOB_A].balance_fen == 1_000_000
    assert audited(env, payment_id).count("tokens.payment.refund") == 2
    assert audited(env, payment_id).count("tokens.payment.refund.acknowledged") == 2


def test_a_completed_payment_is_reversed_once_and_another_requestor_cannot_touch_it(env: Env) -> None:
    token = shop_token(env)
    payment_id = shop_pays(env, token, 4_200, 1).json()["payment_id"]
    url = f"/v1/tokens/payments/{payment_id}"
    stranger = env.auth("svc-x", org="X", org_type="merchant", scopes=["tokens:request"],
                        client_id="wallet-app")
    assert env.client.post(f"{url}/reversal", headers=stranger).status_code == 404
    assert env.client.get(url, headers=stranger).status_code == 404
    reversed_ = env.client.post(f"{url}/reversal", headers=env.shop())
    assert reversed_.status_code == 202
    assert env.client.get(url, headers=env.shop()).json()["state"] == "reversed"
    assert env.client.post(f"{url}/reversal", headers=env.shop()).status_code == 409
    assert env.client.post(f"{url}/refunds", headers=env.shop(), json={"amount_fen": 1}).status_code == 409
    assert env.memory_bank.net_debit(payment_id) == 0
    actions = audited(env, payment_id)
    assert "tokens.payment.reverse" in actions and "tokens.payment.reversal.acknowledged" in actions


def test_a_declined_payment_cannot_be_refunded_and_a_refund_the_bank_refuses_is_released(env: Env) -> None:
    token = shop_token(env)
    declined = shop_pays(env, token, 999_999_999, 1)
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    assert env.client.post(f"/v1/tokens/payments/{declined.json()['payment_id']}/refunds", headers=env.shop(),
                           json={"amount_fen": 10}).status_code == 409
    paid = shop_pays(env, token, 1_000, 2).json()["payment_id"]
    env.memory_bank.reverse(paid)  # the bank reversed it on its own side already
    refund = env.client.post(f"/v1/tokens/payments/{paid}/refunds", headers=env.shop(),
                             json={"amount_fen": 400})
    assert refund.status_code == 202
    assert audited(env, paid)[-1] == "tokens.payment.refund.refused"
    assert env.client.get(f"/v1/tokens/payments/{paid}", headers=env.shop()).json()["refunded_fen"] == 0


# ---------------------------------------------------------------- the issuer decides


def _bind_raw(env: Env, number: str, month: int = EXPIRY.month, who: dict[str, str] | None = None,
              bank: str = "BANKA") -> httpx.Response:
    return env.client.post("/v1/wallet/accounts", headers=who or env.alice(), json={
        "bank_code": bank, "account_number": number, "expiry_month": month, "expiry_year": EXPIRY.year,
        "device_id": "alice-phone"})


def test_an_account_that_cannot_be_confirmed_gets_one_answer_whatever_the_reason(env: Env) -> None:
    bind(env, ALICE_A)  # alice's card is in the vault now
    answers = [
        _bind_raw(env, ALICE_A, month=7),  # a vaulted card, wrong expiry
        _bind_raw(env, card("62220255")),  # a card the bank does not hold
        _bind_raw(env, card("62220255"), month=7),  # unknown card, any expiry
        _bind_raw(env, BOB_A, who=env.alice()),  # someone else's card, right expiry
        _bind_raw(env, ALICE_A, who=env.bob()),  # a vaulted card of someone else
        _bind_raw(env, ALICE_A, bank="BANKB"),  # a vaulted card claimed under another bank
    ]
    assert {a.status_code for a in answers} == {422}
    assert len({(a.json()["reason"], a.json()["detail"], a.json()["code"]) for a in answers}) == 1
    assert answers[0].json()["reason"] == "ACCOUNT_NOT_CONFIRMED"
    with env.platform.unit_of_work() as uow:
        refusals = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "tokens.vault",
                                                                AuditEntry.outcome == "refused")).all()
    assert len(refusals) == 6


def test_a_requestor_cannot_squat_a_card_the_issuer_binds_the_holder_it_knows(env: Env) -> None:
    squatted = shop_token(env, BOB_A, cardholder="mallory")  # free text, ignored
    with env.platform.unit_of_work() as uow:
        token = uow.session.get_one(Token, squatted["token"]["id"])  # type: ignore[index]
        assert token.holder == "bob"
    bobs = _bind_raw(env, BOB_A, who=env.bob())  # bob binds his own card in his wallet all the same
    assert bobs.status_code == 201, bobs.text
    accounts = env.client.get("/v1/wallet/accounts", headers=env.bob()).json()["items"]
    assert [a["account_last4"] for a in accounts] == \
        [BOB_A[-4:]]


def test_the_issuer_can_decline_or_step_up_by_one_time_code(env: Env) -> None:
    env.memory_bank.accounts[ALICE_A].decision = IssuerDecision.DECLINE
    declined = _bind_raw(env, ALICE_A)
    assert declined.status_code == 403 and declined.json()["reason"] == "PROVISIONING_DECLINED"
    env.memory_bank.accounts[ALICE_A].decision = IssuerDecision.STEP_UP
    done = bind(env, ALICE_A)
    token = done["token"]
    assert isinstance(token, dict)
    assert done["verdict"] == "step_up" and token["state"] == "requested"
    url = f"/v1/wallet/tokens/{token['id']}/activate"
    own_step_up = env.client.post(url, headers=env.alice(acr="otp"))  # not the issuer's step-up
    assert own_step_up.status_code == 403 and own_step_up.json()["reason"] == "STEP_UP_REQUIRED"
    with env.platform.unit_of_work() as uow:
        ref = uow.session.get_one(Token, token["id"]).step_up_ref
    assert ref is not None
    code = env.memory_bank.sent_otp(ref)
    guess = "000000" if code != "000000" else "111111"
    wrong = env.client.post(url, headers=env.alice(), json={"otp": guess})
    assert wrong.status_code == 403 and wrong.json()["reason"] == "STEP_UP_REQUIRED"
    right = env.client.post(url, headers=env.alice(), json={"otp": code})
    assert right.status_code == 200 and right.json()["state"] == "active"
    assert env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(done)).json()["approved"]


def test_a_card_on_file_token_on_step_up_is_activated_with_the_code_through_its_requestor(env: Env) -> None:
    env.memory_bank.accounts[BOB_A].decision = IssuerDecision.STEP_UP
    token = shop_token(env)["token"]
    assert isinstance(token, dict) and token["state"] == "requested"
    with env.platform.unit_of_work() as uow:
        ref = uow.session.get_one(Token, token["id"]).step_up_ref
    assert ref is not None
    activated = env.client.post(f"/v1/tokens/{token['id']}/activate", headers=env.shop(),
                                json={"otp": env.memory_bank.sent_otp(ref)})
    assert activated.status_code == 200 and activated.json()["state"] == "active"


# ---------------------------------------------------------------- limited-use keys and the lifecycle


def test_a_limited_use_key_runs_out_and_a_replenished_one_replaces_it(env: Env) -> None:
    env.runtime.service.limits = Limits(key_max_uses=2)
    done = bind(env)
    for atc in (1, 2):
        assert env.client.post("/v1/wallet/payments", headers=env.alice(),
                               json=pay_body(done, atc=atc)).json()["approved"] is True
    used_up = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(done, atc=3))
    assert used_up.status_code == 403 and used_up.json()["reason"] == "KEY_EXHAUSTED"
    token_id = done["token"]["id"]  # type: ignore[index]
    assert env.client.post(f"/v1/wallet/tokens/{token_id}/keys", headers=env.bob()).status_code == 404
    fresh = env.client.post(f"/v1/wallet/tokens/{token_id}/keys", headers=env.alice())
    assert fresh.status_code == 201 and fresh.json()["key_sequence"] == 2
    old_key = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(done, atc=4))
    assert old_key.status_code == 403 and old_key.json()["reason"] == "CRYPTOGRAM_INVALID"
    renewed = {**done, "cryptogram_key": fresh.json()["cryptogram_key"]}
    assert env.client.post("/v1/wallet/payments", headers=env.alice(),
                           json=pay_body(renewed, atc=5)).json()["approved"] is True
    assert "tokens.key.replenish" in audited(env, token_id)


def test_a_limited_use_key_expires(env: Env) -> None:
    env.runtime.service.limits = Limits(key_lifetime=timedelta(hours=1))
    done = bind(env)
    env.runtime.service.clock = FixedClock(datetime.now(UTC) + timedelta(hours=2))
    expired = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(done))
    assert expired.status_code == 403 and expired.json()["reason"] == "KEY_EXPIRED"
    shop = shop_token(env)["token"]
    assert isinstance(shop, dict)
    assert env.client.post(f"/v1/tokens/{shop['id']}/keys", headers=env.shop()).status_code == 201


def test_a_state_change_that_is_not_allowed_says_so_in_plain_words(env: Env) -> None:
    token = shop_token(env)["token"]
    assert isinstance(token, dict)
    assert env.client.post(f"/v1/tokens/{token['id']}/suspend", headers=env.shop()).status_code == 200
    again = env.client.post(f"/v1/tokens/{token['id']}/suspend", headers=env.shop())
    assert again.status_code == 409 and again.json()["detail"] == "a suspended token cannot be suspended"


def test_a_lost_devices_token_resumes_only_after_the_holders_step_up(env: Env) -> None:
    token = shop_token(env, ALICE_A)["token"]  # a card-on-file token of alice's card
    wallet = bind(env, ALICE_A)
    assert isinstance(token, dict)
    env.client.post("/v1/wallet/devices/alice-phone/suspend", headers=env.alice())
    wallet_id = wallet["token"]["id"]  # type: ignore[index]
    refused = env.client.post(f"/v1/tokens/{wallet_id}/resume", headers=env.issuer("BANKB"))
    assert refused.status_code == 403  # another bank is nobody here
    by_requestor = env.client.post(f"/v1/wallet/tokens/{wallet_id}/resume", headers=env.alice())
    assert by_requestor.json()["reason"] == "STEP_UP_REQUIRED"
    by_issuer = env.client.post(f"/v1/tokens/{wallet_id}/resume", headers=env.issuer("BANKA"))
    assert by_issuer.status_code == 200 and by_issuer.json()["state"] == "active"
    shop = env.client.get("/v1/tokens", headers=env.shop()).json()["items"]
    assert [t["state"] for t in shop] == ["active"]  # the card-on-file token was not on that phone
