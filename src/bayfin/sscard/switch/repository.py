"""Every query of the switch room: the exactly-once message records, daily cross-border usage, PIN
try counts and the authorization holds awaiting expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bayfin.sscard.domain import Rc
from bayfin.sscard.models import Card, DailyUsage, SwitchMessage


def add(session: Session, *rows: object) -> None:
    """Stage new rows of this room's tables (written at the next flush)."""
    session.add_all(rows)


def flush(session: Session) -> None:
    """Write the staged rows and changes; raises IntegrityError when a message key is taken."""
    session.flush()


def refresh(session: Session, row: object, attributes: Sequence[str] | None = None) -> None:
    """Re-read a row (or some of its attributes) from the database, e.g. after taking a lock."""
    session.refresh(row, attribute_names=attributes)


def message_by_key(session: Session, acquirer_id: str, message_class: str, stan: str,
                   rrn: str) -> SwitchMessage | None:
    """The exactly-once record of a message key."""
    return session.scalar(select(SwitchMessage).where(
        SwitchMessage.acquirer_id == acquirer_id, SwitchMessage.message_class == message_class,
        SwitchMessage.stan == stan, SwitchMessage.rrn == rrn))


def approved_message(session: Session, acquirer_id: str, classes: Sequence[str], stan: str,
                     rrn: str) -> SwitchMessage | None:
    """The approved message of one of these classes under this key that booked a transaction."""
    return session.scalar(select(SwitchMessage).where(
        SwitchMessage.acquirer_id == acquirer_id, SwitchMessage.message_class.in_(list(classes)),
        SwitchMessage.stan == stan, SwitchMessage.rrn == rrn,
        SwitchMessage.response_code == Rc.approved.value, SwitchMessage.txn_id.is_not(None))
        .order_by(SwitchMessage.id).limit(1))


def reversal_recorded(session: Session, acquirer_id: str, stan: str, rrn: str) -> bool:
    """True when a reversal of this key was recorded (it arrived before its original)."""
    return session.scalar(select(SwitchMessage.id).where(
        SwitchMessage.acquirer_id == acquirer_id, SwitchMessage.message_class == "reversal",
        SwitchMessage.stan == stan, SwitchMessage.rrn == rrn)) is not None


def message(session: Session, message_id: int) -> SwitchMessage | None:
    """A switch message record by id."""
    return session.get(SwitchMessage, message_id)


def open_authorizations_before(session: Session, cutoff: datetime) -> list[int]:
    """Ids of approved, unreversed authorizations with a hold, received before ``cutoff``, in order."""
    return list(session.scalars(select(SwitchMessage.id).where(
        SwitchMessage.message_class == "authorization", SwitchMessage.reversed.is_(False),
        SwitchMessage.response_code == Rc.approved.value, SwitchMessage.txn_id.is_not(None),
        SwitchMessage.received_at < cutoff).order_by(SwitchMessage.id)))


def give_back_usage(session: Session, card_id: str | None, day: date, txn_type: str,
                    amount_minor: int) -> None:
    """Return ``amount_minor`` to a card's daily cross-border usage of a type."""
    session.execute(update(DailyUsage).where(
        DailyUsage.card_id == card_id, DailyUsage.business_date == day, DailyUsage.txn_type == txn_type)
        .values(used_minor=DailyUsage.used_minor - amount_minor))


def count_wrong_pin(session: Session, card_id: str) -> None:
    """Add one to a card's run of wrong PINs (in the database, so concurrent counts add up)."""
    session.execute(update(Card).where(Card.id == card_id).values(pin_failures=Card.pin_failures + 1))


def clear_wrong_pins(session: Session, card_id: str) -> None:
    """Reset a card's run of wrong PINs after a right one."""
    session.execute(update(Card).where(Card.id == card_id).values(pin_failures=0))
