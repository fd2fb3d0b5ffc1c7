"""Cardholder registration, card issuance and counter deposits through the API: the operator's work
that only the demo seeder could do before. A deposit credits exactly once per reference, whatever the
retries; a new card's number and PIN appear in the issuing answer only."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from bayfin.kernel.audit import AuditEntry
from bayfin.sscard.models import Card, LedgerTxn
from bayfin.sscard.wiring import services

OPERATOR_SCOPES = ["sscard:cards"]


@pytest.fixture
def operator(auth_headers, platform):
    with platform.unit_of_work() as uow:
        services(platform).cards.seed(uow.session, platform.clock.now())
        uow.commit()
    return auth_headers(subject=f"op-{secrets.token_hex(3)}", org="SSB-GD", org_type="operator",
                        roles=["sscard_operator"], scopes=OPERATOR_SCOPES)


def _id_number() -> str:
    return f"440106{secrets.randbelow(10**11):011d}X"


def _register(client, operator, **extra) -> dict:
    body = {"name": "黄志明", "id_number": _id_number(), **extra}
    r = client.post("/v1/sscard/cardholders", headers=operator, json=body)
    assert r.status_code == 201, r.text
    return {**r.json(), "id_number": body["id_number"]}


def _issue(client, operator, holder_id: str, bank: str = "CGB") -> dict:
    r = client.post(f"/v1/sscard/cardholders/{holder_id}/cards", headers=operator, json={"bank_id": bank})
    assert r.status_code == 201, r.text
    return r.json()


def _count(platform, model, *where) -> int:
    with platform.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_an_operator_registers_issues_and_deposits_and_the_holder_sees_the_card(client, operator, platform,
                                                                                auth_headers):
    subject = f"citizen-{secrets.token_hex(4)}"
    holder = _register(client, operator, subject=subject)
    shown = {k: v for k, v in holder.items() if k != "id_number"}
    assert holder["name_masked"] == "黄**" and holder["id_number"] not in str(shown)
    assert holder["id_number_masked"].startswith(holder["id_number"][:6])
    issued = client.post(f"/v1/sscard/cardholders/{holder['id']}/cards", headers=operator,
                         json={"bank_id": "CGB"})
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    card = issued.json()
    assert card["pan"].startswith("622568") and card["card"]["state"] == "issued"
    assert len(card["initial_pin"]) == 6 and card["expiry"].isdigit() and len(card["expiry"]) == 4
    with platform.session_factory() as s:
        stored = s.get(Card, card["card"]["id"])
        assert stored is not None and stored.pin_reference and card["initial_pin"] not in stored.pin_reference
        assert card["pan"] not in repr(stored.__dict__)
    client.post(f"/v1/sscard/cards/{card['card']['id']}/state", headers=operator, json={"state": "active"})

    dep = client.post(f"/v1/sscard/cards/{card['card']['id']}/deposits", headers=operator,
                      json={"amount_minor": 123_456, "reference": "BR-0001/2026"})
    assert dep.status_code == 201, dep.text
    assert dep.json()["balance_minor"] == 123_456 and dep.json()["replayed"] is False

    me = auth_headers(subject=subject, org=None, org_type=None, scopes=["sscard:self"])
    mine = client.get("/v1/sscard/me/cards", headers=me).json()
    items = mine["items"] if isinstance(mine, dict) else mine
    assert [c["id"] for c in items] == [card["card"]["id"]]
    balance = client.get(f"/v1/sscard/me/cards/{card['card']['id']}/balance", headers=me).json()
    assert balance["balance_minor"] == 123_456

    view = client.get(f"/v1/sscard/cardholders/{holder['id']}?purpose=complaint-42", headers=operator)
    assert view.status_code == 200 and view.json()["id"] == holder["id"]
    with platform.session_factory() as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.subject_id.in_(
            [holder["id"], card["card"]["id"]]))))
        texts = " ".join(str(e.details) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.subject_id == card["card"]["id"])))
    assert {"sscard.cardholder.register", "sscard.card.issue", "sscard.card.deposit",
            "sscard.cardholder.read"} <= actions
    assert card["pan"] not in texts and card["initial_pin"] not in texts


def test_a_retried_deposit_credits_once_and_a_reused_reference_is_refused(client, operator, platform):
    holder = _register(client, operator)
    card_id = _issue(client, operator, holder["id"])["card"]["id"]
    other_id = _issue(client, operator, _register(client, operator)["id"])["card"]["id"]
    url = f"/v1/sscard/cards/{card_id}/deposits"
    first = client.post(url, headers=operator, json={"amount_minor": 5_000, "reference": "R-1"})
    again = client.post(url, headers=operator, json={"amount_minor": 5_000, "reference": "R-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["txn_id"] == first.json()["txn_id"]
    assert again.json()["balance_minor"] == 5_000
    other_amount = client.post(url, headers=operator, json={"amount_minor": 6_000, "reference": "R-1"})
    other_card = client.post(f"/v1/sscard/cards/{other_id}/deposits", headers=operator,
                             json={"amount_minor": 5_000, "reference": "R-1"})
    assert other_amount.status_code == 409 and other_card.status_code == 409
    assert other_amount.headers["content-type"].startswith("application/problem+json")
    assert services(platform).cards.balance(platform.session_factory(), other_id) == 0
    assert _count(platform, LedgerTxn, LedgerTxn.card_id == card_id, LedgerTxn.kind == "deposit") == 1


@pytest.mark.parametrize("body", [
    {"amount_minor": 0, "reference": "X"},
    {"amount_minor": -5, "reference": "X"},
    {"amount_minor": "500", "reference": "X"},
    {"amount_minor": True, "reference": "X"},
    {"amount_minor": 10.5, "reference": "X"},
    {"amount_minor": 10**13, "reference": "X"},
    {"amount_minor": 100},
    {"amount_minor": 100, "reference": ""},
    {"amount_minor": 100, "reference": "a\u0000b"},
    {"amount_minor": 100, "reference": "x" * 65},
    {"amount_minor": 100, "reference": "X", "currency": 344},
])
def test_malformed_deposits_are_refused_and_nothing_moves(client, operator, platform, body):
    card_id = _issue(client, operator, _register(client, operator)["id"])["card"]["id"]
    r = client.post(f"/v1/sscard/cards/{card_id}/deposits", headers=operator, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _count(platform, LedgerTxn, LedgerTxn.card_id == card_id) == 0


def test_refusals_unknown_bank_or_holder_duplicate_person_cancelled_card(client, operator):
    holder = _register(client, operator)
    assert client.post(f"/v1/sscard/cardholders/{holder['id']}/cards", headers=operator,
                       json={"bank_id": "NOPE"}).status_code == 404
    assert client.post("/v1/sscard/cardholders/ch_missing/cards", headers=operator,
                       json={"bank_id": "ICBC"}).status_code == 404
    dup = client.post("/v1/sscard/cardholders", headers=operator,
                      json={"name": "某人", "id_number": holder["id_number"]})
    assert dup.status_code == 409
    assert client.post("/v1/sscard/cardholders", headers=operator,
                       json={"name": "某\u0000人", "id_number": _id_number()}).status_code == 422
    assert client.post("/v1/sscard/cardholders", headers=operator,
                       json={"name": "某人", "id_number": "44-01"}).status_code == 422
    card_id = _issue(client, operator, holder["id"])["card"]["id"]
    assert client.post(f"/v1/sscard/cards/{card_id}/state", headers=operator,
                       json={"state": "cancelled"}).status_code == 200
    assert client.post(f"/v1/sscard/cards/{card_id}/deposits", headers=operator,
                       json={"amount_minor": 100, "reference": "late"}).status_code == 409
    assert client.post("/v1/sscard/cards/card_missing/deposits", headers=operator,
                       json={"amount_minor": 100, "reference": "r"}).status_code == 404
    assert client.get("/v1/sscard/cardholders/ch_missing?purpose=lookup", headers=operator).status_code == 404


def test_only_the_schemes_operator_registers_issues_and_deposits(client, operator, auth_headers):
    holder = _register(client, operator)
    card_id = _issue(client, operator, holder["id"])["card"]["id"]
    citizen = auth_headers(subject="c-1", org=None, org_type=None, scopes=["sscard:self"])
    no_role = auth_headers(subject="o-2", org="SSB-GD", org_type="operator", scopes=OPERATOR_SCOPES)
    # a bank's user given the role name is not the scheme's operator
    bank_user = auth_headers(subject="b-1", org="BANK-A", org_type="institution", roles=["sscard_operator"],
                             scopes=OPERATOR_SCOPES)
    for headers in (None, citizen, no_role, bank_user):
        h = headers or {}
        expected = 401 if headers is None else 403
        assert client.post("/v1/sscard/cardholders", headers=h,
                           json={"name": "某人", "id_number": _id_number()}).status_code == expected
        assert client.post(f"/v1/sscard/cardholders/{holder['id']}/cards", headers=h,
                           json={"bank_id": "ICBC"}).status_code == expected
        assert client.post(f"/v1/sscard/cards/{card_id}/deposits", headers=h,
                           json={"amount_minor": 100, "reference": "r"}).status_code == expected
