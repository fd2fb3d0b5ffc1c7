"""Electronic cards: issuance through channels, binding, single-use QR codes and the medical split."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bayfin.kernel.clock import utcnow
from bayfin.kernel.errors import Conflict, NotFound, ValidationFailed
from bayfin.sscard.accounts.cards import CardService
from bayfin.sscard.accounts.ledger import check_ledger
from bayfin.sscard.accounts.payments import MedicalPolicy, PaymentService
from bayfin.sscard.domain import CardKind, CardState
from bayfin.sscard.models import Channel

KEY = b"k" * 32


@pytest.fixture
def svc(session: Session) -> tuple[CardService, PaymentService]:
    cards = CardService(KEY)
    cards.seed(session, utcnow())
    return cards, PaymentService(cards, MedicalPolicy(Decimal("0.7"), 10_000, 1_000_000))


def _active_card(session: Session, cards: CardService, balance: int = 100_000) -> str:
    now = utcnow()
    holder = cards.register_cardholder(session, name="陈大文", id_number="44010619800101001X", now=now)
    card = cards.issue_card(session, cardholder_id=holder.id, bank_id="CGB", now=now).card
    cards.change_state(session, card.id, CardState.active, now)
    cards.deposit(session, card.id, balance, now)
    return card.id


def test_the_seed_registers_53_channels_and_13_banks(session: Session, svc: tuple) -> None:
    assert session.scalar(select(func.count()).select_from(Channel)) == 53
    from bayfin.sscard.models import Bank
    assert session.scalar(select(func.count()).select_from(Bank)) == 13


def test_an_ecard_is_bound_to_its_physical_card_and_shares_its_account(session: Session, svc: tuple) -> None:
    cards, _ = svc
    card_id = _active_card(session, cards)
    ecard = cards.issue_ecard(session, physical_card_id=card_id, channel_id="gov-01", now=utcnow()).card
    assert ecard.kind == CardKind.electronic and ecard.bound_card_id == card_id
    assert cards.balance(session, ecard.id) == 100_000
    with pytest.raises(Conflict):
        cards.issue_ecard(session, physical_card_id=card_id, channel_id="bank-01", now=utcnow())
    with pytest.raises(NotFound):
        cards.issue_ecard(session, physical_card_id=card_id, channel_id="nowhere", now=utcnow())
    cards.change_state(session, card_id, CardState.lost, utcnow())
    assert cards.get(session, ecard.id).state == CardState.cancelled


def test_a_payment_code_pays_once_and_not_after_it_expires(session: Session, svc: tuple) -> None:
    cards, payments = svc
    now = utcnow()
    ecard = cards.issue_ecard(session, physical_card_id=_active_card(session, cards), channel_id="wallet-01",
                              now=now).card
    code = payments.issue_qr(session, ecard.id, now)
    paid = payments.pay(session, code.payload, 2_500, now)
    assert cards.balance(session, ecard.id) == 97_500 and paid.split is None
    with pytest.raises(Conflict, match="already used"):
        payments.pay(session, code.payload, 2_500, now)
    retired = payments.issue_qr(session, ecard.id, now)
    stale = payments.issue_qr(session, ecard.id, now, ttl_seconds=30)
    with pytest.raises(Conflict, match="expired"):
        payments.pay(session, retired.payload, 100, now)  # rotated out by the newer code
    with pytest.raises(Conflict, match="expired"):
        payments.pay(session, stale.payload, 100, now + timedelta(seconds=31))
    with pytest.raises(ValidationFailed):
        flipped = "1" if stale.payload[-1] == "0" else "0"
        payments.pay(session, stale.payload[:-1] + flipped, 100, now)
    assert check_ledger(session).ok


def test_a_medical_bill_is_split_between_the_fund_and_the_holder(session: Session, svc: tuple) -> None:
    cards, payments = svc
    now = utcnow()
    ecard = cards.issue_ecard(session, physical_card_id=_active_card(session, cards), channel_id="gov-02",
                              now=now).card
    code = payments.issue_qr(session, ecard.id, now)
    result = payments.pay_medical(session, code.payload, total_minor=50_000, covered_minor=40_000,
                                  provider="zhuhai-people-hospital", now=now)
    assert result.split is not None
    # 40,000 covered, 10,000 deductible left, 70 % of the remaining 30,000 is 21,000 from the fund.
    assert (result.split.fund_minor, result.split.personal_minor) == (21_000, 29_000)
    assert cards.balance(session, ecard.id) == 100_000 - 29_000
    assert check_ledger(session).ok
