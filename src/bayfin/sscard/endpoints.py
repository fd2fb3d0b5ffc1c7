"""HTTP API of social-security-card services: the holder's own cards, balance, statement, e-card and
payment code; operators' card views and state changes; code payments by merchants and hospitals;
cross-border statistics and settlement. Every access to a person's data is audited."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from bayfin.api.deps import AUTH_ERRORS, PlatformDep, Session, require
from bayfin.api.pagination import Paging
from bayfin.api.problems import problem_schema
from bayfin.kernel.errors import NotFound
from bayfin.kernel.money import fen_to_yuan
from bayfin.kernel.pagination import Page
from bayfin.kernel.platform import Platform
from bayfin.kernel.security import Principal
from bayfin.sscard import schemas as s
from bayfin.sscard.accounts.cards import new_pin
from bayfin.sscard.accounts.seeds import DEFAULT_CARD_DAILY_LIMIT
from bayfin.sscard.domain import business_date, mask_name
from bayfin.sscard.models import Card, Cardholder, LedgerTxn
from bayfin.sscard.settlement.service import clearing, cross_border_stats
from bayfin.sscard.wiring import services

router = APIRouter(prefix="/v1/sscard", tags=["sscard"])

Holder = Annotated[Principal, Depends(require(scopes=("sscard:self",)))]
# Cards, holders and settlement are run by the scheme's operator (the platform operator organization); a
# bank user holding the role name is not that operator. Regulators read statistics.
Operator = Annotated[Principal, Depends(require(scopes=("sscard:cards",), roles=("sscard_operator",),
                                                org_types=("operator",)))]
Analyst = Annotated[Principal, Depends(require(scopes=("sscard:stats",), org_types=("operator", "regulator"),
                                               roles=("sscard_operator", "regulator")))]
Settler = Annotated[Principal, Depends(require(scopes=("sscard:settle",), roles=("sscard_operator",),
                                               org_types=("operator",)))]
Acquirer = Annotated[Principal, Depends(require(scopes=("sscard:acquire",), org_types=("institution",)))]

_Responses = dict[int | str, dict[str, Any]]
_AUTH: _Responses = {code: dict(doc) for code, doc in AUTH_ERRORS.items()}
_NOT_FOUND: _Responses = {404: problem_schema("No such card (or not yours)")}
_CONFLICT: _Responses = {409: problem_schema("The card's state or the code's use forbids it")}
_INVALID: _Responses = {422: problem_schema("The request does not hold")}


def _card_out(card: Card) -> s.CardOut:
    return s.CardOut(id=card.id, kind=card.kind, state=card.state, bank_id=card.bank_id,
                     pan_masked=card.pan_masked, bound_card_id=card.bound_card_id,
                     channel_id=card.channel_id, daily_limit_minor=card.daily_limit_minor)


def _audit(platform: Platform, session: Session, who: Principal, action: str, subject_type: str,
           subject_id: str, purpose: str, outcome: str = "ok", **details: str | int) -> None:
    platform.audit.record(session, actor=who.subject, actor_org=who.organization_id,
                          action=f"sscard.{action}", subject_type=subject_type, subject_id=subject_id,
                          outcome=outcome, purpose=purpose, details=dict(details))


def _own_card(platform: Platform, session: Session, who: Principal, card_id: str, action: str) -> Card:
    """The caller's own card; anything else is refused (and audited) as not found."""
    cards = services(platform).cards
    holder = cards.cardholder_by_subject(session, who.subject)
    card = cards.find(session, card_id)
    if holder is None or card is None or card.cardholder_id != holder.id:
        _audit(platform, session, who, action, "card", card_id, "holder self-service", outcome="refused")
        raise NotFound("no such card")
    _audit(platform, session, who, action, "card", card.id, "holder self-service")
    return card


