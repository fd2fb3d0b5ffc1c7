"""Use cases for banks, channels, holders and cards: seeding, issuance, state changes, e-cards, deposits.

Card and identity numbers enter here and leave only as a keyed digest and a masked form.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bayfin.kernel.errors import Conflict, NotFound, ValidationFailed
from bayfin.kernel.ids import new_id
from bayfin.kernel.pagination import PageRequest
from bayfin.sscard.accounts import repository as repo
from bayfin.sscard.accounts import seeds
from bayfin.sscard.accounts.ledger import (
    AccountDirectory,
    Leg,
    ensure_system_accounts,
    post,
    system_account_name,
)
from bayfin.sscard.domain import (
    CNY,
    CURRENCIES,
    CardKind,
    CardState,
    business_date,
    can_transition,
    luhn_complete,
    luhn_valid,
    mask_id_number,
    mask_pan,
)
from bayfin.sscard.keys import derive_pin_verification_key, keyed_digest, pin_reference
from bayfin.sscard.models import (
    Account,
    Bank,
    Card,
    Cardholder,
    Channel,
    CounterDeposit,
    FxRate,
    LedgerTxn,
    TypeLimit,
)

CARD_VALID_YEARS = 5


def new_pin() -> str:
    """A random six-digit initial PIN for the PIN mailer (the holder changes it at first use)."""
    return f"{secrets.randbelow(10**6):06d}"


def card_expiry(issued: datetime) -> str:
    """The expiry (YYMM) of a card issued at ``issued``: the same month five years on."""
    return f"{(issued.year + CARD_VALID_YEARS) % 100:02d}{issued.month:02d}"


@dataclass(frozen=True)
class IssuedCard:
    """A new card and its number, which is shown this once (for embossing) and never stored."""

    card: Card
    pan: str


@dataclass(frozen=True)
class DepositOutcome:
    """A counter deposit and whether this request replayed an earlier one with the same reference."""

    deposit: CounterDeposit
    replayed: bool


@dataclass(frozen=True)
class SeedReport:
    """What seeding created."""

    banks: int
    channels: int
    accounts: int


class CardService:
    """Cards and their accounts; needs the digest key so numbers can be found but not read back."""

    def __init__(self, pan_key: bytes, accounts: AccountDirectory | None = None) -> None:
        self.pan_key = pan_key
        self.accounts = accounts or AccountDirectory()
        self.pin_key = derive_pin_verification_key(pan_key)

    # --- reference data --------------------------------------------------------------------------
    def seed(self, session: Session, now: datetime) -> SeedReport:
        """Load the 13 banks, 53 channels, type limits and system accounts (idempotent)."""
        have_banks = set(repo.bank_ids(session))
        new_banks = 0
        for bank_id, name, iin in seeds.BANKS:
            if bank_id not in have_banks:
                repo.add(session, Bank(id=bank_id, name=name, iin=iin, active=True, created_at=now))
                new_banks += 1
        have_channels = repo.channel_ids(session)
        new_channels = 0
        for channel_id, name, kind in seeds.seeded_channels():
            if channel_id not in have_channels:
                repo.add(session, Channel(id=channel_id, name=name, kind=kind, active=True,
                                          created_at=now))
                new_channels += 1
        have_limits = repo.limited_types(session)
        for txn_type, limit in seeds.TYPE_LIMITS.items():
            if txn_type not in have_limits:
                repo.add(session, TypeLimit(txn_type=txn_type, daily_limit_minor=limit))
        repo.flush(session)
        created = ensure_system_accounts(session, repo.bank_ids(session), now)
        return SeedReport(new_banks, new_channels, created)

    def add_bank(self, session: Session, bank_id: str, name: str, iin: str, now: datetime) -> Bank:
        """Register another cooperating bank with its issuer number and system accounts."""
        if repo.bank(session, bank_id) is not None:
            raise Conflict(f"bank {bank_id} already exists")
        if len(iin) != 6 or not iin.isdigit():
            raise ValidationFailed("an issuer identification number has six digits")
        bank = Bank(id=bank_id, name=name, iin=iin, active=True, created_at=now)
        repo.add(session, bank)
        repo.flush(session)
        ensure_system_accounts(session, [bank_id], now)
        return bank

    def set_fx_rate(self, session: Session, day: date, currency: int, mid_rate: Decimal,
                    spread: Decimal) -> FxRate:
        """Load (or replace) the day's middle rate to CNY and the spread for a currency."""
        if currency not in CURRENCIES or currency == CNY:
            raise ValidationFailed("rates are loaded for HKD (344) or MOP (446) against CNY")
        if mid_rate <= 0 or spread < 0:
            raise ValidationFailed("the rate must be positive and the spread non-negative")
        row = repo.fx_rate_row(session, day, currency, CNY)
        if row is None:
            row = FxRate(business_date=day, currency=currency, billing_currency=CNY,
                         mid_rate=str(mid_rate), spread=str(spread))
            repo.add(session, row)
        else:
            row.mid_rate, row.spread = str(mid_rate), str(spread)
        repo.flush(session)
        return row

    # --- holders and cards -----------------------------------------------------------------------
    def register_cardholder(self, session: Session, *, name: str, id_number: str, now: datetime,
                            subject: str | None = None) -> Cardholder:
        """Register a holder; the identity number is kept as a digest and a masked form only."""
        id_number = id_number.strip().upper()
        if len(id_number) < 8:
            raise ValidationFailed("identity number too short")
        digest = keyed_digest(self.pan_key, "id:" + id_number)
        if repo.cardholder_id_by_id_digest(session, digest):
            raise Conflict("a cardholder with this identity number already exists")
        holder = Cardholder(id=new_id("ch"), name=name, id_number_digest=digest,
                            id_number_masked=mask_id_number(id_number), subject=subject,
                            created_at=now)
        repo.add(session, holder)
        repo.flush(session)
        return holder

    def issue_card(self, session: Session, *, cardholder_id: str, bank_id: str, now: datetime,
                   pan: str | None = None, pin: str | None = None,
                   daily_limit_minor: int = seeds.DEFAULT_CARD_DAILY_LIMIT) -> IssuedCard:
        """Issue a physical card with its own CNY account at a cooperating bank (state: issued),
        valid for five years; with ``pin`` the card gets its keyed PIN reference."""
        bank = repo.bank(session, bank_id)
        if bank is None or not bank.active:
            raise NotFound(f"no active cooperating bank {bank_id}")
        if repo.cardholder(session, cardholder_id) is None:
            raise NotFound("no such cardholder")
        pan = pan or luhn_complete(bank.iin + f"{secrets.randbelow(10**12):012d}")
        if not luhn_valid(pan) or not 13 <= len(pan) <= 19:
            raise ValidationFailed("card number fails the Luhn check")
        card_id = new_id("card")
        account = Account(name=f"card:{card_id}", kind="card", bank_id=bank_id, currency=CNY,
                          balance_minor=0, may_go_negative=False, created_at=now)
        repo.add(session, account)
        repo.flush(session)
        card = Card(id=card_id, cardholder_id=cardholder_id, bank_id=bank_id, kind=CardKind.physical,
                    state=CardState.issued, pan_digest=keyed_digest(self.pan_key, pan),
                    pan_masked=mask_pan(pan), account_id=account.id, daily_limit_minor=daily_limit_minor,
                    expiry=card_expiry(now), pin_failures=0, issued_at=now, updated_at=now)
        if pin is not None:
            card.pin_reference = self._pin_reference(pan, pin)
        repo.add(session, card)
        repo.flush(session)
        return IssuedCard(card, pan)

    def _pin_reference(self, pan: str, pin: str) -> str:
        if not (pin.isdigit() and 4 <= len(pin) <= 12):
            raise ValidationFailed("a PIN is 4 to 12 digits")
        return pin_reference(self.pin_key, pan, pin)

    def set_pin(self, session: Session, pan: str, pin: str, now: datetime) -> Card:
        """Set (or reset) a card's PIN; only its keyed reference is stored."""
        card = repo.card_by_pan_digest(session, keyed_digest(self.pan_key, pan))
        if card is None:
            raise NotFound("no such card")
        card.pin_reference, card.pin_failures, card.updated_at = self._pin_reference(pan, pin), 0, now
        repo.flush(session)
        return card

    def change_state(self, session: Session, card_id: str, target: CardState, now: datetime) -> Card:
        """Move a card through its life cycle (activate, report lost, freeze, unfreeze, cancel)."""
        card = self.get(session, card_id)
        if not can_transition(CardState(card.state), target):
            raise Conflict(f"a {card.state} card cannot become {target}", card_state=card.state)
        card.state, card.updated_at = target, now
        if target in (CardState.lost, CardState.cancelled) and card.kind == CardKind.physical:
            # An electronic card stands for its physical card: it stops when the physical one does.
            for ecard in repo.live_ecards_of(session, card.id):
                ecard.state, ecard.updated_at = CardState.cancelled, now
        repo.flush(session)
        return card

    def issue_ecard(self, session: Session, *, physical_card_id: str, channel_id: str,
                    now: datetime) -> IssuedCard:
        """Issue an electronic card through a registered channel, bound to an active physical card."""
        physical = self.get(session, physical_card_id)
        if physical.kind != CardKind.physical:
            raise ValidationFailed("an electronic card binds to a physical card")
        if physical.state != CardState.active:
            raise Conflict("the physical card must be active to bind an electronic card")
        channel = repo.channel(session, channel_id)
        if channel is None or not channel.active:
            raise NotFound(f"no registered channel {channel_id}")
        existing = repo.live_ecard_id(session, physical.id)
        if existing is not None:
            raise Conflict("this card already has an electronic card", card_id=existing)
        bank = repo.bank(session, physical.bank_id)
        assert bank is not None
        pan = luhn_complete(bank.iin + "9" + f"{secrets.randbelow(10**11):011d}")
        card = Card(id=new_id("ecard"), cardholder_id=physical.cardholder_id, bank_id=physical.bank_id,
                    kind=CardKind.electronic, state=CardState.active,
                    pan_digest=keyed_digest(self.pan_key, pan), pan_masked=mask_pan(pan),
                    account_id=physical.account_id, bound_card_id=physical.id, channel_id=channel.id,
                    daily_limit_minor=physical.daily_limit_minor, expiry=physical.expiry, pin_failures=0,
                    issued_at=now, updated_at=now)
        repo.add(session, card)
        repo.flush(session)
        return IssuedCard(card, pan)

    def get(self, session: Session, card_id: str) -> Card:
        """A card by id, or NotFound."""
        card = repo.card(session, card_id)
        if card is None:
            raise NotFound("no such card")
        return card

    def deposit(self, session: Session, card_id: str, amount_minor: int, now: datetime) -> LedgerTxn:
        """Credit a card's account from the bank counter (the funding account), in CNY fen."""
        if amount_minor <= 0:
            raise ValidationFailed("a deposit must be positive")
        card = self.get(session, card_id)
        funding = self.accounts.id_of(session, system_account_name("funding", CNY))
        txn = LedgerTxn(kind="deposit", business_date=business_date(now), created_at=now,
                        card_id=card.id, bank_id=card.bank_id, region="GD", cross_border=False,
                        amount_minor=amount_minor, currency=CNY, billing_minor=amount_minor,
                        billing_currency=CNY, spread_minor=0, applied_rate="1")
        return post(session, txn, [Leg(funding, card.account_id, CNY, amount_minor)])

    def counter_deposit(self, session: Session, *, card_id: str, amount_minor: int, source: str,
                        reference: str, requested_by: str, now: datetime) -> DepositOutcome:
        """Credit a card at a counter exactly once per ``(source, reference)``.

        The depositor's reference is claimed before the ledger moves (an insert that skips a taken
        key): a retry, or a second request racing the first, finds the stored deposit and answers with
        it (a replay) without crediting again; the same reference for another card or amount is a conflict. A
        cancelled card takes no deposit."""
        if not reference or len(reference) > 64 or not source or len(source) > 64:
            raise ValidationFailed("a deposit needs a reference of 1 to 64 characters")
        card = self.get(session, card_id)
        claim, claimed = repo.claim_counter_deposit(session, source=source, reference=reference,
                                                    card_id=card.id, amount_minor=amount_minor,
                                                    requested_by=requested_by, now=now)
        if not claimed:
            if claim.card_id != card.id or claim.amount_minor != amount_minor:
                raise Conflict("this reference was already used for another deposit", reference=reference)
            return DepositOutcome(claim, replayed=True)
        if card.state == CardState.cancelled:
            raise Conflict("a cancelled card takes no deposit", card_state=card.state)
        claim.txn_id = self.deposit(session, card.id, amount_minor, now).id
        repo.flush(session)
        return DepositOutcome(claim, replayed=False)

    # --- reads -----------------------------------------------------------------------------------
    def find(self, session: Session, card_id: str) -> Card | None:
        """A card by id, or None."""
        return repo.card(session, card_id)

    def find_cardholder(self, session: Session, cardholder_id: str) -> Cardholder | None:
        """A cardholder by id, or None."""
        return repo.cardholder(session, cardholder_id)

    def cardholder_by_subject(self, session: Session, subject: str) -> Cardholder | None:
        """The cardholder a login subject belongs to."""
        return repo.cardholder_by_subject(session, subject)

    def cards_of(self, session: Session, cardholder_id: str) -> list[Card]:
        """Every card of a holder, physical first."""
        return repo.cards_of(session, cardholder_id)

    def statement(self, session: Session, account_id: int, start: date, end: date,
                  page: PageRequest | None = None) -> list[tuple[LedgerTxn, int]]:
        """Ledger transactions touching an account between two business dates with the signed amount
        each moved on it (credit positive), newest first: a page, one row beyond."""
        return repo.statement(session, account_id, start, end, page)

    def banks(self, session: Session) -> list[Bank]:
        """Every cooperating bank, by id."""
        return repo.banks(session)

    def channels(self, session: Session) -> list[Channel]:
        """Every registered e-card channel, by id."""
        return repo.channels(session)

    def recent_fx_rates(self, session: Session, limit: int = 60) -> list[FxRate]:
        """The latest loaded FX rates, newest first."""
        return repo.recent_fx_rates(session, limit)

    def balance(self, session: Session, card_id: str) -> int:
        """The available balance of a card's account in CNY fen."""
        card = self.get(session, card_id)
        account = repo.account(session, card.account_id)
        assert account is not None
        return account.balance_minor
