"""The holder's and operators' API: scopes enforced, numbers masked, every personal access audited."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from bayfin.kernel.audit import AuditEntry
from bayfin.sscard.domain import CardState, luhn_complete
from bayfin.sscard.wiring import services

# Numbers are drawn per test so that no test depends on another's rows being gone.


@pytest.fixture
def holder(platform) -> dict[str, str]:
    svc = services(platform)
    pan = luhn_complete(f"622202{secrets.randbelow(10**12):012d}")
    id_number = f"440106{secrets.randbelow(10**11):011d}X"
    subject = f"citizen-{secrets.token_hex(4)}"
    with platform.unit_of_work() as uow:
        now = platform.clock.now()
        svc.cards.seed(uow.session, now)
        person = svc.cards.register_cardholder(uow.session, name="陈大文", id_number=id_number, now=now,
                                               subject=subject)
        card = svc.cards.issue_card(uow.session, cardholder_id=person.id, bank_id="ICBC", now=now,
                                    pan=pan).card
        svc.cards.change_state(uow.session, card.id, CardState.active, now)
        svc.cards.deposit(uow.session, card.id, 50_000, now)
        uow.commit()
    return {"card_id": card.id, "holder_id": person.id, "subject": subject, "pan": pan,
            "id_number": id_number}


def _citizen(auth_headers, subject: str):
    return auth_headers(subject=subject, org=None, org_type=None, scopes=["sscard:self"])


def test_a_holder_sees_own_cards_masked_and_the_access_is_audited(client, auth_headers, holder, platform):
    r = client.get("/v1/sscard/me/cards", headers=_citizen(auth_headers, holder["subject"]))
    assert r.status_code == 200
    assert r.json()["items"][0]["pan_masked"] == f"622202*********{holder['pan'][-4:]}"
    assert holder["pan"] not in r.text and holder["id_number"] not in r.text
    with platform.session_factory() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.actor == holder["subject"])).all()
    assert "sscard.cards.list" in actions


def test_the_api_refuses_missing_tokens_wrong_scopes_and_other_peoples_cards(client, auth_headers, holder):
    url = f"/v1/sscard/me/cards/{holder['card_id']}/balance"
    assert client.get(url).status_code == 401
    wrong_scope = auth_headers(subject=holder["subject"], scopes=["other"])
    assert client.get(url, headers=wrong_scope).status_code == 403
    assert client.get(url, headers=_citizen(auth_headers, "someone-else")).status_code == 404
    ok = client.get(url, headers=_citizen(auth_headers, holder["subject"]))
    assert ok.status_code == 200 and ok.json()["balance_minor"] == 50_000
    op_url = f"/v1/sscard/cards/{holder['card_id']}?purpose=complaint"
    assert client.get(op_url, headers=_citizen(auth_headers, holder["subject"])).status_code == 403


def test_an_ecard_is_issued_and_pays_a_hospital_bill_by_code(client, auth_headers, holder):
    me = _citizen(auth_headers, holder["subject"])
    r = client.post("/v1/sscard/me/ecards", headers=me,
                    json={"physical_card_id": holder["card_id"], "channel_id": "gov-01"})
    assert r.status_code == 201, r.text
    ecard = r.json()
    code = client.post(f"/v1/sscard/me/cards/{ecard['id']}/qr", headers=me)
    assert code.status_code == 201 and code.json()["payload"].startswith("000201")
    hospital = auth_headers(subject="hospital-1", org="zh-hospital", org_type="institution",
                            scopes=["sscard:acquire"])
    body = {"payload": code.json()["payload"], "total_minor": 20_000, "covered_minor": 20_000,
            "provider": "zh-hospital"}
    paid = client.post("/v1/sscard/payments/medical", headers=hospital, json=body)
    assert paid.status_code == 201, paid.text
    assert paid.json()["fund_minor"] + paid.json()["personal_minor"] == 20_000
    again = client.post("/v1/sscard/payments/medical", headers=hospital, json=body)
    assert again.status_code == 409
    bad = client.post("/v1/sscard/payments/qr", headers=hospital,
                      json={"payload": "garbage", "amount_minor": 1})
    assert bad.status_code == 422
    statement = client.get(f"/v1/sscard/me/cards/{holder['card_id']}/statement", headers=me)
    assert [line["kind"] for line in statement.json()["items"]] == ["medical", "deposit"]
    first = client.get(f"/v1/sscard/me/cards/{holder['card_id']}/statement?limit=1", headers=me).json()
    second = client.get(first["next"], headers=me).json()
    assert [x["kind"] for x in first["items"] + second["items"]] == ["medical", "deposit"]
    assert second["next"] is None


def test_operators_see_masked_holders_change_states_and_read_stats(client, auth_headers, holder):
    op = auth_headers(subject="op-1", roles=["sscard_operator"], scopes=["sscard:cards", "sscard:stats",
                                                                          "sscard:settle"])
    view = client.get(f"/v1/sscard/cards/{holder['card_id']}?purpose=complaint-123", headers=op)
    assert view.status_code == 200
    assert view.json()["holder_name_masked"] == "陈**"
    assert view.json()["id_number_masked"] == holder["id_number"][:6] + "*" * 8 + holder["id_number"][-4:]
    frozen = client.post(f"/v1/sscard/cards/{holder['card_id']}/state", headers=op, json={"state": "frozen"})
    assert frozen.status_code == 200 and frozen.json()["state"] == "frozen"
    illegal = client.post(f"/v1/sscard/cards/{holder['card_id']}/state", headers=op, json={"state": "issued"})
    assert illegal.status_code == 409
    stats = client.get("/v1/sscard/stats/cross-border?from=2026-01-01&to=2026-12-31", headers=op)
    assert stats.status_code == 200 and stats.json() == {"items": [], "next": None}
    assert client.get("/v1/sscard/settlement/2026-11-29", headers=op).status_code == 200
    assert client.get("/v1/sscard/settlement/not-a-date", headers=op).status_code == 422