@router.get("/me/cards", response_model=Page[s.CardOut], responses={**_AUTH})
def my_cards(platform: PlatformDep, session: Session, who: Holder, pager: Paging) -> Page[s.CardOut]:
    """The caller's own physical and electronic cards (numbers masked), physical first."""
    cards = services(platform).cards
    holder = cards.cardholder_by_subject(session, who.subject)
    if holder is None:
        return Page(items=[], next=None)
    _audit(platform, session, who, "cards.list", "cardholder", holder.id, "holder self-service")
    return pager.page_of(cards.cards_of(session, holder.id),
                         lambda c: (c.kind != "physical", c.issued_at, c.id), _card_out)


@router.get("/me/cards/{card_id}/balance", response_model=s.BalanceOut,
            responses={**_AUTH, **_NOT_FOUND})
def my_balance(card_id: str, platform: PlatformDep, session: Session, who: Holder) -> s.BalanceOut:
    """The available balance of one of the caller's cards."""
    card = _own_card(platform, session, who, card_id, "balance.read")
    balance = services(platform).cards.balance(session, card.id)
    return s.BalanceOut(card_id=card.id, balance_minor=balance, balance_yuan=fen_to_yuan(balance))


@router.get("/me/cards/{card_id}/statement", response_model=Page[s.StatementLine],
            responses={**_AUTH, **_NOT_FOUND})
def my_statement(card_id: str, platform: PlatformDep, session: Session, who: Holder, pager: Paging,
                 start: Annotated[date | None, Query(alias="from")] = None,
                 end: Annotated[date | None, Query(alias="to")] = None) -> Page[s.StatementLine]:
    """Movements on one of the caller's cards (default: the last 31 days), newest first, FX spread
    shown."""
    card = _own_card(platform, session, who, card_id, "statement.read")
    end = end or business_date(platform.clock.now())
    start = start or end - timedelta(days=31)
    rows = services(platform).cards.statement(session, card.account_id, start, end,
                                              page=pager.page_request)
    return pager.page(rows, lambda row: (row[0].id,), lambda row: _statement_line(*row))


def _statement_line(t: LedgerTxn, amount: int) -> s.StatementLine:
    return s.StatementLine(txn_id=t.id, kind=t.kind, business_date=t.business_date,
                            booked_at=t.created_at, amount_minor=amount, region=t.region,
                            original_amount_minor=t.amount_minor, original_currency=t.currency,
                            applied_rate=t.applied_rate, spread_minor=t.spread_minor,
                            reverses_txn_id=t.reverses_txn_id)


@router.post("/me/ecards", response_model=s.CardOut, status_code=201,
             responses={**_AUTH, **_NOT_FOUND, **_CONFLICT, **_INVALID})
def issue_my_ecard(body: s.EcardIn, platform: PlatformDep, session: Session, who: Holder) -> s.CardOut:
    """Issue an electronic card bound to the caller's physical card, through a registered channel."""
    physical = _own_card(platform, session, who, body.physical_card_id, "ecard.issue")
    issued = services(platform).cards.issue_ecard(session, physical_card_id=physical.id,
                                                  channel_id=body.channel_id, now=platform.clock.now())
    return _card_out(issued.card)


@router.post("/me/cards/{card_id}/qr", response_model=s.QrOut, status_code=201,
             responses={**_AUTH, **_NOT_FOUND, **_CONFLICT, **_INVALID})
def my_payment_code(card_id: str, platform: PlatformDep, session: Session, who: Holder) -> s.QrOut:
    """A fresh single-use payment code (EMV-style TLV with CRC) for one of the caller's e-cards."""
    card = _own_card(platform, session, who, card_id, "qr.issue")
    code = services(platform).payments.issue_qr(session, card.id, platform.clock.now())
    return s.QrOut(payload=code.payload, expires_at=code.expires_at)


@router.get("/cards/{card_id}", response_model=s.CardholderView, responses={**_AUTH, **_NOT_FOUND})
def operator_card(card_id: str, platform: PlatformDep, session: Session, who: Operator,
                  purpose: Annotated[str, Query(min_length=3, max_length=200)]) -> s.CardholderView:
    """An operator's view of a card and its holder (masked), for a stated purpose."""
    cards = services(platform).cards
    card = cards.find(session, card_id)
    if card is None:
        raise NotFound("no such card")
    holder = cards.find_cardholder(session, card.cardholder_id)
    assert holder is not None
    _audit(platform, session, who, "card.read", "card", card.id, purpose)
    return s.CardholderView(card=_card_out(card), holder_name_masked=mask_name(holder.name),
                            id_number_masked=holder.id_number_masked,
                            balance_minor=cards.balance(session, card.id))


