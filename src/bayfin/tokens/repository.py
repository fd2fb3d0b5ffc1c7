"""Every query of the tokens module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from bayfin.kernel.pagination import PageRequest, keyset
from bayfin.tokens.models import Account, BankOperation, Requestor, Token, TokenPayment, Webhook

Row = Requestor | Account | Token | TokenPayment | BankOperation | Webhook


def add(session: Session, row: Row) -> None:
    """Put a new row in the session (written at the next flush)."""
    session.add(row)


def save(session: Session, row: Row) -> None:
    """Store a new or changed row now (flushed, so later queries of the transaction see it)."""
    session.add(row)
    session.flush()


def remove(session: Session, row: Row) -> None:
    """Delete a row now (flushed)."""
    session.delete(row)
    session.flush()



def requestor(session: Session, requestor_id: str) -> Requestor | None:
    """The requestor with this 11-digit id."""
    return session.get(Requestor, requestor_id)


def requestor_by_client(session: Session, client_id: str) -> Requestor | None:
    """The requestor that signs in as identity client ``client_id``."""
    return session.scalars(select(Requestor).where(Requestor.client_id == client_id)).one_or_none()


def requestors(session: Session, page: PageRequest | None = None) -> Sequence[Requestor]:
    """Every requestor by id (a keyset page, one row beyond, when asked)."""
    if page is not None:
        return session.scalars(keyset(select(Requestor), [Requestor.id], page)).all()
    return session.scalars(select(Requestor).order_by(Requestor.id)).all()


def requestor_webhook_url(session: Session, requestor_id: str) -> str | None:
    """Where the requestor wants its notifications."""
    return session.scalars(select(Requestor.webhook_url).where(Requestor.id == requestor_id)).one_or_none()


def account(session: Session, account_id: str) -> Account | None:
    """The vault record with this id."""
    return session.get(Account, account_id)


def account_by_digest(session: Session, digest: str) -> Account | None:
    """The vault record of the account number with this keyed digest."""
    return session.scalars(select(Account).where(Account.number_digest == digest)).one_or_none()


def accounts_of(session: Session, holder: str) -> Sequence[Account]:
    """A person's accounts, default first, then in binding order."""
    return session.scalars(select(Account).where(Account.holder == holder)
                           .order_by(Account.is_default.desc(), Account.created_at, Account.id)).all()


def accounts_to_rewrap(session: Session, active_key_id: str, limit: int) -> Sequence[Account]:
    """Up to ``limit`` vault records whose data key is wrapped by another master key than the active one."""
    return session.scalars(select(Account).where(Account.master_key_id != active_key_id)
                           .order_by(Account.id).limit(limit)).all()


def count_by_master_key(session: Session) -> dict[str, int]:
    """How many vault records each master key wraps."""
    rows = session.execute(select(Account.master_key_id, func.count()).group_by(Account.master_key_id))
    return {key: int(n) for key, n in rows.all()}


def token(session: Session, token_id: str) -> Token | None:
    """The token with this id."""
    return session.get(Token, token_id)


def token_by_number(session: Session, number: str) -> Token | None:
    """The token with this number."""
    return session.scalars(select(Token).where(Token.number == number)).one_or_none()


def token_number_taken(session: Session, number: str) -> bool:
    """True if a token already has this number."""
    return session.scalar(select(func.count()).where(Token.number == number)) != 0


def token_for(session: Session, account_id: str, requestor_id: str, device_id: str) -> Token | None:
    """The token of this account for this requestor and device."""
    return session.scalars(select(Token).where(Token.account_id == account_id,
                                               Token.requestor_id == requestor_id,
                                               Token.device_id == device_id)).one_or_none()


def tokens_of_accounts(session: Session, account_ids: Sequence[str]) -> Sequence[Token]:
    """Every token of these accounts."""
    if not account_ids:
        return []
    return session.scalars(select(Token).where(Token.account_id.in_(account_ids))
                           .order_by(Token.created_at, Token.id)).all()


def tokens_of_requestor(session: Session, requestor_id: str, page: PageRequest) -> Sequence[Token]:
    """A requestor's tokens, newest first: a keyset page, one row beyond."""
    return session.scalars(keyset(select(Token).where(Token.requestor_id == requestor_id),
                                  [Token.created_at, Token.id], page, descending=True)).all()


def webhooks_by_ids(session: Session, ids: Sequence[str]) -> Sequence[Webhook]:
    """These outbox rows, oldest first."""
    return session.scalars(select(Webhook).where(Webhook.id.in_(ids)).order_by(Webhook.id)).all()


