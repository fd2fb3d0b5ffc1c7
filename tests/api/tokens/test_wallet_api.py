"""The wallet over HTTP: accounts from two banks (one over HTTP in its own process) in one place, a
default, a lost device's tokens suspended in one action, payment by token authorised by the bank."""

from __future__ import annotations

from tests.api.tokens.conftest import ALICE_A, ALICE_B, Env, bind, pay_body


def test_a_person_binds_accounts_from_two_banks_and_sees_them_with_their_tokens(env: Env) -> None:
    first = bind(env, ALICE_A, "BANKA")
    second = bind(env, ALICE_B, "BANKB")  # the HTTP test bank confirms this one
    listed = env.client.get("/v1/wallet/accounts", headers=env.alice())
    assert listed.status_code == 200
    accounts = listed.json()["items"]
    assert [(a["bank_code"], a["account_last4"], a["is_default"]) for a in accounts] == [
        ("BANKA", ALICE_A[-4:], True), ("BANKB", ALICE_B[-4:], False)]
    assert [a["tokens"][0]["id"] for a in accounts] == [first["token"]["id"], second["token"]["id"]]  # type: ignore[index]
    assert ALICE_A not in listed.text and ALICE_B not in listed.text
    assert env.client.get("/v1/wallet/accounts", headers=env.bob()).json()["items"] == []


def test_the_default_account_can_be_changed_but_not_to_someone_elses(env: Env) -> None:
    bind(env, ALICE_A, "BANKA")
    bind(env, ALICE_B, "BANKB")
    accounts = env.client.get("/v1/wallet/accounts", headers=env.alice()).json()["items"]
    second = accounts[1]["id"]
    changed = env.client.post(f"/v1/wallet/accounts/{second}/default", headers=env.alice())
    assert changed.status_code == 200 and changed.json()["is_default"] is True
    assert env.client.get("/v1/wallet/accounts", headers=env.alice()).json()["items"][0]["id"] == second
    assert env.client.post(f"/v1/wallet/accounts/{second}/default", headers=env.bob()).status_code == 404


def test_paying_by_token_is_authorised_by_the_bank_over_http_and_in_memory(env: Env) -> None:
    memory = bind(env, ALICE_A, "BANKA")
    remote = bind(env, ALICE_B, "BANKB")
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(memory, amount=2500))
    assert paid.status_code == 200 and paid.json()["approved"] is True
    assert paid.json()["response_code"] == "00"
    assert env.memory_bank.authorizations[-1][:3] == (ALICE_A, 2500, "M-CAFE")
    over_http = env.client.post("/v1/wallet/payments", headers=env.alice(),
                                json=pay_body(remote, amount=3000))
    assert over_http.status_code == 200 and over_http.json()["approved"] is True
    too_much = env.client.post("/v1/wallet/payments", headers=env.alice(),
                               json=pay_body(remote, amount=10_000_000, atc=2))
    assert too_much.status_code == 200
    assert too_much.json()["approved"] is False and too_much.json()["response_code"] == "51"


def test_a_lost_device_has_all_its_tokens_suspended_in_one_action(env: Env) -> None:
    phone_a = bind(env, ALICE_A, "BANKA", device="alice-phone")
    phone_b = bind(env, ALICE_B, "BANKB", device="alice-phone")
    response = env.client.post("/v1/wallet/devices/alice-phone/suspend", headers=env.alice())
    assert response.status_code == 200
    assert sorted(response.json()["suspended"]) == sorted([phone_a["token"]["id"], phone_b["token"]["id"]])  # type: ignore[index]
    refused = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(phone_a))
    assert refused.status_code == 403 and refused.json()["reason"] == "TOKEN_SUSPENDED"
    assert env.receiver.events().count("token.suspended") == 2
    token_id = phone_a["token"]["id"]  # type: ignore[index]
    plain = env.client.post(f"/v1/wallet/tokens/{token_id}/resume", headers=env.alice())
    assert plain.status_code == 403 and plain.json()["reason"] == "STEP_UP_REQUIRED"  # whoever has the phone
    resumed = env.client.post(f"/v1/wallet/tokens/{token_id}/resume", headers=env.alice(acr="otp"))
    assert resumed.status_code == 200 and resumed.json()["state"] == "active"
    again = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(phone_a, atc=2))
    assert again.status_code == 200 and again.json()["approved"] is True


def test_wallet_calls_need_a_token_with_the_wallet_scope(env: Env) -> None:
    assert env.client.get("/v1/wallet/accounts").status_code == 401
    assert env.client.get("/v1/wallet/accounts", headers=env.shop()).status_code == 403


def test_malformed_payments_are_refused_with_a_problem_not_a_crash(env: Env) -> None:
    token = bind(env)
    for bad in ({"amount_fen": 10.5}, {"amount_fen": -1}, {"cryptogram": "zz"}, {"channel": "fax"},
                {"atc": 0}, {"token_number": "12"}):
        response = env.client.post("/v1/wallet/payments", headers=env.alice(),
                                   json={**pay_body(token), **bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