@router.post("/cards/{card_id}/state", response_model=s.CardOut,
             responses={**_AUTH, **_NOT_FOUND, **_CONFLICT})
def change_card_state(card_id: str, body: s.StateIn, platform: PlatformDep, session: Session,
                      who: Operator) -> s.CardOut:
    """Activate, report lost, freeze, unfreeze or cancel a card."""
    card = services(platform).cards.change_state(session, card_id, body.state, platform.clock.now())
    _audit(platform, session, who, "card.state", "card", card.id, "card life cycle", state=body.state.value)
    return _card_out(card)


def _holder_out(holder: Cardholder) -> s.CardholderOut:
    return s.CardholderOut(id=holder.id, name_masked=mask_name(holder.name),
                           id_number_masked=holder.id_number_masked, subject=holder.subject,
                           created_at=holder.created_at)


@router.post("/cardholders", response_model=s.CardholderOut, status_code=201,
             responses={**_AUTH, **_CONFLICT, **_INVALID})
def register_cardholder(body: s.CardholderIn, platform: PlatformDep, session: Session,
                        who: Operator) -> s.CardholderOut:
    """Register a cardholder (the identity number is kept as a keyed digest and a masked form only)."""
    holder = services(platform).cards.register_cardholder(session, name=body.name, id_number=body.id_number,
                                                          subject=body.subject, now=platform.clock.now())
    _audit(platform, session, who, "cardholder.register", "cardholder", holder.id, "card issuance")
    return _holder_out(holder)


@router.get("/cardholders/{holder_id}", response_model=s.CardholderOut, responses={**_AUTH, **_NOT_FOUND})
def operator_cardholder(holder_id: Annotated[str, Path(max_length=40)], platform: PlatformDep,
                        session: Session, who: Operator,
                        purpose: Annotated[str, Query(min_length=3, max_length=200)]) -> s.CardholderOut:
    """An operator's view of a cardholder (masked), for a stated purpose."""
    holder = services(platform).cards.find_cardholder(session, holder_id)
    if holder is None:
        raise NotFound("no such cardholder")
    _audit(platform, session, who, "cardholder.read", "cardholder", holder.id, purpose)
    return _holder_out(holder)


@router.post("/cardholders/{holder_id}/cards", response_model=s.IssuedCardOut, status_code=201,
             responses={**_AUTH, **_NOT_FOUND, **_INVALID})
def issue_card(holder_id: Annotated[str, Path(max_length=40)], body: s.IssueCardIn, response: Response,
               platform: PlatformDep, session: Session, who: Operator) -> s.IssuedCardOut:
    """Issue a physical card with its own account at a cooperating bank (state ``issued``: activate it
    once the holder has it). The number, expiry and initial PIN are in this answer only."""
    cards = services(platform).cards
    pin = new_pin()
    issued = cards.issue_card(session, cardholder_id=holder_id, bank_id=body.bank_id,
                              now=platform.clock.now(), pin=pin,
                              daily_limit_minor=body.daily_limit_minor or DEFAULT_CARD_DAILY_LIMIT)
    _audit(platform, session, who, "card.issue", "card", issued.card.id, "card issuance",
           cardholder=holder_id, bank=body.bank_id)
    response.headers["Cache-Control"] = "no-store"
    return s.IssuedCardOut(card=_card_out(issued.card), pan=issued.pan, expiry=issued.card.expiry or "",
                           initial_pin=pin)


@router.post("/cards/{card_id}/deposits", response_model=s.DepositOut, status_code=201,
             responses={**_AUTH, **_NOT_FOUND, **_CONFLICT, **_INVALID,
                        200: {"model": s.DepositOut, "description": "A retry: the first deposit with this "
                              "reference, credited once"}})
