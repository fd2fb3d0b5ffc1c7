"""A token requestor signs in with client credentials from the identity platform, and only the client
registered as the requestor can use its tokens."""

from __future__ import annotations

from sqlalchemy import select

from bayfin.identity import IDENTITY, SYSTEM
from bayfin.kernel.audit import AuditEntry
from bayfin.tokens.banks import BankAccount
from tests.api.tokens.conftest import EXPIRY, Env, card


def test_a_payment_institution_tokenises_with_its_identity_platform_client_credentials(env: Env) -> None:
    identity = env.platform.service(IDENTITY).service
    with env.platform.unit_of_work() as uow:
        identity.create_org(uow.session, SYSTEM, code="PAYCO", name="Pay Co", org_type="institution")
        _, secret = identity.create_app(uow.session, SYSTEM, client_id="payco-core", name="Pay Co core",
                                        client_type="confidential", grant_types=["client_credentials"],
                                        scopes=["tokens:request"], organization="PAYCO")
        uow.commit()
    issued = env.client.post("/oauth2/token", data={"grant_type": "client_credentials",
                                                    "scope": "tokens:request"}, auth=("payco-core", secret))
    assert issued.status_code == 200, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    number = card("62220277")
    env.memory_bank.accounts[number] = BankAccount(EXPIRY, 100_000, "carol")
    body = {"account_number": number, "bank_code": "BANKA", "cardholder": "carol",
            "expiry_month": EXPIRY.month, "expiry_year": EXPIRY.year}
    unregistered = env.client.post("/v1/tokens", headers=bearer, json=body)
    assert unregistered.status_code == 403 and unregistered.json()["reason"] == "REQUESTOR_MISMATCH"
    admin = env.auth("ops", org="GD-OPS", org_type="operator", scopes=["tokens:admin"])
    assert env.client.post("/v1/tokens/requestors", headers=admin, json={
        "name": "Pay Co", "kind": "payment_institution", "client_id": "payco-core",
        "channels": ["qr"]}).status_code == 201
    created = env.client.post("/v1/tokens", headers=bearer, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["token"]["channels"] == ["qr"]
    listed = env.client.get("/v1/tokens", headers=bearer).json()["items"]
    assert [t["id"] for t in listed] == [created.json()["token"]["id"]]
    assert env.client.get("/v1/tokens", headers=env.shop()).json()["items"] == []
    with env.platform.unit_of_work() as uow:
        listings = uow.session.scalars(select(AuditEntry.actor)
                                       .where(AuditEntry.action == "tokens.list")).all()
    assert sorted(listings) == ["payco-core", "svc-shop"]
