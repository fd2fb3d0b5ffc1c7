"""The token service over HTTP: requestors, provisioning with ID&V, lifecycle with signed webhooks,
issuer account updates, payment by token and master-key rotation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bayfin.integrations.webhooks import WebhookVerificationError, verify
from bayfin.kernel.audit import AuditEntry
from bayfin.tokens import domain
from bayfin.tokens.banks import BankAccount
from bayfin.tokens.models import Account, Webhook
from bayfin.tokens.risk import FraudEngineRisk, ProvisioningRequest
from bayfin.tokens.vault import KeyRing
from tests.api.tokens.conftest import ALICE_A, BOB_A, EXPIRY, SHOP_MERCHANT, Env, bind, card, pay_body
from tests.conftest import TokenFactory


def provision_for_shop(env: Env, number: str = BOB_A, holder: str = "bob") -> dict[str, object]:
    response = env.client.post("/v1/tokens", headers=env.shop(), json={
        "account_number": number, "bank_code": "BANKA", "cardholder": holder,
        "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year})
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_registering_a_requestor_needs_the_operator_and_gives_an_11_digit_id(
        env: Env, auth_headers: TokenFactory) -> None:
    assert len(env.wallet_id) == 11 and env.wallet_id.isdigit()
    bank_user = auth_headers("x", org="BANKA", org_type="institution", scopes=["tokens:admin"])
    refused = env.client.post("/v1/tokens/requestors", headers=bank_user, json={
        "name": "Other", "kind": "merchant", "client_id": "other-app"})
    assert refused.status_code == 403
    admin = auth_headers("ops", org="GD-OPS", org_type="operator", scopes=["tokens:admin"])
    assert env.client.post("/v1/tokens/requestors", headers=admin, json={
        "name": "Again", "kind": "wallet", "client_id": "wallet-app"}).status_code == 409
    assert env.client.post("/v1/tokens/requestors", headers=admin, json={
        "name": "Bad", "kind": "wallet", "client_id": "bad-app", "channels": ["fax"]}).status_code == 422


def test_a_provisioned_token_is_luhn_valid_in_the_token_range_and_reveals_no_account(env: Env) -> None:
    done = provision_for_shop(env)
    token = done["token"]
    assert isinstance(token, dict)
    number = token["number"]
    assert domain.luhn_valid(number) and number.startswith("62999801") and number != BOB_A
    assert token["state"] == "active" and done["verdict"] == "approve"
    assert token["merchants"] == [SHOP_MERCHANT] and token["channels"] == ["ecommerce"]
    assert len(str(done["par"])) == 29 and done["account_last4"] == BOB_A[-4:]
    assert BOB_A not in json.dumps(done)


def test_each_requestor_gets_its_own_token_for_one_account_linked_by_one_par(env: Env) -> None:
    wallet = bind(env, ALICE_A)
    shop = provision_for_shop(env, ALICE_A, holder="alice")
    assert wallet["par"] == shop["par"]
    assert wallet["token"]["number"] != shop["token"]["number"]  # type: ignore[index]
    again = env.client.post("/v1/tokens", headers=env.shop(), json={
        "account_number": ALICE_A, "bank_code": "BANKA", "cardholder": "alice",
        "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year})
    assert again.status_code == 409


def test_a_challenged_provisioning_waits_for_the_holders_step_up(env: Env) -> None:
    env.risk.outcome = "CHALLENGE"
    done = bind(env)
    token = done["token"]
    assert isinstance(token, dict)
    assert done["verdict"] == "step_up" and token["state"] == "requested"
    refused = env.client.post(f"/v1/wallet/tokens/{token['id']}/activate", headers=env.alice())
    assert refused.status_code == 403 and refused.json()["reason"] == "STEP_UP_REQUIRED"
    active = env.client.post(f"/v1/wallet/tokens/{token['id']}/activate", headers=env.alice(acr="voiceprint"))
    assert active.status_code == 200 and active.json()["state"] == "active"
    assert active.json()["assurance"] == "step_up"
    assert env.receiver.events() == ["token.requested", "token.active"]


def test_a_blocked_provisioning_is_declined_audited_and_does_not_claim_the_account(env: Env) -> None:
    env.risk.outcome = "BLOCK"  # the risk engine blocks this binding (say, a farm of new devices)
    response = env.client.post("/v1/wallet/accounts", headers=env.alice(), json={
        "bank_code": "BANKA", "account_number": ALICE_A, "expiry_month": EXPIRY.month,
        "expiry_year": EXPIRY.year, "device_id": "alice-phone"})
    assert response.status_code == 403 and response.json()["reason"] == "PROVISIONING_DECLINED"
    with env.platform.unit_of_work() as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "tokens.provision")).one()
        assert entry.outcome == "refused" and entry.details["risk"] == "BLOCK"
        assert uow.session.scalars(select(Account)).all() == []  # the declined binding claims nothing
    env.risk.outcome = "ALLOW"  # later, alice can still bind her own card
    assert bind(env, ALICE_A, who=env.alice())["token"]["state"] == "active"  # type: ignore[index]


def test_the_anti_fraud_engine_is_the_risk_assessor_when_it_is_configured(env: Env) -> None:
    from bayfin.tokens.wiring import configure

    runtime = configure(env.platform)
    try:
        assert isinstance(runtime.service.risk, FraudEngineRisk)
        outcome = runtime.service.risk.assess(ProvisioningRequest(
            holder="alice@example", par="BYFN" + "A" * 25, requestor_id=env.wallet_id, device_id="phone 1",
            at=datetime.now(UTC), ip="10.1.2.3"))
        assert outcome in {"ALLOW", "CHALLENGE", "REVIEW", "BLOCK"}
    finally:
        runtime.close()


def test_an_account_the_bank_does_not_confirm_is_not_bound(env: Env) -> None:
    response = env.client.post("/v1/wallet/accounts", headers=env.alice(), json={
        "bank_code": "BANKA", "account_number": card("62220255"), "expiry_month": 6, "expiry_year": 2030,
        "device_id": "alice-phone"})
    assert response.status_code == 422 and response.json()["reason"] == "ACCOUNT_NOT_CONFIRMED"
    unknown = env.client.post("/v1/wallet/accounts", headers=env.alice(), json={
        "bank_code": "NOBANK", "account_number": ALICE_A, "expiry_month": 6, "expiry_year": 2030,
        "device_id": "alice-phone"})
    assert unknown.status_code == 422 and unknown.json()["reason"] == "UNKNOWN_BANK"


def test_each_state_change_sends_the_requestor_a_signed_webhook(env: Env) -> None:
    token = provision_for_shop(env)["token"]
    assert isinstance(token, dict)
    for action, state in (("suspend", "suspended"), ("resume", "active"), ("delete", "deleted")):
        response = env.client.post(f"/v1/tokens/{token['id']}/{action}", headers=env.shop())
        assert response.status_code == 200 and response.json()["state"] == state
    assert env.client.post(f"/v1/tokens/{token['id']}/resume", headers=env.shop()).status_code == 409
    assert env.receiver.events() == ["token.active", "token.suspended", "token.active", "token.deleted"]
    headers, body = env.receiver.received[1]
    secret = env.runtime.service.shown_webhook_secret(env.shop_id)
    assert secret.startswith("whsec_") and headers["webhook-id"] == json.loads(body)["id"]
    verify(secret, headers, body)  # Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, body.replace(b"suspended", b"active"))
    assert json.loads(body)["token_id"] == token["id"]


def test_a_failed_webhook_is_retried_and_an_undeliverable_one_waits_in_the_outbox(env: Env) -> None:
    env.receiver.fail = 2  # two 500s, then the third attempt lands
    token = provision_for_shop(env)["token"]
    assert isinstance(token, dict)
    assert env.receiver.events() == ["token.active"]
    env.receiver.fail = 10
    env.client.post(f"/v1/tokens/{token['id']}/suspend", headers=env.shop())
    with env.platform.unit_of_work() as uow:
        rows = uow.session.scalars(select(Webhook).where(Webhook.token_id == token["id"])
                                   .order_by(Webhook.id)).all()
        assert [(w.state, w.attempts) for w in rows] == [("delivered", 3), ("pending", 3)]
        rows[1].next_attempt_at = env.platform.clock.now()
        uow.commit()
    env.receiver.fail = 0
    assert env.runtime.webhooks.dispatch_due() == (1, 0)
    assert env.receiver.events() == ["token.active", "token.suspended"]


def test_another_requestor_cannot_change_a_token(env: Env) -> None:
    token = provision_for_shop(env)["token"]
    assert isinstance(token, dict)
    stranger = env.auth("svc", org="X", org_type="merchant", scopes=["tokens:request"],
                        client_id="wallet-app")
    response = env.client.post(f"/v1/tokens/{token['id']}/suspend", headers=stranger)
    assert response.status_code == 403 and response.json()["reason"] == "REQUESTOR_MISMATCH"


def test_an_issuer_update_carries_the_new_number_and_expiry_over_to_every_token(env: Env) -> None:
    wallet = bind(env, ALICE_A)
    provision_for_shop(env, ALICE_A, holder="alice")
    new_number = card("62220212")
    env.memory_bank.accounts[new_number] = BankAccount(EXPIRY.replace(year=2033), 1_000_000, "alice")
    response = env.client.post("/v1/tokens/accounts/update", headers=env.issuer("BANKA"), json={
        "current_number": ALICE_A, "new_number": new_number, "expiry_month": 6, "expiry_year": 2033})
    assert response.status_code == 200, response.text
    assert response.json()["tokens_updated"] == 2 and response.json()["account_last4"] == new_number[-4:]
    assert new_number not in response.text and ALICE_A not in response.text
    listed = env.client.get("/v1/wallet/accounts", headers=env.alice()).json()["items"]
    assert listed[0]["expires_on"] == "2033-06-30"  # the card's expiry; each token keeps its own
    assert {t["expires_on"] for t in listed[0]["tokens"]} == {wallet["token"]["expires_on"]}  # type: ignore[index]
    paid = env.client.post("/v1/wallet/payments", headers=env.alice(), json=pay_body(wallet))
    assert paid.status_code == 200 and paid.json()["approved"] is True
    assert env.memory_bank.authorizations[-1][0] == new_number  # the bank saw the new number
    assert env.receiver.events().count("token.account_updated") == 2
    other_bank = env.client.post("/v1/tokens/accounts/update", headers=env.issuer("BANKB"), json={
        "current_number": new_number, "expiry_month": 6, "expiry_year": 2034})
    assert other_bank.status_code == 404


def test_master_key_rotation_rewraps_in_batches_while_every_record_stays_readable(env: Env) -> None:
    for n, holder in enumerate(("alice", "bob", "carol")):
        number = card(f"6222029{n}")
        env.memory_bank.accounts[number] = BankAccount(EXPIRY, 10_000, holder)
        provision_for_shop(env, number, holder=holder)
    service = env.runtime.service
    old_ring = service.keys.ring
    service.keys.ring.add("k2", b"2" * 32, activate=True)
    with env.platform.unit_of_work() as uow:
        assert service.rewrap_batch(uow.session, limit=2) == 2
        uow.commit()
    with env.platform.unit_of_work() as uow:  # half-way: both keys open
        opened = [service._open(a) for a in uow.session.scalars(select(Account)).all()]
        assert sorted(n[:8] for n in opened) == ["62220290", "62220291", "62220292"]
        assert service.rewrap_batch(uow.session, limit=2) == 1
        assert service.rewrap_batch(uow.session, limit=2) == 0
        uow.commit()
    old_ring.retire("dev1")
    with env.platform.unit_of_work() as uow:
        accounts = uow.session.scalars(select(Account)).all()
        assert {a.master_key_id for a in accounts} == {"k2"}
        assert all(service._open(a).startswith("6222029") for a in accounts)
    assert isinstance(old_ring, KeyRing)


def test_with_an_ff1_key_token_numbers_are_format_preserving_and_still_unique(env: Env) -> None:
    from dataclasses import replace

    service = env.runtime.service
    key = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94"
    service.keys = replace(service.keys, ff1_hex=key)
    service.bin_range = domain.TokenBinRange("629998", 19)
    first = bind(env, ALICE_A)
    assert first["token"]["number"] == domain.ff1_token_number(service.bin_range, ALICE_A, key)  # type: ignore[index]
    # the same account for another requestor: the FF1 number is taken, so a random one is drawn
    second = provision_for_shop(env, ALICE_A, holder="alice")["token"]
    assert isinstance(second, dict)
    assert second["number"] != first["token"]["number"]  # type: ignore[index]
    assert domain.luhn_valid(second["number"]) and second["number"].startswith("629998")