def deposit(card_id: Annotated[str, Path(max_length=40)], body: s.DepositIn, response: Response,
            platform: PlatformDep, session: Session, who: Operator) -> s.DepositOut:
    """Credit a card's account at the counter, exactly once per reference of the caller's
    organization: a retry answers 200 with the first deposit and credits nothing more."""
    cards = services(platform).cards
    outcome = cards.counter_deposit(session, card_id=card_id, amount_minor=body.amount_minor,
                                    source=who.organization_id or who.subject, reference=body.reference,
                                    requested_by=who.subject, now=platform.clock.now())
    if outcome.replayed:
        response.status_code = 200
    else:
        _audit(platform, session, who, "card.deposit", "card", card_id, "counter deposit",
               amount_minor=body.amount_minor, reference=body.reference)
    assert outcome.deposit.txn_id is not None
    return s.DepositOut(card_id=outcome.deposit.card_id, reference=outcome.deposit.reference,
                        amount_minor=outcome.deposit.amount_minor, txn_id=outcome.deposit.txn_id,
                        balance_minor=cards.balance(session, outcome.deposit.card_id),
                        replayed=outcome.replayed)


@router.post("/payments/qr", response_model=s.PaymentOut, status_code=201,
             responses={**_AUTH, **_NOT_FOUND, **_CONFLICT, **_INVALID})
def pay_with_code(body: s.QrPaymentIn, platform: PlatformDep, session: Session,
                  who: Acquirer) -> s.PaymentOut:
    """Charge a scanned payment code (single use, before it expires)."""
    result = services(platform).payments.pay(session, body.payload, body.amount_minor, platform.clock.now())
    _audit(platform, session, who, "payment.qr", "card", result.card_id, "payment", txn_id=result.txn_id)
    return s.PaymentOut(txn_id=result.txn_id, amount_minor=result.amount_minor)


@router.post("/payments/medical", response_model=s.PaymentOut, status_code=201,
             responses={**_AUTH, **_NOT_FOUND, **_CONFLICT, **_INVALID})
def pay_medical(body: s.MedicalPaymentIn, platform: PlatformDep, session: Session,
                who: Acquirer) -> s.PaymentOut:
    """Charge a medical bill to a payment code: the insurance fund's part and the holder's part."""
    result = services(platform).payments.pay_medical(
        session, body.payload, total_minor=body.total_minor, covered_minor=body.covered_minor,
        provider=body.provider, now=platform.clock.now())
    assert result.split is not None
    _audit(platform, session, who, "payment.medical", "card", result.card_id, "medical insurance payment",
           txn_id=result.txn_id)
    return s.PaymentOut(txn_id=result.txn_id, amount_minor=result.amount_minor,
                        fund_minor=result.split.fund_minor, personal_minor=result.split.personal_minor)


@router.get("/stats/cross-border", response_model=Page[s.StatOut], responses={**_AUTH})
def stats(session: Session, who: Analyst, pager: Paging, start: Annotated[date, Query(alias="from")],
          end: Annotated[date, Query(alias="to")]) -> Page[s.StatOut]:
    """Standing cross-border transactions (count and CNY amount) by region and type."""
    rows = [s.StatOut(region=x.region, txn_type=x.txn_type, count=x.count,
                      amount_cny_minor=x.amount_cny_minor) for x in cross_border_stats(session, start, end)]
    return pager.page_of(rows, lambda x: (x.region, x.txn_type))


@router.get("/settlement/{day}", response_model=Page[s.SettlementLineOut], responses={**_AUTH})
def settlement(day: date, session: Session, who: Settler, pager: Paging) -> Page[s.SettlementLineOut]:
    """The day's clearing positions per bank and currency with their ledger reconciliation."""
    rows = [s.SettlementLineOut(bank_id=ln.bank_id, currency=ln.currency, count=ln.count,
                                gross_minor=ln.gross_minor, reversed_minor=ln.reversed_minor,
                                net_minor=ln.net_minor, ledger_net_minor=ln.ledger_net_minor,
                                difference_minor=ln.difference_minor) for ln in clearing(session, day)]
    return pager.page_of(rows, lambda ln: (ln.bank_id, ln.currency))