def record_delivery(session: Session, webhook_id: str, **values: object) -> None:
    """Write a delivery attempt's outcome onto its outbox row."""
    session.execute(update(Webhook).where(Webhook.id == webhook_id).values(**values)
                    .execution_options(synchronize_session=False))


def due_webhooks(session: Session, now: datetime, limit: int) -> Sequence[Webhook]:
    """Pending outbox rows whose next attempt is due."""
    return session.scalars(select(Webhook).where(Webhook.state == "pending", Webhook.next_attempt_at <= now)
                           .order_by(Webhook.next_attempt_at, Webhook.id).limit(limit)).all()


def webhooks_of_token(session: Session, token_id: str) -> Sequence[Webhook]:
    """A token's notifications in order."""
    return session.scalars(select(Webhook).where(Webhook.token_id == token_id).order_by(Webhook.id)).all()


# ---------------------------------------------------------------- payments and the bank outbox


def payment(session: Session, payment_id: str) -> TokenPayment | None:
    """The payment with this id."""
    return session.get(TokenPayment, payment_id)


def payment_for_counter(session: Session, token_id: str, atc: int) -> TokenPayment | None:
    """The payment that used this transaction counter of the token, if any."""
    return session.scalars(select(TokenPayment).where(TokenPayment.token_id == token_id,
                                                      TokenPayment.atc == atc)).one_or_none()


def insert_payment(session: Session, values: dict[str, Any]) -> TokenPayment | None:
    """Insert a payment unless its (token, counter) exists, and hand it back as a session object
    without reading it again; None when another request took the counter first (one statement on
    both databases, no failed transaction to recover from)."""
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    result = session.execute(insert(TokenPayment).values(**values)
                             .on_conflict_do_nothing(index_elements=["token_id", "atc"]))
    if not getattr(result, "rowcount", 0):
        return None
    found = TokenPayment(**values)
    make_transient_to_detached(found)  # it is in the database now: attach it, no second INSERT
    session.add(found)
    return found


def use_key_and_counter(session: Session, token_id: str, sequence: int, max_uses: int, atc: int) -> bool:
    """In one statement: count one use of the token's current limited-use key and raise its highest
    counter to ``atc`` (a late counter leaves it); False when the key is used up (or was replaced)
    meanwhile: a conditional update, so two requests cannot both take the last use."""
    result = session.execute(update(Token).where(Token.id == token_id, Token.luk_seq == sequence,
                                                 Token.luk_uses < max_uses)
                             .values(luk_uses=Token.luk_uses + 1,
                                     atc=case((Token.atc < atc, atc), else_=Token.atc))
                             .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def set_payment_state(session: Session, payment_id: str, expected: str, **values: object) -> bool:
    """Move a payment on from state ``expected``; False if it has moved already."""
    result = session.execute(update(TokenPayment).where(TokenPayment.id == payment_id,
                                                        TokenPayment.state == expected)
                             .values(**values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def stale_payments(session: Session, before: datetime, limit: int) -> Sequence[TokenPayment]:
    """Payments still waiting for their issuer since before ``before`` (the caller crashed or hung)."""
    return session.scalars(select(TokenPayment).where(TokenPayment.state == "authorizing",
                                                      TokenPayment.updated_at < before)
                           .order_by(TokenPayment.updated_at).limit(limit)).all()


def bank_operation(session: Session, operation_id: str) -> BankOperation | None:
    """One outbox row by id."""
    return session.get(BankOperation, operation_id)


def bank_operations_by_ids(session: Session, ids: Sequence[str]) -> Sequence[BankOperation]:
    """These outbox rows, oldest first."""
    return session.scalars(select(BankOperation).where(BankOperation.id.in_(ids))
                           .order_by(BankOperation.id)).all()


def due_bank_operations(session: Session, now: datetime, limit: int) -> Sequence[BankOperation]:
    """Operations owed to banks whose next attempt is due."""
    return session.scalars(select(BankOperation).where(BankOperation.state == "pending",
                                                       BankOperation.next_attempt_at <= now)
                           .order_by(BankOperation.next_attempt_at, BankOperation.id).limit(limit)).all()


def bank_operations_of(session: Session, payment_id: str) -> Sequence[BankOperation]:
    """A payment's reversals and refunds in order."""
    return session.scalars(select(BankOperation).where(BankOperation.payment_id == payment_id)
                           .order_by(BankOperation.id)).all()


def settle_bank_operation(session: Session, operation_id: str, **values: object) -> bool:
    """Write an attempt's outcome onto a still-pending outbox row; False if it was settled already."""
    result = session.execute(update(BankOperation).where(BankOperation.id == operation_id,
                                                         BankOperation.state == "pending")
                             .values(**values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))
